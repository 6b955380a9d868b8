"""Issue.viewerActions against the mutations: every role in every status, and its cost on a page.

For each status (and an open issue with a pending extension request) and each member of the cast,
the test reads viewerActions, then tries every action as its mutation with valid input: each
listed one must succeed (then a fresh issue in that status takes over) and each other one must be
refused, changing nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import count_sql
from tests.issues.workflow_helpers import call, gid, make_actors, ok, pk, snapshot
from yimi.issues.action_rules import IssueAction

ACTIONS = [a.name for a in IssueAction]
STATES = ["REPORTED", "DISPATCHED", "IN_PROGRESS", "PENDING_EXTENSION", "RETURNED", "REOPENED", "RESOLVED", "CLOSED"]
ROLES = ["admin", "dispatcher", "viewer", "commissioner", "other_commissioner", "member_a", "member_b"]
READ = """query($id: ID!) { node(id: $id) { ... on Issue {
  id version status deadline viewerActions pendingExtensionRequest { id extraWorkingDays requestedDeadline }
  extensionRequests { id status }
} } }"""


@pytest.fixture(scope="module")
async def actors(app):
    actors = await make_actors(app)
    yield actors
    for http in actors.https:
        await http.aclose()


async def with_rejected_request(actors, issue: dict) -> dict:
    """``issue`` with an extension request asked for and rejected, so that deciding has a request to name."""
    asked = datetime.fromisoformat(issue["deadline"]) + timedelta(days=10)
    made = await call(
        actors.member_a,
        "requestExtension",
        issueId=issue["id"],
        version=issue["version"],
        requestedDeadline=asked.isoformat(),
        reason="等待审批",
    )
    assert made["userErrors"] == [], made
    return await ok(
        actors.dispatcher,
        "decideExtension",
        extensionRequestId=made["extensionRequest"]["id"],
        version=made["issue"]["version"],
        approve=False,
    )


async def issue_in(actors, state: str) -> dict:
    """A fresh issue of the cast's enterprise in ``state``, led by team A with team B co-handling."""
    p = actors.people
    d, a = actors.dispatcher, actors.member_a
    issue = await ok(
        d,
        "reportIssue",
        enterpriseId=gid("Enterprise", p.enterprise.id),
        category="POWER",
        title="雨后线路频繁跳闸",
        source="VISIT",
    )
    if state == "REPORTED":
        return issue

    def at(i: dict) -> dict:
        return {"issueId": i["id"], "version": i["version"]}

    team_a, team_b = gid("ServiceTeam", p.team_a), gid("ServiceTeam", p.team_b)
    issue = await ok(d, "dispatchIssue", leadTeamId=team_a, coHandlerTeamIds=[team_b], **at(issue))
    issue = await with_rejected_request(actors, issue)
    if state == "DISPATCHED":
        return issue
    if state == "RETURNED":
        return await ok(a, "returnDispatch", reason="不属本团职责", **at(issue))
    issue = await ok(a, "acceptDispatch", **at(issue))
    if state == "IN_PROGRESS":
        return issue
    if state == "PENDING_EXTENSION":
        asked = datetime.fromisoformat(issue["deadline"]) + timedelta(days=20)
        return (
            await call(a, "requestExtension", requestedDeadline=asked.isoformat(), reason="需省级批复", **at(issue))
        )["issue"]
    issue = await ok(a, "resolveIssue", summary="已协调供电公司检修线路", **at(issue))
    if state == "RESOLVED":
        return issue
    if state == "CLOSED":
        return await ok(d, "confirmIssue", satisfaction="SATISFIED", **at(issue))
    assert state == "REOPENED"
    return await ok(d, "confirmIssue", satisfaction="UNSATISFIED", comment="仍有跳闸", **at(issue))


