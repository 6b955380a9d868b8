"""recordVisit and assignCommissioner through GraphQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.issues.workflow_helpers import assert_replays, gid, make_actors, pk
from yimi.accounts.models import Staff
from yimi.enterprises.models import Enterprise, Visit
from yimi.issues.models import Issue, IssueEvent, IssueSource

VISIT = """
mutation($input: RecordVisitInput!) {
  recordVisit(input: $input) {
    visit { id visitedOn notes enterprise { id } team { id } commissioner { id } issues { id number } }
    issues { id number status source title priority category events { action actor { id } } }
    userErrors { field code message }
  }
}
"""
VISIT_ISSUES = "query($id: ID!) { node(id: $id) { ... on Visit { issues { id } } } }"
ASSIGN = """
mutation($input: AssignCommissionerInput!) {
  assignCommissioner(input: $input) {
    enterprise { id commissioner { id } }
    userErrors { field code message }
  }
}
"""


@pytest.fixture(scope="module")
async def actors(app):
    actors = await make_actors(app)
    yield actors
    for http in actors.https:
        await http.aclose()


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


async def record(gql, **input) -> dict:
    return (await gql(VISIT, {"input": input}))["recordVisit"]


async def counts() -> tuple[int, int, int]:
    return await Visit.all().count(), await Issue.all().count(), await IssueEvent.all().count()


async def test_a_team_records_a_visit_and_the_issues_raised(actors):
    p = actors.people
    payload = await record(
        actors.member_a,
        enterpriseId=gid("Enterprise", p.enterprise.id),
        teamId=gid("ServiceTeam", p.team_a),
        visitedOn=today(),
        notes="  走访企业，了解复工复产情况。 ",
        issues=[
            {"category": "LABOUR", "title": "一线工人招工难", "description": "缺熟练工30人"},
            {"category": "POWER", "title": "汛后线路跳闸", "priority": "URGENT"},
        ],
    )
    assert payload["userErrors"] == []
    visit, issues = payload["visit"], payload["issues"]
    assert visit["visitedOn"] == today() and visit["notes"] == "走访企业，了解复工复产情况。"
    assert visit["team"]["id"] == gid("ServiceTeam", p.team_a) and visit["commissioner"] is None
    assert visit["enterprise"]["id"] == gid("Enterprise", p.enterprise.id)
    assert [i["id"] for i in visit["issues"]] == [i["id"] for i in issues]
    # Not dispatched yet, the issues stay visible to the team that raised them on its visit (and
    # to the administrator); another team's member does not see them.
    for reader in (actors.member_a, actors.admin):
        linked = (await reader(VISIT_ISSUES, {"id": visit["id"]}))["node"]
        assert [i["id"] for i in linked["issues"]] == [i["id"] for i in issues]
    assert (await actors.member_b(VISIT_ISSUES, {"id": visit["id"]}))["node"]["issues"] == []
    assert [(i["status"], i["source"], i["category"], i["priority"]) for i in issues] == [
        ("REPORTED", "VISIT", "LABOUR", "NORMAL"),
        ("REPORTED", "VISIT", "POWER", "URGENT"),
    ]
    seqs = [int(i["number"].rsplit("-", 1)[1]) for i in issues]
    assert seqs[1] == seqs[0] + 1
    for issue in issues:
        row = await Issue.get(id=pk(issue["id"]))
        assert row.visit_id == pk(visit["id"]) and row.source == IssueSource.VISIT
        [event] = await assert_replays(row.id)
        assert event.actor_id == p.member_a.id


async def test_a_commissioner_records_their_own_visit(actors):
    p = actors.people
    payload = await record(
        actors.commissioner, enterpriseId=gid("Enterprise", p.enterprise.id), visitedOn=today(), notes="专员走访"
    )
    assert payload["userErrors"] == [] and payload["issues"] == []
    assert payload["visit"]["commissioner"]["id"] == gid("Staff", p.commissioner.id)
    assert payload["visit"]["team"] is None


async def test_visits_refused_change_nothing(actors, anon):
    p = actors.people
    enterprise = gid("Enterprise", p.enterprise.id)
    base = {"enterpriseId": enterprise, "visitedOn": today(), "issues": [{"category": "LAND", "title": "用地指标"}]}
    before = await counts()

    async def error(client, **input):
        payload = await record(client, **{**base, **input})
        assert payload["visit"] is None and payload["issues"] == []
        [e] = payload["userErrors"]
        return e["field"], e["code"]

    assert await error(anon, teamId=gid("ServiceTeam", p.team_a)) == (None, "UNAUTHENTICATED")
    assert await error(actors.viewer, teamId=gid("ServiceTeam", p.team_a)) == (None, "FORBIDDEN")
    # Another team's member, another enterprise's commissioner.
    assert await error(actors.member_b, teamId=gid("ServiceTeam", p.team_a)) == (None, "FORBIDDEN")
    assert await error(actors.other_commissioner) == (None, "FORBIDDEN")
    assert await error(actors.commissioner, commissionerId=gid("Staff", p.other_commissioner.id)) == (None, "FORBIDDEN")
    # Bad input, named.
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)).isoformat()
    assert await error(actors.dispatcher, teamId=gid("ServiceTeam", p.team_a), visitedOn=tomorrow) == (
        "visitedOn",
        "OUT_OF_RANGE",
    )
    assert await error(actors.dispatcher) == ("teamId", "REQUIRED")
    assert await error(actors.dispatcher, teamId="nonsense") == ("teamId", "NOT_A_GLOBAL_ID")
    assert await error(actors.dispatcher, teamId=gid("ServiceTeam", 10**6)) == ("teamId", "NOT_FOUND")
    assert await error(actors.dispatcher, commissionerId=gid("Staff", p.member_a.id)) == ("commissionerId", "INVALID")
    assert await error(
        actors.dispatcher, enterpriseId=gid("Enterprise", 10**6), teamId=gid("ServiceTeam", p.team_a)
    ) == ("enterpriseId", "NOT_FOUND")
    assert await error(
        actors.dispatcher,
        teamId=gid("ServiceTeam", p.team_a),
        issues=[{"category": "LAND", "title": "用地"}, {"category": "LAND", "title": "  "}],
    ) == ("issues[1].title", "REQUIRED")
    assert await counts() == before


async def test_a_failure_while_reporting_the_visit_issues_stores_no_visit(actors, monkeypatch):
    p = actors.people
    before = await counts()

    def boom(cls, *args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(IssueEvent, "create", classmethod(boom))
    body = await actors.member_a.raw(
        VISIT,
        {
            "input": {
                "enterpriseId": gid("Enterprise", p.enterprise.id),
                "teamId": gid("ServiceTeam", p.team_a),
                "visitedOn": today(),
                "issues": [{"category": "SALES", "title": "产品滞销"}],
            }
        },
    )
    assert body["errors"] and body["data"] is None
    assert await counts() == before


async def test_assigning_a_commissioner_changes_who_acts_for_the_enterprise(actors):
    p = actors.people
    enterprise = gid("Enterprise", p.enterprise.id)
    new = {"enterpriseId": enterprise, "category": "TALENT", "title": "引进技术人才", "source": "COMMISSIONER"}
    report = "mutation($input: ReportIssueInput!) { reportIssue(input: $input) { issue { id } userErrors { code } } }"

    async def assign(client, commissioner_id):
        return (await client(ASSIGN, {"input": {"enterpriseId": enterprise, "commissionerId": commissioner_id}}))[
            "assignCommissioner"
        ]

    history = """query($id: ID!) { node(id: $id) { ... on Enterprise { commissionerHistory {
      assignedAt commissioner { id } previousCommissioner { id } assignedBy { id } } } } }"""
    # Earlier tests of the session may have reassigned this shared enterprise: count what this one adds.
    before = len((await actors.dispatcher(history, {"id": enterprise}))["node"]["commissionerHistory"])
    try:
        payload = await assign(actors.member_a, gid("Staff", p.other_commissioner.id))
        assert payload["enterprise"] is None and payload["userErrors"][0]["code"] == "FORBIDDEN"
        payload = await assign(actors.dispatcher, gid("Staff", p.member_a.id))
        assert payload["userErrors"] == [
            {
                "field": "commissionerId",
                "code": "INVALID",
                "message": f"{p.member_a.name} is not an active commissioner",
            }
        ]
        assert (await Enterprise.get(id=p.enterprise.id)).commissioner_id == p.commissioner.id

        payload = await assign(actors.dispatcher, gid("Staff", p.other_commissioner.id))
        assert payload["userErrors"] == []
        assert payload["enterprise"]["commissioner"]["id"] == gid("Staff", p.other_commissioner.id)
        # The new commissioner may now report for it; the former one may not.
        assert (await actors.other_commissioner(report, {"input": new}))["reportIssue"]["userErrors"] == []
        errors = (await actors.commissioner(report, {"input": new}))["reportIssue"]["userErrors"]
        assert errors == [{"code": "FORBIDDEN"}]

        payload = await assign(actors.dispatcher, None)
        assert payload["enterprise"]["commissioner"] is None

        # Each assignment that went through left an audit line (the refused ones none).
        lines = (await actors.dispatcher(history, {"id": enterprise}))["node"]["commissionerHistory"]
        dispatcher = gid("Staff", actors.dispatcher.staff.id)
        assert [(line["previousCommissioner"], line["commissioner"], line["assignedBy"]) for line in lines[-2:]] == [
            (
                {"id": gid("Staff", p.commissioner.id)},
                {"id": gid("Staff", p.other_commissioner.id)},
                {"id": dispatcher},
            ),
            ({"id": gid("Staff", p.other_commissioner.id)}, None, {"id": dispatcher}),
        ]
        assert len(lines) == before + 2
    finally:
        await Enterprise.filter(id=p.enterprise.id).update(commissioner_id=p.commissioner.id)
    assert (await Staff.get(id=p.commissioner.id)).is_active


async def test_a_team_may_not_visit_outside_its_coverage(settings, demo):
    from datetime import date

    from yimi.common.errors import ServiceError
    from yimi.enterprises.service import EnterpriseService
    from yimi.teams.models import TeamCoverage, TeamMember

    member = next(s for s in await Staff.filter(is_active=True).order_by("id") if s.roles == ["team_member"])
    team_id = (await TeamMember.filter(staff_id=member.id).first()).team_id
    covered = await TeamCoverage.filter(team_id=team_id).values_list("township_id", flat=True)
    outside = await Enterprise.exclude(township_id__in=covered).first()
    inside = await Enterprise.filter(township_id__in=covered).first()
    assert outside and inside, "the demo team should cover some townships and not others"
    before = await Visit.all().count()
    with pytest.raises(ServiceError) as refused:
        await EnterpriseService(member, settings).record_visit(outside.id, date(2026, 11, 20), team_id=team_id)
    assert refused.value.code == "FORBIDDEN" and "covers" in refused.value.message
    assert await Visit.all().count() == before
    visit, _ = await EnterpriseService(member, settings).record_visit(inside.id, date(2026, 11, 20), team_id=team_id)
    await visit.delete()
