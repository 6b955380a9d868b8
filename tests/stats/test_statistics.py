"""Public statistics: anyone reads them, no small count gets out, and what is published is exact."""

from __future__ import annotations

import pytest

from tests.stats.helpers import demo_years
from yimi.stats.service import MEASURES, Cell, Row, _suppress

C = "{ value withheld low high reason }"
QUERY = f"""query($year: Int) {{ statistics(year: $year) {{
  year
  total {{ key label reported {C} open {C} resolved {C} overdue {C} onTimeRate satisfactionRate }}
  byTownship {{ key label reported {C} open {C} resolved {C} overdue {C} onTimeRate satisfactionRate }}
  byCategory {{ key label reported {C} open {C} resolved {C} overdue {C} }}
}} }}"""


def _assert_publishable(row: dict) -> None:
    for measure in MEASURES:
        count = row[measure]
        if count["withheld"]:
            assert count["value"] is None and count["reason"] == "WITHHELD", (row["key"], measure, count)
            assert count["high"] - count["low"] >= 4, (row["key"], measure, count)
        else:
            assert count["value"] >= 5 and count["low"] == count["high"] == count["value"], (row["key"], measure)


def _hidden(count: dict) -> bool:
    return count["withheld"]


@pytest.mark.parametrize("year", demo_years())
async def test_the_public_reads_statistics_with_no_count_below_five(anon, year):
    stats = (await anon(QUERY, {"year": year}))["statistics"]
    assert stats["year"] == year
    rows = [stats["total"], *stats["byTownship"], *stats["byCategory"]]
    assert len(stats["byTownship"]) == 15 and len(stats["byCategory"]) == 10
    for row in rows:
        _assert_publishable(row)
        # reported = open + resolved: never exactly one of the three hidden.
        assert sum(_hidden(row[m]) for m in ("reported", "open", "resolved")) != 1, row
    for breakdown in (stats["byTownship"], stats["byCategory"]):
        for measure in MEASURES:
            if not _hidden(stats["total"][measure]):
                # One hidden row under a published total could be worked out by subtraction.
                assert sum(_hidden(r[measure]) for r in breakdown) != 1, (measure, breakdown)


async def test_published_counts_are_exact(anon, gql):
    year = 2023
    stats = (await anon(QUERY, {"year": year}))["statistics"]
    between = {"from": f"{year}-01-01T00:00:00+08:00", "to": f"{year + 1}-01-01T00:00:00+08:00"}
    count = "query($f: IssueFilter) { issues(filter: $f) { totalCount } }"
    exact_total = (await gql(count, {"f": {"reportedBetween": between}}))["issues"]["totalCount"]
    assert stats["total"]["reported"]["value"] == exact_total > 100
    checked = 0
    for row in stats["byTownship"][:5]:
        for measure, statuses in (("reported", None), ("resolved", ["RESOLVED", "CLOSED"])):
            if _hidden(row[measure]):
                continue
            f = {"reportedBetween": between, "townshipCodes": [row["key"]]}
            if statuses:
                f["statuses"] = statuses
            assert row[measure]["value"] == (await gql(count, {"f": f}))["issues"]["totalCount"], (row, measure)
            checked += 1
    assert checked >= 5


def _cells(**values: int) -> Cell:
    return Cell(**values)


def test_a_lone_small_row_takes_another_row_with_it():
    total = _cells(reported=20, open=10, resolved=10, overdue=6)
    rows = [
        Row("a", "A", _cells(reported=12, open=6, resolved=6, overdue=6)),
        Row("b", "B", _cells(reported=5, open=0, resolved=5, overdue=0)),
        Row("c", "C", _cells(reported=3, open=2, resolved=1, overdue=0)),
    ]
    _suppress(total, [rows])
    # c is small everywhere; another reported must go with it, or c = 20 - 12 - 5: b, which has figures
    # withheld already (the choice looks at the pattern, never at a value).
    assert "reported" not in rows[1].cell.shown and "reported" not in rows[2].cell.shown
    assert rows[0].cell.published("reported") == 12
    # Within a row, reported = open + resolved: never exactly one of them hidden.
    for row in rows:
        assert len({"reported", "open", "resolved"} - row.cell.shown) != 1


def test_nothing_is_hidden_when_every_count_is_large():
    total = _cells(reported=30, open=12, resolved=18, overdue=10)
    rows = [Row(k, k, _cells(reported=15, open=6, resolved=9, overdue=5)) for k in "ab"]
    _suppress(total, [rows])
    assert all(row.cell.shown == set(MEASURES) for row in rows)
    assert total.shown == set(MEASURES)


async def test_a_year_out_of_range_is_refused_naming_the_argument(anon):
    error = await anon.error(QUERY, {"year": 1999})
    assert error["extensions"]["argument"] == "year"
    assert "between 2000" in error["message"]


def test_rates_never_give_a_small_count_back():
    # 395 resolved (hidden by secondary suppression), 328 on time: the exact share would name 395.
    hidden = _cells(reported=396, open=1, resolved=395, on_time=328, rated=395, content=394)
    _suppress(hidden, [])
    assert "resolved" not in hidden.shown and hidden.on_time_rate is None
    # One unsatisfied enterprise out of 395 would be singled out by the exact share.
    assert hidden.satisfaction_rate is None
    shown = _cells(reported=40, open=10, resolved=30, on_time=21, rated=30, content=24)
    _suppress(shown, [])
    assert shown.on_time_rate == 0.7 and shown.satisfaction_rate == 0.8
