"""The issue workflow through GraphQL: transitions, refusals, conflicts, rollbacks, deadlines."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.issues.workflow_helpers import (
    ISSUE_FIELDS,
    assert_replays,
    call,
    gid,
    make_actors,
    ok,
    pk,
    refused,
    snapshot,
)
from yimi.accounts.models import Staff
from yimi.common.errors import ErrorCode, ServiceError
from yimi.enterprises.models import Enterprise
from yimi.issues.deadlines import deadline_for
from yimi.issues.models import (
    DispatchOrder,
    ExtensionRequest,
    Issue,
    IssueCategory,
    IssueEvent,
    IssuePriority,
    IssueSource,
    IssueStatus,
)
from yimi.issues.service import IssueDraft, IssueWorkflow
from yimi.issues.warning import thresholds
from yimi.townships.models import Township

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
async def actors(app):
    actors = await make_actors(app)
    yield actors
    for http in actors.https:
        await http.aclose()


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def report(actors, gql=None, **overrides) -> dict:
    p = actors.people
    input = {
        "enterpriseId": gid("Enterprise", p.enterprise.id),
        "category": "FINANCING",
        "title": "流动资金贷款到期续贷困难",
        "description": "企业反映500万元流动资金贷款下月到期，续贷审批尚未通过。",
        "source": "HOTLINE",
        **overrides,
    }
    return await ok(gql or actors.dispatcher, "reportIssue", **input)


async def dispatched(actors, co_handlers: tuple[int, ...] = ()) -> dict:
    issue = await report(actors)
    p = actors.people
    return await ok(
        actors.dispatcher,
        "dispatchIssue",
        issueId=issue["id"],
        version=issue["version"],
        leadTeamId=gid("ServiceTeam", p.team_a),
        coHandlerTeamIds=[gid("ServiceTeam", t) for t in co_handlers],
        instruction="请三个工作日内对接合作银行。",
    )


async def in_progress(actors) -> dict:
    issue = await dispatched(actors)
    return await ok(actors.member_a, "acceptDispatch", issueId=issue["id"], version=issue["version"])


async def resolved(actors) -> dict:
    issue = await in_progress(actors)
    return await ok(actors.member_a, "resolveIssue", issueId=issue["id"], version=issue["version"], summary="已办结")


# -- every transition, as the right role --------------------------------------------------------


async def test_report_dispatch_accept_resolve_confirm_reject_reopen(actors):
    p = actors.people
    issue = await report(actors, actors.commissioner, source="COMMISSIONER", priority="URGENT")
    assert issue["status"] == "REPORTED" and issue["version"] == 1
    prefix, year, seq = issue["number"].split("-")
    assert prefix == "WS" and len(seq) == 5
    row = await Issue.get(id=pk(issue["id"]))
    assert year == str(row.reported_at.astimezone(SHANGHAI).year)
    assert row.deadline == deadline_for(row.reported_at, IssueCategory.FINANCING, IssuePriority.URGENT, "Asia/Shanghai")
    assert (row.yellow_at, row.orange_at) == thresholds(row.reported_at, row.deadline, 0.5, 0.8)
    assert issue["warningColor"] == "GREEN" and not issue["needsEscalation"]

    team_a, team_b = gid("ServiceTeam", p.team_a), gid("ServiceTeam", p.team_b)
    issue = await ok(
        actors.dispatcher,
        "dispatchIssue",
        issueId=issue["id"],
        version=1,
        leadTeamId=team_a,
        coHandlerTeamIds=[team_b],
        instruction="请对接合作银行，提出续贷方案。",
    )
    assert issue["status"] == "DISPATCHED" and issue["version"] == 2
    assert issue["leadTeam"]["id"] == team_a and [t["id"] for t in issue["coHandlers"]] == [team_b]
    assert [(d["team"]["id"], d["role"]) for d in issue["dispatches"]] == [(team_a, "LEAD"), (team_b, "CO_HANDLER")]
    assert all(d["instruction"] == "请对接合作银行，提出续贷方案。" and d["dueAt"] for d in issue["dispatches"])

    issue = await ok(actors.member_b, "addIssueNote", issueId=issue["id"], note="协办单位已联系税务部门。")
    assert issue["status"] == "DISPATCHED" and issue["version"] == 3
    issue = await ok(actors.member_a, "acceptDispatch", issueId=issue["id"], version=3)
    assert issue["status"] == "IN_PROGRESS" and all(d["acceptedAt"] for d in issue["dispatches"])
    issue = await ok(actors.member_a, "resolveIssue", issueId=issue["id"], version=4, summary="协调银行办理续贷。")
    assert issue["status"] == "RESOLVED" and issue["resolution"] == "协调银行办理续贷。" and issue["resolvedAt"]

    issue = await ok(
        actors.commissioner,
        "confirmIssue",
        issueId=issue["id"],
        version=5,
        satisfaction="UNSATISFIED",
        comment="续贷额度不足。",
    )
    assert issue["status"] == "REOPENED" and issue["satisfaction"] == "UNSATISFIED"
    assert (
        issue["satisfactionComment"] == "续贷额度不足。" and issue["resolvedAt"] is None and issue["resolution"] == ""
    )
    issue = await ok(actors.member_a, "resolveIssue", issueId=issue["id"], version=6, summary="追加授信200万元。")
    issue = await ok(actors.dispatcher, "confirmIssue", issueId=issue["id"], version=7, satisfaction="SATISFIED")
    assert issue["status"] == "CLOSED" and issue["satisfaction"] == "SATISFIED" and issue["closedAt"]
    assert issue["warningColor"] is None

    issue = await ok(actors.dispatcher, "reopenIssue", issueId=issue["id"], version=8, reason="企业再次来电反映。")
    assert issue["status"] == "REOPENED" and issue["closedAt"] is None and issue["satisfaction"] is None
    issue = await ok(actors.member_a, "resolveIssue", issueId=issue["id"], version=9, summary="再次协调。")
    issue = await ok(
        actors.commissioner, "confirmIssue", issueId=issue["id"], version=10, satisfaction="BASICALLY_SATISFIED"
    )
    assert issue["status"] == "CLOSED" and issue["version"] == 11

    events = await assert_replays(pk(issue["id"]))
    who = {
        p.commissioner.id: "commissioner",
        actors.dispatcher.staff.id: "dispatcher",
        p.member_a.id: "member_a",
        p.member_b.id: "member_b",
    }
    assert [(e.action, who[e.actor_id]) for e in events] == [
        ("report", "commissioner"),
        ("dispatch", "dispatcher"),
        ("note", "member_b"),
        ("accept", "member_a"),
        ("resolve", "member_a"),
        ("reject", "commissioner"),
        ("resolve", "member_a"),
        ("confirm", "dispatcher"),
        ("reopen", "dispatcher"),
        ("resolve", "member_a"),
        ("confirm", "commissioner"),
    ]
    # The timeline the API shows is the stored one, with its actors.
    assert [e["action"] for e in issue["events"]] == [e.action for e in events]
    assert issue["events"][2]["actor"]["id"] == gid("Staff", p.member_b.id)
    assert issue["events"][2]["note"] == "协办单位已联系税务部门。"


async def test_return_redispatch_and_escalate(actors):
    p = actors.people
    issue = await dispatched(actors, co_handlers=(p.team_c,))
    issue = await ok(
        actors.member_a, "returnDispatch", issueId=issue["id"], version=2, reason="不属于本服务团职责范围。"
    )
    assert issue["status"] == "RETURNED" and issue["leadTeam"] is None and issue["coHandlers"] == []
    lead, co = issue["dispatches"]
    assert lead["returnReason"] == "不属于本服务团职责范围。" and lead["returnedAt"]
    assert co["returnedAt"] and co["returnReason"]
    # Back at the centre: dispatched again, to another team, which takes it.
    issue = await ok(
        actors.dispatcher, "dispatchIssue", issueId=issue["id"], version=3, leadTeamId=gid("ServiceTeam", p.team_b)
    )
    assert issue["status"] == "DISPATCHED" and issue["leadTeam"]["id"] == gid("ServiceTeam", p.team_b)
    issue = await ok(actors.member_b, "acceptDispatch", issueId=issue["id"], version=4, note="已安排专人。")
    issue = await ok(actors.dispatcher, "escalateIssue", issueId=issue["id"], version=5, reason="企业多次催办。")
    assert issue["status"] == "IN_PROGRESS" and issue["escalatedAt"]
    assert [o["returnedAt"] is None for o in issue["dispatches"]] == [False, False, True]
    events = await assert_replays(pk(issue["id"]))
    assert [e.action for e in events] == ["report", "dispatch", "return", "dispatch", "accept", "escalate"]
    assert [e.actor_id for e in events[2:5]] == [p.member_a.id, actors.dispatcher.staff.id, p.member_b.id]


# -- illegal transitions --------------------------------------------------------------------------

ILLEGAL = [
    (
        "dispatched",
        "resolveIssue",
        {"summary": "已办结"},
        "cannot resolve an issue that is dispatched; resolve applies to: in_progress, reopened",
    ),
    ("reported", "resolveIssue", {"summary": "已办结"}, "cannot resolve an issue that is reported"),
    (
        "in_progress",
        "confirmIssue",
        {"satisfaction": "SATISFIED"},
        "cannot confirm an issue that is in_progress; confirm applies to: resolved",
    ),
    (
        "reported",
        "confirmIssue",
        {"satisfaction": "UNSATISFIED", "comment": "没解决"},
        "cannot reject an issue that is reported; reject applies to: resolved",
    ),
    (
        "closed",
        "dispatchIssue",
        {"leadTeamId": "team"},
        "cannot dispatch an issue that is closed; dispatch applies to: reported, returned",
    ),
    ("in_progress", "dispatchIssue", {"leadTeamId": "team"}, "cannot dispatch an issue that is in_progress"),
    ("reported", "acceptDispatch", {}, "cannot accept an issue that is reported; accept applies to: dispatched"),
    ("in_progress", "returnDispatch", {"reason": "不归我们管"}, "cannot return an issue that is in_progress"),
    (
        "reported",
        "reopenIssue",
        {"reason": "再看看"},
        "cannot reopen an issue that is reported; reopen applies to: closed, resolved",
    ),
    ("closed", "escalateIssue", {"reason": "督办"}, "cannot escalate an issue that is closed"),
    (
        "resolved",
        "requestExtension",
        {"requestedDeadline": "2099-01-01T00:00:00Z", "reason": "需要更多时间"},
        "cannot request_extension an issue that is resolved",
    ),
    ("resolved", "resolveIssue", {"summary": "再办结一次"}, "cannot resolve an issue that is resolved"),
]


@pytest.mark.parametrize(
    ("status", "mutation", "extra", "message"), ILLEGAL, ids=[f"{m}-{s}" for s, m, _, _ in ILLEGAL]
)
async def test_illegal_transitions_are_refused_and_change_nothing(actors, status, mutation, extra, message):
    # Demo issues in each status; the admin may do anything, so only the state can refuse.
    issue = await Issue.filter(status=status).order_by("id").first()
    before = await snapshot(issue.id)
    extra = {k: gid("ServiceTeam", actors.people.team_a) if v == "team" else v for k, v in extra.items()}
    error = await refused(
        actors.admin, mutation, "ILLEGAL_TRANSITION", issueId=gid("Issue", issue.id), version=issue.version, **extra
    )
    assert error["message"].startswith(message), error
    assert await snapshot(issue.id) == before


async def test_deciding_a_decided_extension_is_illegal(actors):
    issue = await in_progress(actors)
    payload = await call(
        actors.member_a,
        "requestExtension",
        issueId=issue["id"],
        version=3,
        requestedDeadline="2099-01-01T09:00:00Z",
        reason="需省级部门审批",
    )
    request_id = payload["extensionRequest"]["id"]
    await ok(actors.dispatcher, "decideExtension", extensionRequestId=request_id, version=4, approve=False)
    before = await snapshot(pk(issue["id"]))
    error = await refused(
        actors.dispatcher,
        "decideExtension",
        "ILLEGAL_TRANSITION",
        extensionRequestId=request_id,
        version=5,
        approve=True,
    )
    assert error["message"] == "no extension request of this issue is pending"
    assert await snapshot(pk(issue["id"])) == before


# -- permissions ----------------------------------------------------------------------------------


async def test_anonymous_callers_must_sign_in(actors, anon):
    issue = await in_progress(actors)
    before = await snapshot(pk(issue["id"]))
    count = await Issue.all().count()
    error = await refused(
        anon,
        "reportIssue",
        "UNAUTHENTICATED",
        enterpriseId=gid("Enterprise", actors.people.enterprise.id),
        category="LABOUR",
        title="招工难",
        source="ONLINE",
    )
    assert error["message"] == "sign in first"
    await refused(anon, "resolveIssue", "UNAUTHENTICATED", issueId=issue["id"], version=3, summary="已办结")
    await refused(anon, "addIssueNote", "UNAUTHENTICATED", issueId=issue["id"], note="路过")
    assert await snapshot(pk(issue["id"])) == before and await Issue.all().count() == count


async def test_roles_and_teams_limit_who_does_what(actors):
    p = actors.people
    enterprise = gid("Enterprise", p.enterprise.id)
    new = {"enterpriseId": enterprise, "category": "LABOUR", "title": "招工难", "source": "ONLINE"}
    count = await Issue.all().count()
    error = await refused(actors.viewer, "reportIssue", "FORBIDDEN", **new)
    assert "viewer" in error["message"]
    error = await refused(actors.other_commissioner, "reportIssue", "FORBIDDEN", **new)
    assert "commissioner of" in error["message"]
    await refused(actors.member_a, "reportIssue", "FORBIDDEN", **new)
    assert await Issue.all().count() == count

    issue = await dispatched(actors, co_handlers=(p.team_b,))  # lead A, co-handler B
    before = await snapshot(pk(issue["id"]))
    args = {"issueId": issue["id"], "version": issue["version"]}
    error = await refused(actors.member_b, "acceptDispatch", "FORBIDDEN", **args)
    assert error["message"] == "only members of the lead team of this issue may accept dispatch orders"
    await refused(actors.member_b, "returnDispatch", "FORBIDDEN", reason="不归我们", **args)
    await refused(actors.member_a, "dispatchIssue", "FORBIDDEN", leadTeamId=gid("ServiceTeam", p.team_b), **args)
    await refused(actors.commissioner, "acceptDispatch", "FORBIDDEN", **args)
    await refused(actors.viewer, "addIssueNote", "FORBIDDEN", note="看看", **args)
    await refused(actors.member_a, "escalateIssue", "FORBIDDEN", reason="催办", **args)
    assert await snapshot(pk(issue["id"])) == before
    # A co-handler may add notes, the lead team may accept; a third team's member may not note.
    await ok(actors.member_b, "addIssueNote", note="协办意见已反馈。", **args)
    issue = await ok(actors.member_a, "acceptDispatch", issueId=issue["id"], version=issue["version"] + 1)
    await refused(
        actors.member_b,
        "resolveIssue",
        "FORBIDDEN",
        issueId=issue["id"],
        version=issue["version"],
        summary="协办单位代为办结",
    )
    await refused(
        actors.commissioner,
        "resolveIssue",
        "FORBIDDEN",
        issueId=issue["id"],
        version=issue["version"],
        summary="专员代为办结",
    )
    await refused(
        actors.member_a,
        "confirmIssue",
        "FORBIDDEN",
        issueId=issue["id"],
        version=issue["version"],
        satisfaction="SATISFIED",
    )


async def test_members_of_other_teams_cannot_touch_the_issue(actors, app):
    from tests.issues.workflow_helpers import sign_in_as
    from yimi.teams.models import TeamMember

    p = actors.people
    issue = await dispatched(actors)  # lead A only
    outsider_ids = set(await TeamMember.filter(team_id=p.team_c).values_list("staff_id", flat=True))
    outsider_ids -= set(await TeamMember.filter(team_id=p.team_a).values_list("staff_id", flat=True))
    outsider = next(s for s in await Staff.filter(id__in=outsider_ids).order_by("id") if s.roles == ["team_member"])
    gql = await sign_in_as(app, outsider, actors.https)
    before = await snapshot(pk(issue["id"]))
    # The issue is outside their row rule: acting on it answers as for an ID that does not exist,
    # whatever the version, so that mutations tell no more than reading does.
    missing = gid("Issue", 10**9)
    for version in (1, 2, 3):
        error = await refused(gql, "acceptDispatch", "NOT_FOUND", issueId=issue["id"], version=version)
        assert error == await refused(gql, "acceptDispatch", "NOT_FOUND", issueId=missing, version=version)
    error = await refused(gql, "addIssueNote", "NOT_FOUND", issueId=issue["id"], note="路过")
    assert error == {"field": "issueId", "code": "NOT_FOUND", "message": "no such issue"}
    assert await snapshot(pk(issue["id"])) == before


async def test_township_scoped_staff_act_only_in_their_townships(actors, app):
    from tests.issues.workflow_helpers import sign_in_as

    p = actors.people
    other_township = await Township.exclude(code=p.township_code).order_by("code").first()
    scoped = await Staff.create(
        username="scoped-dispatcher",
        name="乡镇派单员",
        department_id=actors.dispatcher.staff.department_id,
        roles=["dispatcher"],
        township_scope=[other_township.code],
    )
    gql = await sign_in_as(app, scoped, actors.https)
    new = {"category": "POWER", "title": "汛后线路频繁跳闸", "source": "HOTLINE"}
    count = await Issue.all().count()
    error = await refused(gql, "reportIssue", "NOT_FOUND", enterpriseId=gid("Enterprise", p.enterprise.id), **new)
    # As for a missing ID: nothing tells that the enterprise exists, or where (tests/security).
    assert error == {"field": "enterpriseId", "code": "NOT_FOUND", "message": "no such enterprise"}
    assert await Issue.all().count() == count
    outside = await dispatched(actors)
    await refused(gql, "escalateIssue", "NOT_FOUND", issueId=outside["id"], version=2, reason="督办")
    inside = await Enterprise.filter(township_id=other_township.id).order_by("id").first()
    issue = await ok(gql, "reportIssue", enterpriseId=gid("Enterprise", inside.id), **new)
    await ok(gql, "dispatchIssue", issueId=issue["id"], version=1, leadTeamId=gid("ServiceTeam", p.team_a))


# -- input ----------------------------------------------------------------------------------------


async def test_bad_input_is_a_user_error_naming_the_field(actors):
    p = actors.people
    issue = await in_progress(actors)
    args = {"issueId": issue["id"], "version": issue["version"]}
    before = await snapshot(pk(issue["id"]))

    async def field_of(gql, mutation, code="REQUIRED", **input):
        return (await refused(gql, mutation, code, **input))["field"]

    error = await refused(actors.member_a, "resolveIssue", "REQUIRED", summary="  ", **args)
    assert (error["field"], error["message"]) == ("summary", "a summary is required")
    assert await field_of(actors.member_a, "returnDispatch", reason="", **args) == "reason"
    assert await field_of(actors.dispatcher, "escalateIssue", reason="", **args) == "reason"
    assert await field_of(actors.member_a, "addIssueNote", issueId=issue["id"], note="") == "note"
    assert (
        await field_of(actors.member_a, "resolveIssue", "NOT_A_GLOBAL_ID", issueId="not-an-id", version=1, summary="x")
        == "issueId"
    )
    enterprise_id = gid("Enterprise", p.enterprise.id)
    assert (
        await field_of(actors.member_a, "resolveIssue", "WRONG_ID_TYPE", issueId=enterprise_id, version=1, summary="x")
        == "issueId"
    )
    assert (
        await field_of(
            actors.member_a, "resolveIssue", "NOT_FOUND", issueId=gid("Issue", 10**9), version=1, summary="x"
        )
        == "issueId"
    )
    assert (
        await field_of(
            actors.member_a,
            "requestExtension",
            "OUT_OF_RANGE",
            requestedDeadline="2020-01-01T00:00:00Z",
            reason="需要时间",
            **args,
        )
        == "requestedDeadline"
    )
    assert (
        await field_of(
            actors.member_a,
            "requestExtension",
            "INVALID",
            requestedDeadline="2099-01-01T00:00:00",
            reason="需要时间",
            **args,
        )
        == "requestedDeadline"
    )
    assert (
        await field_of(
            actors.dispatcher, "reportIssue", enterpriseId=enterprise_id, category="LAND", title=" ", source="HOTLINE"
        )
        == "title"
    )
    assert (
        await field_of(
            actors.dispatcher,
            "reportIssue",
            "NOT_FOUND",
            enterpriseId=gid("Enterprise", 10**9),
            category="LAND",
            title="用地指标",
            source="HOTLINE",
        )
        == "enterpriseId"
    )
    assert before == await snapshot(pk(issue["id"]))

    # A resolved issue: an unsatisfied verdict needs a comment.
    done = await resolved(actors)
    error = await refused(
        actors.dispatcher,
        "confirmIssue",
        "REQUIRED",
        issueId=done["id"],
        version=done["version"],
        satisfaction="UNSATISFIED",
    )
    assert error["field"] == "comment"
    # A reported issue: dispatch input.
    new = await report(actors)
    args = {"issueId": new["id"], "version": 1}
    team_a = gid("ServiceTeam", p.team_a)
    assert (
        await field_of(
            actors.dispatcher, "dispatchIssue", "INVALID", leadTeamId=team_a, coHandlerTeamIds=[team_a], **args
        )
        == "coHandlerTeamIds"
    )
    # No team chosen: the web app sends an empty ID.
    error = await refused(actors.dispatcher, "dispatchIssue", "REQUIRED", leadTeamId="", **args)
    assert (error["field"], error["message"]) == ("leadTeamId", "a lead team is required")
    assert (
        await field_of(actors.dispatcher, "dispatchIssue", "NOT_FOUND", leadTeamId=gid("ServiceTeam", 10**6), **args)
        == "leadTeamId"
    )
    assert (
        await field_of(
            actors.dispatcher,
            "dispatchIssue",
            "NOT_FOUND",
            leadTeamId=team_a,
            coHandlerTeamIds=[gid("ServiceTeam", p.team_b), gid("ServiceTeam", 10**6)],
            **args,
        )
        == "coHandlerTeamIds[1]"
    )
    assert (
        await field_of(actors.dispatcher, "dispatchIssue", "WRONG_ID_TYPE", leadTeamId=enterprise_id, **args)
        == "leadTeamId"
    )
    assert (
        await field_of(
            actors.dispatcher,
            "dispatchIssue",
            "OUT_OF_RANGE",
            leadTeamId=team_a,
            deadline="2021-01-01T00:00:00Z",
            **args,
        )
        == "deadline"
    )
    # Saturday 3 January 2099 is no working day (for years it does not know, the calendar counts Mon–Fri).
    error = await refused(
        actors.dispatcher, "dispatchIssue", "NOT_A_WORKING_DAY", leadTeamId=team_a, dueOn="2099-01-03", **args
    )
    assert error["field"] == "dueOn"
    error = await refused(
        actors.dispatcher, "dispatchIssue", "OUT_OF_RANGE", leadTeamId=team_a, dueOn="2021-01-04", **args
    )
    assert error["field"] == "dueOn"
    error = await refused(
        actors.dispatcher,
        "dispatchIssue",
        "INVALID",
        leadTeamId=team_a,
        dueOn="2099-01-05",
        deadline="2099-01-05T12:00:00+08:00",
        **args,
    )
    assert error["field"] == "dueOn"
    assert (await Issue.get(id=pk(new["id"]))).status == IssueStatus.REPORTED


# -- optimistic locking ---------------------------------------------------------------------------


async def test_a_stale_version_is_refused_and_changes_nothing(actors):
    issue = await in_progress(actors)
    stale = issue["version"]
    await ok(actors.member_a, "addIssueNote", issueId=issue["id"], note="已约企业面谈。")
    before = await snapshot(pk(issue["id"]))
    error = await refused(
        actors.member_a, "resolveIssue", "CONFLICT", issueId=issue["id"], version=stale, summary="已办结"
    )
    assert (error["field"], error["message"]) == ("version", "someone else changed this issue; reload it")
    await refused(actors.member_a, "addIssueNote", "CONFLICT", issueId=issue["id"], version=stale, note="过时的备注")
    assert await snapshot(pk(issue["id"])) == before


async def test_concurrent_updates_with_one_version_only_one_wins(actors):
    issue = await in_progress(actors)
    args = {"issueId": issue["id"], "version": issue["version"]}
    results = await asyncio.gather(
        call(actors.member_a, "resolveIssue", summary="甲方案办结", **args),
        call(actors.member_a, "resolveIssue", summary="乙方案办结", **args),
        call(actors.dispatcher, "escalateIssue", reason="督办", **args),
    )
    winners = [r for r in results if not r["userErrors"]]
    losers = [r for r in results if r["userErrors"]]
    assert len(winners) == 1 and len(losers) == 2
    assert all(r["userErrors"][0]["code"] == "CONFLICT" and r["issue"] is None for r in losers)
    row = await Issue.get(id=pk(issue["id"]))
    assert row.version == issue["version"] + 1
    events = await assert_replays(row.id)
    assert len(events) == row.version


@pytest.mark.parametrize("return_first", [True, False])
async def test_concurrent_changes_of_a_dispatch_give_conflicts_not_other_errors(actors, return_first):
    # Whichever wins, the others were made against a version that is gone: CONFLICT, even for
    # an accept that, after a return, its caller would no longer be allowed to make.
    issue = await dispatched(actors)
    args = {"issueId": issue["id"], "version": issue["version"]}
    calls = [
        call(actors.member_a, "returnDispatch", reason="不属于本团职责", **args),
        call(actors.member_a, "acceptDispatch", **args),
        call(actors.member_a, "addIssueNote", note="并发备注", **args),
        call(actors.dispatcher, "escalateIssue", reason="督办", **args),
    ]
    results = await asyncio.gather(*(calls if return_first else calls[::-1]))
    codes = sorted(r["userErrors"][0]["code"] if r["userErrors"] else "ok" for r in results)
    assert codes == ["CONFLICT", "CONFLICT", "CONFLICT", "ok"]
    await assert_replays(pk(issue["id"]))


async def test_concurrent_reports_get_distinct_consecutive_numbers(actors):
    results = await asyncio.gather(
        *(
            call(
                actors.dispatcher,
                "reportIssue",
                enterpriseId=gid("Enterprise", actors.people.enterprise.id),
                category="SALES",
                title=f"产品滞销{i}",
                source="ONLINE",
            )
            for i in range(30)
        )
    )
    assert all(r["userErrors"] == [] for r in results)
    numbers = sorted(r["issue"]["number"] for r in results)
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert len(set(numbers)) == 30 and seqs == list(range(seqs[0], seqs[0] + 30))


async def test_a_number_taken_meanwhile_is_drawn_again(actors, settings, monkeypatch):
    # As when another process (SQLite has no advisory lock) took the number first.
    taken = (await Issue.all().order_by("-id").first()).number
    original = IssueWorkflow._next_numbers
    drawn = []

    async def taken_once(self, conn, year, count):
        numbers = await original(self, conn, year, count)
        drawn.append(numbers)
        return [taken] if len(drawn) == 1 else numbers

    monkeypatch.setattr(IssueWorkflow, "_next_numbers", taken_once)
    issue = await IssueWorkflow(actors.dispatcher.staff, settings).report(
        actors.people.enterprise.id, IssueDraft(IssueCategory.TALENT, "招聘技术骨干", IssueSource.ONLINE)
    )
    assert len(drawn) == 2 and issue.number == drawn[1][0] != taken
    assert await Issue.filter(number=taken).count() == 1


# -- no partial writes ----------------------------------------------------------------------------


def boom(*args, **kwargs):
    raise RuntimeError("injected failure")


async def test_a_failure_in_the_middle_of_a_transition_writes_nothing(actors, settings, monkeypatch):
    p = actors.people
    issue = await report(actors)
    issue_id = pk(issue["id"])
    before = await snapshot(issue_id)
    dispatch = {
        "issueId": issue["id"],
        "version": 1,
        "leadTeamId": gid("ServiceTeam", p.team_a),
        "coHandlerTeamIds": [gid("ServiceTeam", p.team_b)],
    }
    # The orders are written, then the issue row, then the event fails.
    monkeypatch.setattr(IssueEvent, "create", classmethod(lambda cls, *a, **k: boom()))
    body = await actors.dispatcher.raw(
        "mutation($input: DispatchIssueInput!) { dispatchIssue(input: $input) { issue { id } } }", {"input": dispatch}
    )
    assert body["errors"][0]["message"] == "Unexpected error." and body["data"] is None
    assert await snapshot(issue_id) == before
    assert not await DispatchOrder.filter(issue_id=issue_id).exists()
    # A new issue whose report event fails is not stored, and uses up no number.
    count = await Issue.all().count()
    workflow = IssueWorkflow(actors.dispatcher.staff, settings, broker=None)
    with pytest.raises(RuntimeError):
        await workflow.report(p.enterprise.id, IssueDraft(IssueCategory.LAND, "用地指标", IssueSource.HOTLINE))
    assert await Issue.all().count() == count
    monkeypatch.undo()

    # The order insert fails: the issue row is untouched too.
    monkeypatch.setattr(DispatchOrder, "bulk_create", classmethod(lambda cls, *a, **k: boom()))
    with pytest.raises(RuntimeError):
        await IssueWorkflow(actors.dispatcher.staff, settings).dispatch(issue_id, 1, p.team_a)
    assert await snapshot(issue_id) == before
    monkeypatch.undo()
    # And it works once the failure is gone; the number sequence has no gap.
    issue = await ok(actors.dispatcher, "dispatchIssue", **dispatch)
    assert issue["status"] == "DISPATCHED"
    fresh = await report(actors)
    assert int(fresh["number"][-5:]) == int(issue["number"][-5:]) + 1


async def test_a_failure_while_approving_an_extension_writes_nothing(actors, monkeypatch):
    issue = await in_progress(actors)
    payload = await call(
        actors.member_a,
        "requestExtension",
        issueId=issue["id"],
        version=3,
        requestedDeadline="2099-06-01T09:00:00Z",
        reason="等待省级批复",
    )
    request_id = payload["extensionRequest"]["id"]
    before = await snapshot(pk(issue["id"]))
    monkeypatch.setattr(IssueEvent, "create", classmethod(lambda cls, *a, **k: boom()))
    body = await actors.dispatcher.raw(
        "mutation($input: DecideExtensionInput!) { decideExtension(input: $input) { issue { id } } }",
        {"input": {"extensionRequestId": request_id, "version": 4, "approve": True}},
    )
    assert body["errors"]
    assert await snapshot(pk(issue["id"])) == before
    assert (await ExtensionRequest.get(id=pk(request_id))).status.value == "pending"


# -- deadlines ------------------------------------------------------------------------------------


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def test_deadlines_count_chinese_working_days_with_make_up_days(actors, settings):
    p = actors.people
    staff = actors.dispatcher.staff
    # Spring Festival 2025: off 28 Jan – 4 Feb; Sunday 26 Jan and Saturday 8 Feb are working days.
    # Reported Friday 24 Jan, urgent (3 working days): Sun 26, Mon 27, Wed 5 Feb.
    reported = await IssueWorkflow(staff, settings, local(2025, 1, 24, 10, 0)).report(
        p.enterprise.id,
        IssueDraft(IssueCategory.LOGISTICS, "生猪运输车辆通行证", IssueSource.HOTLINE, IssuePriority.URGENT),
    )
    assert reported.deadline == local(2025, 2, 5, 17, 30)
    assert reported.number.startswith("WS-2025-")
    # Dispatched on the make-up Sunday 26 Jan without a deadline: the order is due at the issue's
    # deadline, which stays (one deadline per issue).
    issue = await IssueWorkflow(staff, settings, local(2025, 1, 26, 9, 0)).dispatch(reported.id, 1, p.team_a)
    [order] = await DispatchOrder.filter(issue_id=issue.id)
    assert order.due_at == issue.deadline == local(2025, 2, 5, 17, 30)
    assert (await Issue.get(id=issue.id)).deadline == local(2025, 2, 5, 17, 30)

    # National Day 2025: off 1–8 Oct; Sunday 28 Sep and Saturday 11 Oct are working days.
    # Reported Friday 26 Sep, financing, normal: Sun 28, Mon 29, Tue 30, Thu 9, Fri 10, Sat 11, Mon 13.
    reported = await IssueWorkflow(staff, settings, local(2025, 9, 26, 15, 0)).report(
        p.enterprise.id, IssueDraft(IssueCategory.FINANCING, "贷款续贷", IssueSource.ONLINE)
    )
    assert reported.deadline == local(2025, 10, 13, 17, 30)
    # The dispatcher sets the day: a holiday Saturday is refused, the make-up Saturday 11 Oct is a
    # working day; the issue is due at its close of business, and its warning thresholds follow.
    on_30_sep = IssueWorkflow(staff, settings, local(2025, 9, 30, 16, 0))
    with pytest.raises(ServiceError) as refusal:
        await on_30_sep.dispatch(reported.id, 1, p.team_a, due_on=date(2025, 10, 4))
    assert (refusal.value.field, refusal.value.code) == ("dueOn", ErrorCode.NOT_A_WORKING_DAY)
    issue = await on_30_sep.dispatch(reported.id, 1, p.team_a, due_on=date(2025, 10, 11))
    [order] = await DispatchOrder.filter(issue_id=issue.id)
    row = await Issue.get(id=issue.id)
    assert order.due_at == row.deadline == local(2025, 10, 11, 17, 30)
    assert (row.yellow_at, row.orange_at) == thresholds(row.reported_at, row.deadline, 0.5, 0.8)
    event = await IssueEvent.filter(issue_id=issue.id, action="dispatch").get()
    assert "办理时限由2025-10-13 17:30改为2025-10-11 17:30" in event.note
    # Land needs another department's approval: normal priority gets 15 working days,
    # Sun 28 Sep … Tue 30 Sep (3), Thu 9 … Sat 11 Oct (6), Mon 13 … Fri 17 (11), Mon 20 … Thu 23 (15).
    land = await IssueWorkflow(staff, settings, local(2025, 9, 26, 15, 0)).report(
        p.enterprise.id, IssueDraft(IssueCategory.LAND, "厂房扩建用地", IssueSource.VISIT)
    )
    assert land.deadline == local(2025, 10, 23, 17, 30)
    # An explicit deadline wins over the rules, for the issue and its orders.
    issue = await IssueWorkflow(staff, settings, local(2025, 9, 29, 9, 0)).dispatch(
        land.id, 1, p.team_a, deadline=local(2025, 10, 20, 12, 0)
    )
    [order] = await DispatchOrder.filter(issue_id=issue.id)
    assert order.due_at == (await Issue.get(id=issue.id)).deadline == local(2025, 10, 20, 12, 0)


async def test_an_extension_moves_the_deadline_only_once_approved(actors):
    issue = await in_progress(actors)
    issue_id = pk(issue["id"])
    original = await Issue.get(id=issue_id)
    asked = original.deadline + timedelta(days=10)
    error = await refused(
        actors.dispatcher,
        "requestExtension",
        "FORBIDDEN",
        issueId=issue["id"],
        version=3,
        requestedDeadline=asked.isoformat(),
        reason="等待省级批复",
    )
    payload = await call(
        actors.member_a,
        "requestExtension",
        issueId=issue["id"],
        version=3,
        requestedDeadline=asked.isoformat(),
        reason="等待省级批复",
    )
    assert payload["userErrors"] == [] and payload["extensionRequest"]["status"] == "PENDING"
    row = await Issue.get(id=issue_id)
    assert (row.deadline, row.yellow_at, row.orange_at) == (original.deadline, original.yellow_at, original.orange_at)
    assert payload["issue"]["extensionRequests"][0]["previousDeadline"] == payload["issue"]["deadline"]
    # One request at a time.
    error = await refused(
        actors.member_a,
        "requestExtension",
        "DUPLICATE",
        issueId=issue["id"],
        version=4,
        requestedDeadline=(asked + timedelta(days=1)).isoformat(),
        reason="再延",
    )
    assert "already waiting" in error["message"]
    # A team member cannot decide; a rejection moves nothing.
    request_id = payload["extensionRequest"]["id"]
    await refused(
        actors.member_a, "decideExtension", "FORBIDDEN", extensionRequestId=request_id, version=4, approve=True
    )
    decided = await call(
        actors.dispatcher, "decideExtension", extensionRequestId=request_id, version=4, approve=False, note="请加快办理"
    )
    assert decided["extensionRequest"] == {"id": request_id, "status": "REJECTED", "note": "请加快办理"}
    row = await Issue.get(id=issue_id)
    assert row.deadline == original.deadline and row.version == 5
    orders_before = await DispatchOrder.filter(issue_id=issue_id).values_list("due_at", flat=True)

    # Asked again, approved: the deadline, the warning thresholds and the live orders move.
    payload = await call(
        actors.member_a,
        "requestExtension",
        issueId=issue["id"],
        version=5,
        requestedDeadline=asked.isoformat(),
        reason="省级批复已受理",
    )
    decided = await call(
        actors.dispatcher,
        "decideExtension",
        extensionRequestId=payload["extensionRequest"]["id"],
        version=6,
        approve=True,
    )
    assert decided["userErrors"] == [] and decided["extensionRequest"]["status"] == "APPROVED"
    row = await Issue.get(id=issue_id)
    assert row.deadline == asked
    assert (row.yellow_at, row.orange_at) == thresholds(row.reported_at, asked, 0.5, 0.8)
    assert when(decided["issue"]["deadline"]) == asked
    assert all(d < asked for d in orders_before)
    assert set(await DispatchOrder.filter(issue_id=issue_id).values_list("due_at", flat=True)) == {asked}
    statuses = [r["status"] for r in decided["issue"]["extensionRequests"]]
    assert statuses == ["REJECTED", "APPROVED"]
    assert decided["issue"]["extensionRequests"][1]["decidedBy"]["id"] == gid("Staff", actors.dispatcher.staff.id)
    events = await assert_replays(issue_id)
    assert [e.action for e in events][-4:] == ["request_extension", "decide_extension"] * 2


# -- escalation flag, live updates ----------------------------------------------------------------


async def test_overdue_issues_are_flagged_for_escalation_until_escalated(actors, settings):
    p = actors.people
    month_ago = datetime.now(UTC) - timedelta(days=30)
    old = await IssueWorkflow(actors.dispatcher.staff, settings, month_ago).report(
        p.enterprise.id, IssueDraft(IssueCategory.POWER, "线路频繁跳闸", IssueSource.HOTLINE, IssuePriority.URGENT)
    )
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Issue {{ {ISSUE_FIELDS} }} }} }}"
    issue = (await actors.dispatcher(query, {"id": gid("Issue", old.id)}))["node"]
    assert issue["warningColor"] == "RED" and issue["needsEscalation"] and issue["escalatedAt"] is None
    flagged_query = (
        "query($f: IssueFilter) { issues(filter: $f, first: 100) { totalCount nodes { id needsEscalation } } }"
    )
    flagged = (
        await actors.dispatcher(
            flagged_query, {"f": {"needsEscalation": True, "enterprise": gid("Enterprise", p.enterprise.id)}}
        )
    )["issues"]
    assert issue["id"] in [n["id"] for n in flagged["nodes"]] and all(n["needsEscalation"] for n in flagged["nodes"])
    issue = await ok(actors.dispatcher, "escalateIssue", issueId=issue["id"], version=1, reason="超期未派单，督办。")
    assert issue["escalatedAt"] and not issue["needsEscalation"] and issue["warningColor"] == "RED"
    after = (
        await actors.dispatcher(
            flagged_query, {"f": {"needsEscalation": True, "enterprise": gid("Enterprise", p.enterprise.id)}}
        )
    )["issues"]
    assert after["totalCount"] == flagged["totalCount"] - 1


async def test_committed_changes_are_published(actors, app):
    broker = app.state.broker
    messages = broker.subscribe("issues")
    first = asyncio.ensure_future(messages.__anext__())
    await asyncio.sleep(0)
    issue = await report(actors)
    message = await asyncio.wait_for(first, 2)
    assert message == {"issueId": pk(issue["id"]), "action": "report", "status": "reported", "version": 1}
    # A refused change publishes nothing.
    await refused(actors.admin, "resolveIssue", "ILLEGAL_TRANSITION", issueId=issue["id"], version=1, summary="x")
    following = asyncio.ensure_future(messages.__anext__())
    await ok(actors.dispatcher, "escalateIssue", issueId=issue["id"], version=1, reason="督办")
    message = await asyncio.wait_for(following, 2)
    before = message.pop("before")
    assert message == {"issueId": pk(issue["id"]), "action": "escalate", "status": "reported", "version": 2}
    # The state before the change travels with it (subscribers tell an issue leaving their filter).
    assert before["status"] == "reported" and before["escalatedAt"] is None and before["teamIds"] == []
    await messages.aclose()


async def test_a_broker_failure_does_not_undo_a_committed_change(actors, settings):
    class DownBroker:
        async def publish(self, channel, message):
            raise ConnectionError("broker down")

    workflow = IssueWorkflow(actors.dispatcher.staff, settings, broker=DownBroker())
    issue = await workflow.report(
        actors.people.enterprise.id, IssueDraft(IssueCategory.SALES, "滞销", IssueSource.ONLINE)
    )
    assert (await Issue.get(id=issue.id)).status == IssueStatus.REPORTED


async def test_resolving_closes_a_pending_extension_request(actors):
    from yimi.issues.models import ExtensionRequest, ExtensionStatus

    issue = await in_progress(actors)
    asked = (await Issue.get(id=pk(issue["id"]))).deadline + timedelta(days=5)
    payload = await call(
        actors.member_a,
        "requestExtension",
        issueId=issue["id"],
        version=3,
        requestedDeadline=asked.isoformat(),
        reason="等待检测报告",
    )
    assert payload["extensionRequest"]["status"] == "PENDING"
    resolved = await call(actors.member_a, "resolveIssue", issueId=issue["id"], version=4, summary="已协调完成")
    assert resolved["userErrors"] == []
    request = await ExtensionRequest.get(id=pk(payload["extensionRequest"]["id"]))
    assert request.status == ExtensionStatus.REJECTED and request.decided_at is not None
    assert (await Issue.get(id=pk(issue["id"]))).deadline != asked
