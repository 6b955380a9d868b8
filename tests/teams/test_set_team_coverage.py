"""setTeamCoverage: who may change a team's townships, what it writes, and that it writes all or nothing."""

from __future__ import annotations

import pytest

from yimi.accounts.models import Staff
from yimi.common.ids import to_global_id
from yimi.teams.models import ServiceTeam, TeamCoverage
from yimi.teams.service import set_team_coverage
from yimi.townships.models import Township

SET = """
mutation($input: SetTeamCoverageInput!) {
  setTeamCoverage(input: $input) {
    team { id name townships { code } }
    userErrors { field code message }
  }
}
"""

COVERAGE = """
query($codes: [String!]) { coverage(filter: {codes: $codes}) { township { code } teams { name } gaps } }
"""


async def covered_codes(team_id: int) -> list[str]:
    return sorted(await TeamCoverage.filter(team_id=team_id).values_list("township__code", flat=True))


async def coverage_rows(gql, code: str) -> dict:
    [row] = (await gql(COVERAGE, {"codes": [code]}))["coverage"]
    return row


async def pick_team() -> tuple[ServiceTeam, str, str, str, str]:
    """A team, a township it does not cover where it would fill a gap, and a township it covers
    where it alone handles one of its specialities (so that dropping it opens a gap)."""
    teams = await ServiceTeam.all()
    codes = dict(await Township.all().values_list("id", "code"))
    covering: dict[str, list[ServiceTeam]] = {code: [] for code in codes.values()}
    for team_id, township_id in await TeamCoverage.all().values_list("team_id", "township_id"):
        covering[codes[township_id]].append(next(t for t in teams if t.id == team_id))
    for team in teams:
        mine = [c for c, ts in covering.items() if team in ts]
        for gain in sorted(set(covering) - set(mine)):
            handled = {s for t in covering[gain] for s in t.specialities}
            filled = [s for s in team.specialities if s not in handled]
            if not filled:
                continue
            for lose in sorted(mine):
                others = {s for t in covering[lose] if t.id != team.id for s in t.specialities}
                opened = [s for s in team.specialities if s not in others]
                if opened:
                    return team, gain, filled[0].upper(), lose, opened[0].upper()
    raise AssertionError("the demo county has no team that could both fill and open a gap")


async def test_dispatcher_replaces_the_coverage_and_the_gaps_follow(sign_in):
    gql = await sign_in("dispatcher")
    team, gain, filled, lose, opened = await pick_team()
    original = await covered_codes(team.id)
    team_id = to_global_id("ServiceTeam", team.id)
    assert filled in (await coverage_rows(gql, gain))["gaps"]
    assert opened not in (await coverage_rows(gql, lose))["gaps"]
    try:
        # Gain a township (named twice: duplicates are ignored) and drop another.
        wanted = [c for c in original if c != lose] + [gain, gain]
        result = (await gql(SET, {"input": {"teamId": team_id, "townshipCodes": wanted}}))["setTeamCoverage"]
        assert result["userErrors"] == []
        assert result["team"]["id"] == team_id
        expected = sorted(set(wanted))
        assert sorted(t["code"] for t in result["team"]["townships"]) == expected
        assert await covered_codes(team.id) == expected
        assert await TeamCoverage.filter(team_id=team.id).count() == len(expected)

        gained = await coverage_rows(gql, gain)
        assert team.name in [t["name"] for t in gained["teams"]]
        assert filled not in gained["gaps"]
        lost = await coverage_rows(gql, lose)
        assert team.name not in [t["name"] for t in lost["teams"]]
        assert opened in lost["gaps"]

        # An empty list clears the coverage.
        result = (await gql(SET, {"input": {"teamId": team_id, "townshipCodes": []}}))["setTeamCoverage"]
        assert result["userErrors"] == [] and result["team"]["townships"] == []
        assert await covered_codes(team.id) == []
    finally:
        result = (await gql(SET, {"input": {"teamId": team_id, "townshipCodes": original}}))["setTeamCoverage"]
        assert result["userErrors"] == []
    assert await covered_codes(team.id) == original
    assert filled in (await coverage_rows(gql, gain))["gaps"]


