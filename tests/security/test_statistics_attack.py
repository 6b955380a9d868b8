"""Attacks on the public statistics: recover a count below the threshold from what anyone can read.

Three attackers, each stronger than the last on what it knows:

1. Every table of every demo year (total, townships, categories, months, enterprises served, visits),
   read as linear relations: reported = open + resolved and overdue <= open in every row, every
   breakdown summing to its total, nothing above the year's total, the withheld ranges, the least a
   published rate or median implies. For each withheld count it works out the least and most value
   consistent with all of them (bounds propagation, then trying each end value alone: an
   implementation of its own, not the service's). No year shares a relation with another (each
   table is one year's issues), so across years there is nothing more to combine.
2. The same relations plus knowing which withheld figure is small and which protects another (what
   a per-cell reason would tell): it pins small counts, which is why one reason is published.
3. On small tables, everything: every input in a grid is run through the real rules, and inputs
   that publish the same are told apart by nothing. A small withheld count must take at least
   ``threshold`` values over the inputs that read like the true one (rules, pattern, ranges, rates,
   all of it included).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from itertools import product

import pytest

from tests.stats.helpers import FULL, demo_years
from yimi.stats.service import MEASURES, RATE_MIN, THRESHOLD, Cell, Row, _suppress
from yimi.stats.types import IssueStatistics

# -- an attacker's own solver -------------------------------------------------------------------


class Attacker:
    """Integer intervals under sums: ``eqs`` are (plus, minus) variable lists with sum(plus) == sum(minus)."""

    def __init__(self) -> None:
        self.lo: dict[str, int] = {}
        self.hi: dict[str, int] = {}
        self.eqs: list[tuple[list[str], list[str]]] = []
        self.les: list[tuple[str, str]] = []

    def var(self, name: str, lo: int, hi: int) -> None:
        self.lo[name], self.hi[name] = lo, hi

    def solve(self, lo: dict[str, int], hi: dict[str, int]) -> bool:
        for _ in range(1000):
            changed = False
            for plus, minus in self.eqs:
                for side, other in ((plus, minus), (minus, plus)):
                    for v in side:
                        rest_lo = sum(lo[u] for u in side if u != v)
                        rest_hi = sum(hi[u] for u in side if u != v)
                        new_lo = max(lo[v], sum(lo[u] for u in other) - rest_hi)
                        new_hi = min(hi[v], sum(hi[u] for u in other) - rest_lo)
                        if new_lo > new_hi:
                            return False
                        if (new_lo, new_hi) != (lo[v], hi[v]):
                            lo[v], hi[v], changed = new_lo, new_hi, True
            for small, large in self.les:
                if hi[small] > hi[large] or lo[large] < lo[small]:
                    hi[small], lo[large] = min(hi[small], hi[large]), max(lo[large], lo[small])
                    if lo[small] > hi[small] or lo[large] > hi[large]:
                        return False
                    changed = True
            if not changed:
                return True
        return True

    def interval(self, name: str) -> tuple[int, int]:
        lo, hi = dict(self.lo), dict(self.hi)
        assert self.solve(lo, hi)
        low, high = lo[name], hi[name]

        def possible(value: int) -> bool:
            l2, h2 = dict(lo), dict(hi)
            l2[name] = h2[name] = value
            return self.solve(l2, h2)

        while low < high and not possible(low):
            low += 1
        while high > low and not possible(high):
            high -= 1
        return low, high


def _attacker(
    stats: dict, known_classes: dict[str, bool] | None = None, into: Attacker | None = None, prefix: str = ""
) -> Attacker:
    """The relations of one year's public tables; ``known_classes`` (name -> small) adds what reasons would say.
    ``into`` and ``prefix``: add them to another attacker's, names prefixed (several releases of a year)."""
    a = Attacker() if into is None else into
    total_reported = stats["total"]["reported"]
    ceiling = total_reported["value"] if not total_reported["withheld"] else stats["threshold"] - 1
    tables = {"total": [stats["total"]]}
    for name in ("byTownship", "byCategory", "byMonth"):
        tables[name] = stats[name]
    for table, rows in tables.items():
        for row in rows:
            for m in MEASURES:
                count = row[m]
                name = f"{prefix}{table}/{row['key']}/{m}"
                lo, hi = (count["low"], count["high"]) if count["withheld"] else (count["value"], count["value"])
                lo, hi = max(lo, 0), min(hi, ceiling)
                if known_classes and name in known_classes:
                    small = known_classes[name]
                    lo, hi = (lo, min(hi, stats["threshold"] - 1)) if small else (max(lo, stats["threshold"]), hi)
                a.var(name, lo, hi)
            p = f"{prefix}{table}/{row['key']}/"
            a.eqs.append(([p + "reported"], [p + "open", p + "resolved"]))
            a.les.append((p + "overdue", p + "open"))
            if row.get("onTimeRate") is not None:  # both parts at least the threshold
                a.lo[p + "resolved"] = max(a.lo[p + "resolved"], 2 * stats["threshold"], RATE_MIN)
    for name in ("byTownship", "byCategory", "byMonth"):
        for m in MEASURES if stats[name] else ():
            a.eqs.append(([f"{prefix}total/ALL/{m}"], [f"{prefix}{name}/{r['key']}/{m}" for r in stats[name]]))
    if stats["medianWorkingDaysToResolve"] is not None:
        a.lo[f"{prefix}total/ALL/resolved"] = max(a.lo[f"{prefix}total/ALL/resolved"], RATE_MIN)
    return a


