"""The suppression pattern tells nothing about a suppressed figure (attack tests).

Which figures are withheld, and every figure published, must be the same for any two inputs that
differ only in withheld figures: otherwise the pattern itself narrows them down. The old rule hid
the smaller of reported and resolved next to a small open count, so reported went on a tie
(open = 0) and resolved otherwise: the pattern told which "<5" were exactly 0 (129 cells of the
demo).

An alternative input keeps every published figure and the row's identity (reported = open +
resolved), and moves each withheld figure anywhere within its class: below the threshold when it
was (primary suppression: a "<5" that is 0 may be 1 to 4), at or above it when it was withheld to
protect another one. Breakdown sums are not kept: the rule must not look at withheld figures at all,
which is stronger than not looking at them in the tables that can exist.

This is the property of the pattern (primary suppression and the companion rules, ``_pattern``). The
range audit that follows (``_suppress``) withholds more where a published range would be narrower
than the threshold: it reads figures published at that moment, and is tested by what the public can
work out (tests/security/test_statistics_attack.py, test_ranges.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import product

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.stats.helpers import demo_years
from yimi.stats.service import IDENTITY, MEASURES, THRESHOLD, Cell, Row, _cells, _pattern, _suppress, statistics

Tables = tuple[Cell, list[list[Row]]]


def _outcome(tables: Tables) -> list[tuple]:
    """What the public reads: per group, the withheld measures, the published figures and the rates."""
    tables = copy.deepcopy(tables)
    _pattern(*tables)
    return [
        (
            frozenset(MEASURES) - cell.shown,
            tuple(cell.published(m) for m in MEASURES),
            cell.on_time_rate,
            cell.satisfaction_rate,
        )
        for cell in _cells(*tables)
    ]


def _class(value: int, shown: bool, exact: int) -> list[int]:
    """Values a figure may take without changing what is published."""
    if shown:
        return [exact]
    if exact < THRESHOLD:
        return list(range(THRESHOLD))
    return list(range(THRESHOLD, exact + 2 * THRESHOLD + 1))


def _alternatives(cell: Cell, shown: set[str]) -> Iterator[Cell]:
    """Every row-consistent input for this group that publishes what ``cell`` publishes."""
    for open_, resolved in product(
        _class(cell.open, "open" in shown, cell.open), _class(cell.resolved, "resolved" in shown, cell.resolved)
    ):
        reported = open_ + resolved
        if reported not in _class(cell.reported, "reported" in shown, cell.reported):
            continue
        for overdue in _class(cell.overdue, "overdue" in shown, cell.overdue):
            yield Cell(
                reported=reported,
                open=open_,
                resolved=resolved,
                overdue=overdue,
                on_time=cell.on_time,
                rated=cell.rated,
                content=cell.content,
            )


def _shown(tables: Tables) -> list[set[str]]:
    tables = copy.deepcopy(tables)
    _pattern(*tables)
    return [set(cell.shown) for cell in _cells(*tables)]


def _replace(tables: Tables, index: int, cell: Cell) -> Tables:
    total, breakdowns = copy.deepcopy(tables)
    if index == 0:
        return cell, breakdowns
    index -= 1
    for rows in breakdowns:
        if index < len(rows):
            rows[index] = Row(rows[index].key, rows[index].label, cell)
            return total, breakdowns
        index -= len(rows)
    raise IndexError(index)


def _telling_groups(tables: Tables) -> list[tuple[int, Cell, Cell]]:
    """Groups where another value of a withheld figure changes what is published: (group, exact, other)."""
    expected = _outcome(tables)
    found = []
    for index, (cell, shown) in enumerate(zip(_cells(*tables), _shown(tables), strict=True)):
        for other in _alternatives(cell, shown):
            if _outcome(_replace(tables, index, other)) != expected:
                found.append((index, cell, other))
                break
    return found


def _assert_protected(tables: Tables) -> None:
    """The protections stats/service.py documents."""
    tables = copy.deepcopy(tables)
    _suppress(*tables)
    total, breakdowns = tables
    for cell in _cells(*tables):
        for m in MEASURES:
            assert (m in cell.shown) <= (getattr(cell, m) >= THRESHOLD), (cell, m)
        assert len(set(IDENTITY) - cell.shown) != 1, cell
    for rows in breakdowns:
        for m in MEASURES:
            if m in total.shown:
                assert sum(m not in r.cell.shown for r in rows) != 1, (m, rows)


# -- the attack in its simplest form -------------------------------------------------------------


@pytest.mark.parametrize("small", ["open", "resolved"])
def test_a_small_count_reads_the_same_whether_it_is_zero_or_four(small):
    """12 issues reported, a small open (or resolved) count: 0 must not read differently from 1 to 4."""
    other = "resolved" if small == "open" else "open"
    outcomes = []
    for value in range(THRESHOLD):
        cell = Cell(reported=12, **{small: value, other: 12 - value})
        outcomes.append(_outcome((cell, [])))
    assert all(o == outcomes[0] for o in outcomes), outcomes
    # reported, the headline figure, stays published; the other part goes with the small one.
    withheld, published, _, _ = outcomes[0][0]
    assert withheld == {small, other, "overdue"} and published[0] == 12


def test_the_row_withheld_with_a_lone_small_row_is_chosen_without_looking_at_values():
    """Overdue by township: a 8, b 9, c 4 (withheld), d 20, total 41 published.

    The old rule withheld the smallest published row with c: a. Knowing that a <= b = 9 and
    a + c = 41 - 9 - 20 = 12 then gives c >= 3. Whichever row x goes with c, every table with the
    same published figures (x + c unchanged, x >= 5, c < 5) must read the same."""
    overdue = {"a": 8, "b": 9, "c": 4, "d": 20}

    def tables(values: dict[str, int]) -> Tables:
        rows = [Row(k, k.upper(), Cell(reported=60, open=30, resolved=30, overdue=v)) for k, v in values.items()]
        return Cell(reported=240, open=120, resolved=120, overdue=sum(values.values())), [rows]

    expected = _outcome(tables(overdue))
    withheld = [k for k, group in zip(overdue, expected[1:], strict=True) if group[1][3] is None]
    assert "c" in withheld and len(withheld) == 2
    (x,) = set(withheld) - {"c"}
    for c in range(THRESHOLD):
        other = dict(overdue, c=c, **{x: overdue[x] + overdue["c"] - c})
        assert _outcome(tables(other)) == expected, other


# -- every year of the demo ----------------------------------------------------------------------


@pytest.mark.parametrize("year", demo_years())
async def test_no_withheld_figure_of_the_demo_changes_the_pattern(demo, settings, year):
    """Each group of each year, each alternative of its withheld figures: the public reads the same."""
    data = await statistics(year, datetime.now(UTC), settings.timezone)
    tables: Tables = (data.total, data.breakdowns)
    _assert_protected(tables)
    assert _telling_groups(tables) == []


@pytest.mark.parametrize("year", demo_years())
async def test_no_exact_zero_of_the_demo_reads_differently(demo, settings, year):
    """The reported finding: a withheld open or resolved of exactly 0 is not told apart from 1 to 4."""
    data = await statistics(year, datetime.now(UTC), settings.timezone)
    tables: Tables = (data.total, data.breakdowns)
    expected = _outcome(tables)
    told = []
    for index, (cell, shown) in enumerate(zip(_cells(*tables), _shown(tables), strict=True)):
        for measure in ("open", "resolved"):
            if measure in shown or getattr(cell, measure) != 0:
                continue
            twins = [
                other
                for other in _alternatives(cell, shown)
                if getattr(other, measure) > 0 and _outcome(_replace(tables, index, other)) == expected
            ]
            if not twins:
                told.append((index, measure, cell))
    assert told == []


# -- synthetic tables ----------------------------------------------------------------------------

# Mostly small counts, so that every rule fires; a grid township x category, summed into the two
# breakdowns and the total as statistics() does.
_count = st.one_of(st.integers(0, 4), st.integers(0, 12), st.integers(0, 40))


@st.composite
def _tables(draw) -> Tables:
    townships = draw(st.integers(2, 6))
    categories = draw(st.integers(2, 5))
    total = Cell()
    by_township = [Row(f"t{i}", f"T{i}", Cell()) for i in range(townships)]
    by_category = [Row(f"c{j}", f"C{j}", Cell()) for j in range(categories)]
    for i, j in product(range(townships), range(categories)):
        open_, resolved = draw(_count), draw(_count)
        overdue = draw(st.integers(0, open_))
        on_time = draw(st.integers(0, resolved))
        rated = draw(st.integers(0, resolved))
        content = draw(st.integers(0, rated))
        cell = Cell(open_ + resolved, open_, resolved, overdue, on_time, rated, content)
        for target in (total, by_township[i].cell, by_category[j].cell):
            target.add(cell)
    return total, [by_township, by_category]


@hsettings(max_examples=300, deadline=None)
@given(tables=_tables(), data=st.data())
def test_inputs_that_differ_only_in_withheld_figures_read_the_same(tables, data):
    """Every group's withheld figures moved at once, within their class and row: same publication."""
    _assert_protected(tables)
    moved = [
        data.draw(st.sampled_from(list(_alternatives(c, s))))
        for c, s in zip(_cells(*tables), _shown(tables), strict=True)
    ]
    breakdowns = copy.deepcopy(tables[1])
    other: Tables = (moved[0], [])
    index = 1
    for rows in breakdowns:
        other[1].append([Row(r.key, r.label, moved[index + k]) for k, r in enumerate(rows)])
        index += len(rows)
    assert _outcome(other) == _outcome(tables)