async def attempt(actors, gql, action: str, issue: dict) -> dict:
    """The payload of ``action``'s mutation on ``issue`` (as read just before) with valid input."""
    p = actors.people
    at = {"issueId": issue["id"], "version": issue["version"]}
    if action == "DISPATCH":
        team_a, team_b = gid("ServiceTeam", p.team_a), gid("ServiceTeam", p.team_b)
        return await call(gql, "dispatchIssue", leadTeamId=team_a, coHandlerTeamIds=[team_b], **at)
    if action == "ACCEPT":
        return await call(gql, "acceptDispatch", **at)
    if action == "RETURN":
        return await call(gql, "returnDispatch", reason="不属本团职责", **at)
    if action == "ADD_NOTE":
        return await call(gql, "addIssueNote", note="已电话联系企业", **at)
    if action == "RESOLVE":
        return await call(gql, "resolveIssue", summary="已办结", **at)
    if action == "CONFIRM":
        return await call(gql, "confirmIssue", satisfaction="BASICALLY_SATISFIED", **at)
    if action == "REOPEN":
        return await call(gql, "reopenIssue", reason="企业反映问题复发", **at)
    if action == "REQUEST_EXTENSION":
        asked = datetime.fromisoformat(issue["deadline"]) + timedelta(days=30)
        return await call(gql, "requestExtension", requestedDeadline=asked.isoformat(), reason="需要时间", **at)
    if action == "DECIDE_EXTENSION":
        pending = issue["pendingExtensionRequest"]
        request = pending["id"] if pending else issue["extensionRequests"][-1]["id"]
        return await call(gql, "decideExtension", extensionRequestId=request, version=issue["version"], approve=True)
    assert action == "ESCALATE"
    return await call(gql, "escalateIssue", reason="已超期，请加快办理", **at)


async def read_as(actors, gql, issue_id: str) -> tuple[dict, list[str]]:
    """The issue as the administrator reads it, and the viewerActions of ``gql``: none when ``gql`` may
    not read the issue at all (a team member before it reaches their team, another commissioner)."""
    read = (await actors.admin(READ, {"id": issue_id}))["node"]
    body = await gql.raw(READ, {"id": issue_id})
    node = (body.get("data") or {}).get("node")
    if node is None:
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        return read, []
    return read, node["viewerActions"]


@pytest.mark.parametrize("state", STATES)
async def test_each_listed_action_succeeds_and_each_other_is_refused(actors, state):
    listed_somewhere: set[str] = set()
    for role in ROLES:
        gql = getattr(actors, role)
        issue = await issue_in(actors, state)
        read, listed = await read_as(actors, gql, issue["id"])
        assert read["status"] == state.replace("PENDING_EXTENSION", "IN_PROGRESS")
        assert (read["pendingExtensionRequest"] is not None) == (state == "PENDING_EXTENSION")
        listed_somewhere |= set(listed)
        for action in ACTIONS:
            if state == "REPORTED" and action == "DECIDE_EXTENSION":
                # A reported issue never had an extension request: there is none to name.
                assert action not in listed
                continue
            before = await snapshot(pk(read["id"]))
            payload = await attempt(actors, gql, action, read)
            if action in listed:
                assert payload["userErrors"] == [], (state, role, action, payload["userErrors"])
                issue = await issue_in(actors, state)
                read, again = await read_as(actors, gql, issue["id"])
                assert again == listed, (state, role)
            else:
                assert payload["issue"] is None, (state, role, action)
                [error] = payload["userErrors"]
                refusals = ("FORBIDDEN", "ILLEGAL_TRANSITION", "DUPLICATE", "NOT_FOUND")
                assert error["code"] in refusals, (state, role, action, error)
                assert await snapshot(pk(read["id"])) == before, (state, role, action)
    # The matrix is not vacuous: someone may act on an issue in every status.
    assert listed_somewhere