@pytest.mark.parametrize("year", demo_years())
async def test_the_public_tables_of_a_year_pin_no_small_count(anon, year):
    stats = (await anon(FULL, {"year": year}))["statistics"]
    threshold = stats["threshold"]
    attacker = _attacker(stats)
    withheld = [name for name in attacker.lo if attacker.lo[name] != attacker.hi[name]]
    assert withheld
    for name in withheld:
        low, high = attacker.interval(name)
        table, key, m = name.split("/")
        rows = [stats["total"]] if table == "total" else stats[table]
        count = next(r for r in rows if r["key"] == key)[m]
        # The attacker gets no further than the published range, which holds at least threshold values.
        assert (low, high) == (count["low"], count["high"]), (name, (low, high), count)
        assert high - low + 1 >= threshold, name
    for name in ("enterprisesServed", "visits"):
        count = stats[name]
        assert not count["withheld"] or count["high"] - count["low"] + 1 >= threshold


def _tables(cells: list[tuple[int, int, int]]) -> tuple[Cell, list[list[Row]]]:
    rows = [Row(f"r{i}", f"R{i}", Cell(o + r, o, r, d)) for i, (o, r, d) in enumerate(cells)]
    total = Cell()
    for row in rows:
        total.add(row.cell)
    return total, [rows]


def test_a_reason_per_cell_would_pin_the_small_count():
    """Reported 5, open small: knowing resolved was withheld to protect open (so at least 5) gives
    resolved = 5, open = 0. With one reason for both, open can be anything from 0 to 5."""
    total, breakdowns = _tables([(0, 5, 0), (6, 20, 6)])
    stats = _as_public(total, breakdowns)
    row = "byTownship/r0/"
    assert stats["byTownship"][0]["open"]["withheld"] and stats["byTownship"][0]["resolved"]["withheld"]
    assert {stats["byTownship"][0][m]["reason"] for m in ("open", "resolved")} == {"WITHHELD"}
    low, high = _attacker(stats).interval(row + "open")
    assert high - low + 1 >= THRESHOLD
    told = _attacker(stats, {row + "open": True, row + "resolved": False})
    assert told.interval(row + "open") == (0, 0)  # the pin one reason per cell would allow


def _as_public(total: Cell, breakdowns: list[list[Row]]) -> dict:
    from yimi.stats.public_json import to_json
    from yimi.stats.service import Statistics, standalone

    _suppress(total, breakdowns)
    data = Statistics(
        county="X",
        year=2024,
        threshold=THRESHOLD,
        total=total,
        by_township=breakdowns[0],
        by_category=[],
        by_month=[],
        enterprises_served=standalone(50, THRESHOLD),
        visits=standalone(50, THRESHOLD),
    )
    return to_json(IssueStatistics.from_data(data, datetime(2025, 1, 1, tzinfo=UTC), None))


def _read(cells: tuple[tuple[int, int, int], ...]) -> tuple[str, list[tuple[str, int, bool]]]:
    """What the public reads of an input, and each count of it (name, true value, withheld)."""
    total, breakdowns = _tables(list(cells))
    counts = [
        (f"{name}/{m}", getattr(cell, m), m not in cell.shown)
        for name, cell in [("total", total)] + [(r.key, r.cell) for r in breakdowns[0]]
        for m in ("reported", "open", "resolved")
    ]
    return repr(_as_public(total, breakdowns)), counts


def test_inputs_that_read_alike_leave_every_small_count_open():
    """The exact attacker on small tables: every input of a grid (two rows, open and resolved 0 to 9,
    overdue 0), grouped by what the public reads; the inputs of a group are told apart by nothing.
    Judged where the grid leaves room (every count at most 9 - 4), so that its edge is no knowledge."""
    per_row = [(o, r, 0) for o in range(10) for r in range(10)]
    groups: dict[str, list[list[tuple[str, int, bool]]]] = defaultdict(list)
    judged = {}
    for cells in product(per_row, repeat=2):
        publication, counts = _read(cells)
        groups[publication].append(counts)
        if all(max(c[:2]) <= 9 - (THRESHOLD - 1) for c in cells):
            judged[cells] = (publication, counts)
    values: dict[tuple[str, str], set[int]] = defaultdict(set)
    for publication, inputs in groups.items():
        for counts in inputs:
            for name, value, _ in counts:
                values[publication, name].add(value)
    pinned = [
        (cells, name, value, sorted(values[publication, name]))
        for cells, (publication, counts) in judged.items()
        for name, value, withheld in counts
        if withheld and value < THRESHOLD and len(values[publication, name]) < THRESHOLD
    ]
    withheld_small = sum(1 for _, counts in judged.values() for _, v, w in counts if w and v < THRESHOLD)
    assert withheld_small > 1000
    assert not pinned, f"{len(pinned)} small counts narrowed: {pinned[:5]}"
