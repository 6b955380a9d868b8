"""Query.issueSummary: figures that follow the filter and the read rules, in one SQL statement."""

from __future__ import annotations

import pytest

from tests.conftest import count_sql
from tests.issues.summary_check import FILTERS, SUMMARY, compare


@pytest.mark.parametrize("name,filter", FILTERS, ids=[n for n, _ in FILTERS])
async def test_the_summary_counts_what_the_list_shows(gql, name, filter):
    got, expected = await compare(gql, filter)
    assert got == expected
    if name == "none":
        assert got["total"] >= 3000 and got["open"] and got["overdue"] and got["rated"]
        assert len(got["byTownship"]) == 15
    assert sum(t["open"] for t in got["byTownship"].values()) == got["open"]


async def test_a_filter_changes_the_township_figures(gql):
    everything, _ = await compare(gql, None)
    narrowed, _ = await compare(gql, {"categories": ["FINANCING"], "warningColors": ["RED"]})
    assert 0 < narrowed["total"] < everything["total"]
    assert narrowed["total"] == narrowed["open"] == narrowed["overdue"]
    assert any(
        narrowed["byTownship"][c]["open"] < t["open"]
        for c, t in everything["byTownship"].items()
        if c in narrowed["byTownship"]
    )


@pytest.mark.parametrize("role", ["team_member", "commissioner"])
async def test_a_caller_counts_only_the_issues_it_may_read(sign_in, gql, role):
    caller = await sign_in(role)
    got, expected = await compare(caller, None)
    assert got == expected
    everything, _ = await compare(gql, None)
    assert 0 < got["total"] < everything["total"]
    queue = {"team_member": "TEAM_IN_PROGRESS", "commissioner": "MY_ENTERPRISES"}[role]
    got, expected = await compare(caller, {"queue": queue})
    assert got == expected


async def test_the_public_gets_no_figures(anon):
    error = await anon.error(SUMMARY, {})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_one_statement_for_the_figures(gql):
    query = "query($f: IssueFilter) { issueSummary(filter: $f) { open overdue byTownship { open overdue } } }"
    await gql(query, {"f": None})
    with count_sql() as statements:
        await gql(query, {"f": {"categories": ["POWER"]}})
    figures = [s for s in statements if "GROUP BY" in s and '"issue"' in s]
    assert len(figures) == 1, statements
    # The sign-in check and the figures: nothing per township.
    assert len(statements) <= 3, statements