EXPECTED = {
    # Spot checks of the rules the matrix above applies, as a reader of the issue would state them.
    ("dispatcher", "REPORTED"): ["DISPATCH", "ADD_NOTE", "ESCALATE"],
    ("member_a", "REPORTED"): [],
    ("member_a", "DISPATCHED"): ["ACCEPT", "RETURN", "ADD_NOTE", "REQUEST_EXTENSION"],
    ("dispatcher", "DISPATCHED"): ["ADD_NOTE", "ESCALATE"],
    ("member_b", "DISPATCHED"): ["ADD_NOTE"],
    ("viewer", "IN_PROGRESS"): [],
    ("dispatcher", "PENDING_EXTENSION"): ["ADD_NOTE", "DECIDE_EXTENSION", "ESCALATE"],
    ("member_a", "PENDING_EXTENSION"): ["ADD_NOTE", "RESOLVE"],
    ("commissioner", "RESOLVED"): ["ADD_NOTE", "CONFIRM"],
    ("other_commissioner", "RESOLVED"): [],
    ("dispatcher", "CLOSED"): ["ADD_NOTE", "REOPEN"],
}


@pytest.mark.parametrize("role,state", list(EXPECTED))
async def test_viewer_actions_by_role(actors, role, state):
    issue = await issue_in(actors, state)
    _, listed = await read_as(actors, getattr(actors, role), issue["id"])
    assert listed == EXPECTED[role, state]


async def test_the_pending_request_says_what_the_dispatcher_decides(actors):
    issue = await issue_in(actors, "PENDING_EXTENSION")
    read = (await actors.dispatcher(READ, {"id": issue["id"]}))["node"]
    pending = read["pendingExtensionRequest"]
    assert datetime.fromisoformat(pending["requestedDeadline"]) > datetime.fromisoformat(read["deadline"])
    # 20 calendar days later: at least 12 working days, whatever the holidays in between.
    assert 10 <= pending["extraWorkingDays"] <= 15


PAGE = "query($n: Int!) { issues(first: $n) { nodes { id status viewerActions } } }"


@pytest.mark.parametrize("role", ["dispatcher", "member_a", "commissioner"])
async def test_viewer_actions_take_a_fixed_number_of_queries_per_page(actors, role):
    gql = getattr(actors, role)
    await gql(PAGE, {"n": 1})  # the query-cost figures are cached after the first request
    with count_sql() as small:
        few = (await gql(PAGE, {"n": 5}))["issues"]["nodes"]
    with count_sql() as large:
        many = (await gql(PAGE, {"n": 100}))["issues"]["nodes"]
    assert len(many) > len(few) > 1
    assert any(node["viewerActions"] for node in many)
    # Sign-in check, page, count, enterprises, townships, orders, extension requests, the caller's teams.
    assert len(large) == len(small) <= 12, large


@pytest.mark.parametrize("role", ROLES)
async def test_viewer_can_report_issue_says_whether_reporting_succeeds(actors, role):
    gql = getattr(actors, role)
    enterprise = gid("Enterprise", actors.people.enterprise.id)
    query = "query($id: ID!) { node(id: $id) { ... on Enterprise { viewerCanReportIssue } } }"
    can = (await gql(query, {"id": enterprise}))["node"]["viewerCanReportIssue"]
    assert can == (role in ("admin", "dispatcher", "commissioner"))
    payload = await call(
        gql, "reportIssue", enterpriseId=enterprise, category="SALES", title="销路不畅", source="VISIT"
    )
    assert (payload["userErrors"] == []) == can, payload["userErrors"]
    if not can:
        assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"]


async def test_a_mutations_payload_lists_the_actions_after_it(actors):
    """The payload's issue answers viewerActions for its new state (the request's loaders forget the old)."""
    issue = await issue_in(actors, "REPORTED")
    p = actors.people
    mutation = """mutation($input: DispatchIssueInput!) { dispatchIssue(input: $input) {
      issue { status viewerActions } userErrors { code } } }"""
    payload = (
        await actors.dispatcher(
            mutation,
            {
                "input": {
                    "issueId": issue["id"],
                    "version": issue["version"],
                    "leadTeamId": gid("ServiceTeam", p.team_a),
                }
            },
        )
    )["dispatchIssue"]
    assert payload["issue"] == {"status": "DISPATCHED", "viewerActions": ["ADD_NOTE", "ESCALATE"]}
