"""Work queues (IssueFilter.queue) per role, against sets worked out from the stored rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.issues.workflow_helpers import call, gid, make_actors, ok, pk
from yimi.enterprises.models import Enterprise
from yimi.issues.models import DispatchOrder, ExtensionRequest, Issue, IssueCategory, IssueSource, IssueStatus
from yimi.issues.service import IssueDraft, IssueWorkflow
from yimi.teams.models import TeamMember

IDS = """query($filter: IssueFilter, $after: String) {
  issues(filter: $filter, first: 100, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } }
}"""
OPEN = {"reported", "dispatched", "in_progress", "returned", "reopened"}


@pytest.fixture(scope="module")
async def actors(app):
    actors = await make_actors(app)
    yield actors
    for http in actors.https:
        await http.aclose()


async def queue(gql, name: str, **filter) -> set[int]:
    ids, after, total = set(), None, None
    while True:
        conn = (await gql(IDS, {"filter": {"queue": name, **filter}, "after": after}))["issues"]
        total = conn["totalCount"]
        ids |= {pk(n["id"]) for n in conn["nodes"]}
        if not conn["pageInfo"]["hasNextPage"]:
            assert total == len(ids)
            return ids
        after = conn["pageInfo"]["endCursor"]


async def team_ids(staff) -> set[int]:
    return set(await TeamMember.filter(staff_id=staff.id).values_list("team_id", flat=True))


async def rows() -> dict[int, tuple]:
    return {
        i: (status, lead, deadline, enterprise)
        for i, status, lead, deadline, enterprise in await Issue.all().values_list(
            "id", "status", "lead_team_id", "deadline", "enterprise_id"
        )
    }


async def live_order_teams() -> dict[int, set[int]]:
    teams: dict[int, set[int]] = {}
    for issue_id, team_id in await DispatchOrder.filter(returned_at__isnull=True).values_list("issue_id", "team_id"):
        teams.setdefault(issue_id, set()).add(team_id)
    return teams


@pytest.fixture(scope="module")
async def made(actors, settings):
    """One issue in each queue the cast can reach, so that no queue is checked empty."""
    p = actors.people
    d, a = actors.dispatcher, actors.member_a
    team_a, team_b = gid("ServiceTeam", p.team_a), gid("ServiceTeam", p.team_b)

    async def report() -> dict:
        return await ok(
            d,
            "reportIssue",
            enterpriseId=gid("Enterprise", p.enterprise.id),
            category="LABOUR",
            title="招工难",
            source="HOTLINE",
        )

    def at(i: dict) -> dict:
        return {"issueId": i["id"], "version": i["version"]}

    reported = await report()
    to_accept = await ok(d, "dispatchIssue", leadTeamId=team_a, coHandlerTeamIds=[team_b], **at(await report()))
    working = await ok(d, "dispatchIssue", leadTeamId=team_a, coHandlerTeamIds=[team_b], **at(await report()))
    working = await ok(a, "acceptDispatch", **at(working))
    asked = (datetime.fromisoformat(working["deadline"]) + timedelta(days=9)).isoformat()
    pending = (await call(a, "requestExtension", requestedDeadline=asked, reason="需要时间", **at(working)))["issue"]
    returned = await ok(d, "dispatchIssue", leadTeamId=team_a, **at(await report()))
    returned = await ok(a, "returnDispatch", reason="不属本团", **at(returned))
    # Reported a month ago with an urgent deadline: overdue now.
    staff = actors.dispatcher.staff
    past = datetime.now(UTC) - timedelta(days=30)
    late = await IssueWorkflow(staff, settings, past).report(
        p.enterprise.id, IssueDraft(IssueCategory.POWER, "跳闸", IssueSource.VISIT)
    )
    await IssueWorkflow(staff, settings, past).dispatch(late.id, 1, p.team_b)
    yield {
        "reported": pk(reported["id"]),
        "to_accept": pk(to_accept["id"]),
        "pending": pk(pending["id"]),
        "returned": pk(returned["id"]),
        "late": late.id,
    }
    # The cast's enterprise shows its worst open issue on the map: leave no red one behind.
    admin = IssueWorkflow(actors.admin.staff, settings)
    issue = await admin.accept(late.id, 2)
    await admin.resolve(late.id, issue.version, "已恢复供电")


async def test_team_member_queues(actors, made):
    now = datetime.now(UTC)
    for member in (actors.member_a, actors.member_b):
        mine = await team_ids(member.staff)
        stored, orders = await rows(), await live_order_teams()

        held = {i for i, row in stored.items() if row[1] in mine or orders.get(i, set()) & mine}
        to_accept = {i for i, (s, lead, _, _) in stored.items() if s == "dispatched" and lead in mine}
        working = {i for i, (s, _, _, _) in stored.items() if s in ("in_progress", "reopened") and i in held}
        overdue = {i for i, (s, _, due, _) in stored.items() if s in OPEN and due <= now and i in held}
        assert await queue(member, "TEAM_TO_ACCEPT") == to_accept
        assert await queue(member, "TEAM_IN_PROGRESS") == working
        assert await queue(member, "TEAM_OVERDUE") == overdue
    # The issues made for it: A leads, B co-handles; only the lead accepts.
    assert made["to_accept"] in await queue(actors.member_a, "TEAM_TO_ACCEPT")
    assert made["to_accept"] not in await queue(actors.member_b, "TEAM_TO_ACCEPT")
    assert made["pending"] in await queue(actors.member_b, "TEAM_IN_PROGRESS")
    assert made["late"] in await queue(actors.member_b, "TEAM_OVERDUE")
    assert made["late"] not in await queue(actors.member_a, "TEAM_OVERDUE")
    # A dispatcher belongs to no team: its team queues are empty, not everything.
    assert await queue(actors.dispatcher, "TEAM_TO_ACCEPT") == set()


async def test_dispatcher_queues(actors, made):
    stored = await rows()
    by_status = {s: {i for i, row in stored.items() if row[0] == s} for s in ("reported", "returned", "resolved")}
    pending = set(await ExtensionRequest.filter(status="pending").values_list("issue_id", flat=True))
    assert await queue(actors.dispatcher, "TO_DISPATCH") == by_status["reported"]
    assert await queue(actors.dispatcher, "RETURNED") == by_status["returned"]
    assert await queue(actors.dispatcher, "TO_CONFIRM") == by_status["resolved"]
    assert await queue(actors.dispatcher, "EXTENSIONS_TO_DECIDE") == pending
    assert made["reported"] in by_status["reported"] and made["returned"] in by_status["returned"]
    assert made["pending"] in pending
    # Queues combine with the other filters.
    assert await queue(actors.dispatcher, "TO_DISPATCH", statuses=["CLOSED"]) == set()
    township = {made["reported"]} & await queue(
        actors.dispatcher, "TO_DISPATCH", townshipCodes=[actors.people.township_code]
    )
    assert township == {made["reported"]}


async def test_commissioner_queue(actors, made):
    for gql in (actors.commissioner, actors.other_commissioner):
        theirs = set(await Enterprise.filter(commissioner_id=gql.staff.id).values_list("id", flat=True))
        expected = {i for i, row in (await rows()).items() if row[3] in theirs}
        assert await queue(gql, "MY_ENTERPRISES") == expected
    assert made["reported"] in await queue(actors.commissioner, "MY_ENTERPRISES")
    assert made["reported"] not in await queue(actors.other_commissioner, "MY_ENTERPRISES")
    open_ = await queue(actors.commissioner, "MY_ENTERPRISES", statuses=["REPORTED"])
    assert made["reported"] in open_
    statuses = set(await Issue.filter(id__in=list(open_)).values_list("status", flat=True))
    assert statuses == {IssueStatus.REPORTED}


def test_a_change_out_of_a_queue_is_told_to_its_subscribers():
    """``matched`` checks a queue's changeable part (status, lateness, pending request) on the state
    before a change, so that a subscriber to a queue hears when an issue leaves it."""
    from yimi.issues.filters import IssueCriteria, IssueQueue, matched, stable_part

    now = datetime.now(UTC)
    state = {
        "status": "dispatched",
        "leadTeamId": 1,
        "teamIds": [1],
        "deadline": (now + timedelta(days=5)).isoformat(),
        "yellowAt": (now + timedelta(days=1)).isoformat(),
        "orangeAt": (now + timedelta(days=4)).isoformat(),
        "escalatedAt": None,
        "pendingExtension": True,
    }
    to_accept = IssueCriteria(queue=IssueQueue.TEAM_TO_ACCEPT)
    assert matched(to_accept, state, now)
    assert not matched(to_accept, {**state, "status": "in_progress"}, now)
    overdue = IssueCriteria(queue=IssueQueue.TEAM_OVERDUE)
    assert not matched(overdue, state, now) and matched(overdue, state, now + timedelta(days=6))
    decide = IssueCriteria(queue=IssueQueue.EXTENSIONS_TO_DECIDE)
    assert matched(decide, state, now) and not matched(decide, {**state, "pendingExtension": False}, now)
    # Whose enterprise it is does not change with the issue: that part stays in the SQL.
    assert stable_part(IssueCriteria(queue=IssueQueue.MY_ENTERPRISES)).queue == IssueQueue.MY_ENTERPRISES
    assert stable_part(to_accept).queue is None
