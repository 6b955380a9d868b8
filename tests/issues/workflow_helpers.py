"""Shared by the workflow tests: the cast of demo staff, GraphQL snippets and state snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from yimi.accounts.models import Staff
from yimi.common.ids import to_global_id
from yimi.enterprises.models import Enterprise
from yimi.issues.models import DispatchOrder, ExtensionRequest, Issue, IssueEvent
from yimi.issues.workflow import replay
from yimi.teams.models import TeamMember
from yimi.townships.models import Township

ISSUE_FIELDS = """
  id number status version deadline escalatedAt needsEscalation resolution resolvedAt closedAt
  satisfaction satisfactionComment warningColor
  leadTeam { id } coHandlers { id }
  dispatches { team { id } role dueAt acceptedAt returnedAt returnReason instruction }
  events { action fromStatus toStatus note actor { id } }
  extensionRequests { id status requestedDeadline previousDeadline reason note decidedBy { id } requestedBy { id } }
"""
PAYLOAD = f"issue {{ {ISSUE_FIELDS} }} userErrors {{ field code message }}"

MUTATIONS = {
    name: f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input) {{ {PAYLOAD} {extra} }} }}"
    for name, extra in [
        ("reportIssue", ""),
        ("dispatchIssue", ""),
        ("acceptDispatch", ""),
        ("returnDispatch", ""),
        ("addIssueNote", ""),
        ("resolveIssue", ""),
        ("confirmIssue", ""),
        ("reopenIssue", ""),
        ("requestExtension", "extensionRequest { id status }"),
        ("decideExtension", "extensionRequest { id status note }"),
        ("escalateIssue", ""),
    ]
}


async def call(gql, name: str, **input) -> dict:
    """The payload of mutation ``name`` with ``input``."""
    return (await gql(MUTATIONS[name], {"input": input}))[name]


async def ok(gql, name: str, **input) -> dict:
    """The issue of a mutation that must succeed."""
    payload = await call(gql, name, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["issue"]


async def refused(gql, name: str, code: str, **input) -> dict:
    """The one user error of a mutation that must fail with ``code``; its issue is null."""
    payload = await call(gql, name, **input)
    assert payload["issue"] is None, payload
    [error] = payload["userErrors"]
    assert error["code"] == code, error
    return error


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


def pk(global_id: str) -> int:
    from yimi.common.ids import parse_global_id

    return parse_global_id(global_id, "id")[1]


@dataclass
class Cast:
    """Demo people and things the workflow tests act with."""

    enterprise: Enterprise  # has a commissioner; in an unscoped township
    township_code: str
    commissioner: Staff  # the enterprise's commissioner
    other_commissioner: Staff  # commissioner of other enterprises, not this one
    team_a: int
    member_a: Staff  # in team A, not in team B
    team_b: int
    member_b: Staff  # in team B, not in team A
    team_c: int  # neither member belongs to it


async def cast() -> Cast:
    enterprise = await Enterprise.filter(commissioner_id__isnull=False).order_by("id").first()
    township = await Township.get(id=enterprise.township_id)
    commissioner = await Staff.get(id=enterprise.commissioner_id)
    other = next(
        s
        for s in await Staff.filter(is_active=True).order_by("id")
        if "commissioner" in s.roles and s.id != commissioner.id
    )
    teams: dict[int, set[int]] = {}
    for team_id, staff_id in await TeamMember.all().values_list("team_id", "staff_id"):
        teams.setdefault(staff_id, set()).add(team_id)
    members = [s for s in await Staff.filter(is_active=True).order_by("id") if s.roles == ["team_member"]]
    member_a = members[0]
    team_a = min(teams[member_a.id])
    member_b = next(m for m in members if team_a not in teams.get(m.id, set()) and teams.get(m.id))
    team_b = min(teams[member_b.id] - teams[member_a.id])
    all_teams = {t for ts in teams.values() for t in ts}
    team_c = min(all_teams - teams[member_a.id] - teams[member_b.id])
    return Cast(enterprise, township.code, commissioner, other, team_a, member_a, team_b, member_b, team_c)


async def snapshot(issue_id: int) -> tuple:
    """Everything a transition may write about an issue, for 'nothing changed' checks."""
    issue = await Issue.get(id=issue_id)
    row = tuple(
        getattr(issue, f)
        for f in (
            "status",
            "version",
            "deadline",
            "yellow_at",
            "orange_at",
            "lead_team_id",
            "resolution",
            "resolved_at",
            "closed_at",
            "satisfaction",
            "satisfaction_comment",
            "escalated_at",
        )
    )
    orders = (
        await DispatchOrder.filter(issue_id=issue_id)
        .order_by("id")
        .values_list("id", "team_id", "due_at", "accepted_at", "returned_at")
    )
    events = await IssueEvent.filter(issue_id=issue_id).order_by("id").values_list("id", "action")
    requests = await ExtensionRequest.filter(issue_id=issue_id).order_by("id").values_list("id", "status")
    return row, tuple(orders), tuple(events), tuple(requests)


async def assert_replays(issue_id: int) -> list[IssueEvent]:
    """The stored timeline replays to the stored status, one event per version."""
    issue = await Issue.get(id=issue_id)
    events = await IssueEvent.filter(issue_id=issue_id).order_by("created_at", "id")
    assert replay((e.action, e.from_status, e.to_status) for e in events) == issue.status
    assert issue.version == len(events)
    return events


SIGN_IN = "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } } }"


@dataclass
class Actors:
    """Signed-in GraphQL clients, one per part of the cast."""

    people: Cast
    admin: object
    dispatcher: object
    viewer: object
    commissioner: object
    other_commissioner: object
    member_a: object
    member_b: object
    https: list


async def sign_in_as(app, staff: Staff, https: list):
    import httpx

    from tests.conftest import TEST_PASSWORD, GraphQLClient
    from yimi.accounts.service import set_password

    if staff.password_hash is None:
        await set_password(staff, TEST_PASSWORD)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    https.append(http)
    gql = GraphQLClient(http)
    assert (await gql(SIGN_IN, {"u": staff.username, "p": TEST_PASSWORD}))["signIn"]["staff"]
    gql.staff = staff
    return gql


async def make_actors(app) -> Actors:
    people = await cast()
    https: list = []
    staff = await Staff.filter(is_active=True).order_by("id")

    def first(role: str) -> Staff:
        return next(s for s in staff if role in s.roles and not s.township_scope)

    async def client(s: Staff):
        return await sign_in_as(app, s, https)

    return Actors(
        people=people,
        admin=await client(first("admin")),
        dispatcher=await client(first("dispatcher")),
        viewer=await client(first("viewer")),
        commissioner=await client(people.commissioner),
        other_commissioner=await client(people.other_commissioner),
        member_a=await client(people.member_a),
        member_b=await client(people.member_b),
        https=https,
    )