async def test_admin_may_set_coverage_too(sign_in):
    gql = await sign_in("admin")
    team = await ServiceTeam.all().order_by("id").first()
    original = await covered_codes(team.id)
    result = (await gql(SET, {"input": {"teamId": to_global_id("ServiceTeam", team.id), "townshipCodes": original}}))[
        "setTeamCoverage"
    ]
    assert result["userErrors"] == []
    assert sorted(t["code"] for t in result["team"]["townships"]) == original


@pytest.mark.parametrize("role", ["viewer", "team_member", "commissioner"])
async def test_other_roles_are_forbidden(sign_in, role):
    gql = await sign_in(role)
    team, gain, *_ = await pick_team()
    original = await covered_codes(team.id)
    result = (await gql(SET, {"input": {"teamId": to_global_id("ServiceTeam", team.id), "townshipCodes": [gain]}}))[
        "setTeamCoverage"
    ]
    assert result["team"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(None, "FORBIDDEN")]
    assert await covered_codes(team.id) == original


async def test_anonymous_is_refused(anon):
    team, gain, *_ = await pick_team()
    original = await covered_codes(team.id)
    result = (await anon(SET, {"input": {"teamId": to_global_id("ServiceTeam", team.id), "townshipCodes": [gain]}}))[
        "setTeamCoverage"
    ]
    assert result["team"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(None, "UNAUTHENTICATED")]
    assert await covered_codes(team.id) == original


async def test_unknown_township_codes_are_listed_and_nothing_is_written(sign_in):
    gql = await sign_in("dispatcher")
    team, gain, _, lose, _ = await pick_team()
    original = await covered_codes(team.id)
    wanted = [c for c in original if c != lose] + [gain, "410223999", "nonsense", "410223999"]
    result = (await gql(SET, {"input": {"teamId": to_global_id("ServiceTeam", team.id), "townshipCodes": wanted}}))[
        "setTeamCoverage"
    ]
    assert result["team"] is None
    [error] = result["userErrors"]
    assert (error["field"], error["code"]) == ("townshipCodes", "NOT_FOUND")
    assert error["message"].count("410223999") == 1 and "nonsense" in error["message"]
    assert gain not in error["message"]
    assert await covered_codes(team.id) == original


@pytest.mark.parametrize(
    ("team_id", "code"),
    [
        ("not-an-id", "INVALID"),
        (to_global_id("Township", 1), "INVALID"),
        (to_global_id("ServiceTeam", 999_999), "NOT_FOUND"),
    ],
)
async def test_bad_team_ids_are_user_errors(sign_in, team_id, code):
    gql = await sign_in("dispatcher")
    before = await TeamCoverage.all().count()
    result = (await gql(SET, {"input": {"teamId": team_id, "townshipCodes": ["410223105"]}}))["setTeamCoverage"]
    assert result["team"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [("teamId", code)]
    assert await TeamCoverage.all().count() == before


async def test_a_failure_midway_leaves_the_coverage_as_it_was(demo, monkeypatch):
    dispatcher = next(s for s in await Staff.filter(is_active=True).order_by("id") if "dispatcher" in s.roles)
    team, gain, _, lose, _ = await pick_team()
    original = await covered_codes(team.id)

    async def broken_bulk_create(*args, **kwargs):
        raise RuntimeError("disk full")

    # The removal runs first; the insert then fails: the removal must be rolled back.
    monkeypatch.setattr(TeamCoverage, "bulk_create", broken_bulk_create)
    with pytest.raises(RuntimeError, match="disk full"):
        await set_team_coverage(
            dispatcher, to_global_id("ServiceTeam", team.id), [c for c in original if c != lose] + [gain]
        )
    monkeypatch.undo()
    assert await covered_codes(team.id) == original
