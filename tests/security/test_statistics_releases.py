"""Attacks across releases: difference two readings, or two releases, of the public figures.

The reviewer's attack on live tables: read them, report one issue in 南曹乡, read again; the difference
pinned a withheld open = 4. Public figures are now released (``yimi.stats.releases``): between two
releases nothing public changes, and a release is audited together with the previous release of the
year. The attacker here knows both releases' tables with every relation of each (the attacker of
``test_statistics_attack``, its own solver), and between them what anyone may assume: issues are only
added, resolved ones stay resolved, the reported count of a month that had ended by the first release
does not change. Every change (the second figure minus the first) is a variable too. It must pin no
withheld figure of either release to fewer than ``threshold`` values, and no change to a count from 1
to ``threshold - 1`` (a change is a count of issues in a group over a period: a cross table).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.issues.workflow_helpers import gid
from tests.security.test_statistics_attack import Attacker, _attacker
from tests.stats.helpers import FULL, REPORT, release, release_anew
from yimi.enterprises.models import Enterprise
from yimi.stats.models import StatisticsRelease
from yimi.stats.public_json import to_json
from yimi.stats.releases import _previous
from yimi.stats.service import MEASURES, THRESHOLD, Cell, Row, Statistics, standalone, suppress_beside
from yimi.stats.types import IssueStatistics

TABLES = ("byTownship", "byCategory", "byMonth")


def _names(stats: dict) -> list[str]:
    rows = [("total", stats["total"])] + [(t, r) for t in TABLES for r in stats[t]]
    return [f"{table}/{row['key']}/{m}" for table, row in rows for m in MEASURES]


def _count(stats: dict, name: str) -> dict:
    table, key, m = name.split("/")
    rows = [stats["total"]] if table == "total" else stats[table]
    return next(r for r in rows if r["key"] == key)[m]


def cross_attacker(first: dict, second: dict, closed_months: set[str]) -> Attacker:
    """Both releases' relations (names ``a:`` and ``b:``) and the changes between them (``d:``)."""
    a = _attacker(first, prefix="a:")
    _attacker(second, into=a, prefix="b:")
    span = 2 * (first["total"]["reported"]["high"] + second["total"]["reported"]["high"])
    for name in set(_names(first)) & set(_names(second)):
        table, key, m = name.split("/")
        low = 0 if m in ("reported", "resolved") else -span
        high = 0 if table == "byMonth" and key in closed_months and m == "reported" else span
        a.var(f"d:{name}", low, high)
        a.eqs.append(([f"b:{name}"], [f"a:{name}", f"d:{name}"]))
    return a


def assert_nothing_pinned(attacker: Attacker, first: dict, second: dict) -> int:
    """Every withheld figure of both releases keeps ``threshold`` values; no change is a small count. Returns
    how many figures were judged."""
    threshold = second["threshold"]
    judged = 0
    for name in list(attacker.lo):
        release, figure = name.split(":", 1)
        if release in ("a", "b"):
            if not _count(first if release == "a" else second, figure)["withheld"]:
                continue
            low, high = attacker.interval(name)
            assert high - low + 1 >= threshold, (name, low, high)
        else:
            low, high = attacker.interval(name)
            if low == high:
                assert low == 0 or abs(low) >= threshold, (name, low)
            else:
                assert high - low + 1 >= threshold, (name, low, high)
        judged += 1
    return judged


# -- the reviewer's scenario, on the demo ----------------------------------------------------------


async def _report_in(gql, township: str) -> None:
    enterprise = await Enterprise.filter(township__name=township).order_by("-id").first()
    assert enterprise is not None, township
    report = {
        "enterpriseId": gid("Enterprise", enterprise.id),
        "category": "POWER",
        "title": f"差分攻击 {uuid.uuid4().hex[:6]}",
        "source": "HOTLINE",
    }
    assert (await gql(REPORT, {"input": report}))["reportIssue"]["issue"]


async def test_one_new_issue_changes_nothing_public_and_two_releases_pin_nothing(client, anon, gql, settings):
    year = datetime.now(UTC).year
    # A first release of the data as other tests left it: fewer than the threshold of their new issues
    # left out of the last release would make the second release below a test of their writes, not of ours.
    assert year in await release_anew(settings)
    first = (await anon(FULL, {"year": year}))["statistics"]
    open_data = await client.get(f"/open-data/statistics/{year}.json")

    # Between two reads: one new issue in 南曹乡 changes nothing anyone can read.
    await _report_in(gql, "南曹乡")
    assert (await anon(FULL, {"year": year}))["statistics"] == first
    again = await client.get(f"/open-data/statistics/{year}.json", headers={"If-None-Match": open_data.headers["etag"]})
    assert again.status_code == 304

    # Between two releases: with one new issue only, the year is not released again (fewer new issues than
    # the threshold): the release stands, with its date.
    assert year not in await release(settings)
    assert (await anon(FULL, {"year": year}))["statistics"] == first

    # Enough new issues elsewhere for a release: the two releases together pin nothing.
    for _ in range(settings.public_min_count):
        await _report_in(gql, "庄头镇")
    assert year in await release(settings)
    second = (await anon(FULL, {"year": year}))["statistics"]
    assert second["releasedAt"] > first["releasedAt"]
    as_of = datetime.fromisoformat(first["releasedAt"])
    closed = {
        row["key"]
        for row in first["byMonth"]
        if datetime(int(row["key"][:4]) + (row["key"][5:] == "12"), int(row["key"][5:]) % 12 + 1, 1, tzinfo=UTC)
        <= as_of
    }
    attacker = cross_attacker(first, second, closed)
    assert assert_nothing_pinned(attacker, first, second) > 50
    nancao = next(r for r in second["byTownship"] if r["label"] == "南曹乡")
    before = next(r for r in first["byTownship"] if r["label"] == "南曹乡")
    for m in MEASURES:
        if before[m]["withheld"]:  # the reviewer's target: still not pinned
            low, high = attacker.interval(f"a:byTownship/{before['key']}/{m}")
            assert high - low + 1 >= settings.public_min_count
        if not before[m]["withheld"] and not nancao[m]["withheld"]:
            change = nancao[m]["value"] - before[m]["value"]
            assert change == 0 or abs(change) >= settings.public_min_count, (m, change)


async def test_a_closed_year_is_frozen_at_its_final_release(anon, settings):
    year = datetime.now(UTC).year - 1
    final = await StatisticsRelease.filter(year=year, final=True).count()
    assert final >= 1
    before = (await anon(FULL, {"year": year}))["statistics"]
    assert before["nextReleaseAt"] is None
    await release(settings)
    assert await StatisticsRelease.filter(year=year).order_by("-id").first() is not None
    assert (await anon(FULL, {"year": year}))["statistics"] == before


# -- the randomized attack: several writes between two releases --------------------------------------

YEAR = 2024
TOWNSHIPS, CATEGORIES = 4, 3
FIRST_AS_OF = datetime(YEAR, 7, 1, tzinfo=UTC)  # months 1-6 have ended
SECOND_AS_OF = datetime(YEAR, 9, 1, tzinfo=UTC)


@dataclass
class FakeIssue:
    township: int
    category: int
    month: int
    resolved: bool
    overdue: bool


def _tables(issues: list[FakeIssue], as_of: datetime) -> tuple[Cell, list[list[Row]]]:
    towns = [Row(f"t{i}", f"T{i}", Cell()) for i in range(TOWNSHIPS)]
    cats = [Row(f"c{i}", f"C{i}", Cell()) for i in range(CATEGORIES)]
    months = [Row(f"{YEAR}-{m:02d}", f"{m}月", Cell()) for m in range(1, 13)]
    total = Cell()
    for issue in issues:
        cell = Cell(1, int(not issue.resolved), int(issue.resolved), int(issue.overdue and not issue.resolved))
        for target in (total, towns[issue.township].cell, cats[issue.category].cell, months[issue.month - 1].cell):
            target.add(cell)
    for m, row in enumerate(months, start=1):
        row.cell.known = datetime(YEAR, m, 1, tzinfo=UTC) >= as_of and row.cell.reported == 0
    return total, [towns, cats, months]


def _release(issues: list[FakeIssue], as_of: datetime, previous: StatisticsRelease | None):
    """What the public reads of a release (None when the previous one stands) and its stored row."""
    total, breakdowns = _tables(issues, as_of)
    earlier = _previous(previous) if previous is not None else None
    if not suppress_beside(total, breakdowns, THRESHOLD, 0, earlier, "UTC"):
        return None, None
    data = Statistics("X", YEAR, THRESHOLD, total, *breakdowns, standalone(50, THRESHOLD), standalone(50, THRESHOLD))
    body = to_json(IssueStatistics.from_data(data, as_of, None))
    row = StatisticsRelease(body=json.dumps(body), exact=json.dumps(data.exact()), released_at=as_of)
    return body, row


def _scenario(rng: random.Random) -> tuple[list[FakeIssue], list[FakeIssue]]:
    """Issues at the first release, and at the second after new issues, resolutions and deadlines passing."""
    before = [
        FakeIssue(rng.randrange(TOWNSHIPS), rng.randrange(CATEGORIES), rng.randint(1, 6), rng.random() < 0.6, False)
        for _ in range(rng.randint(25, 70))
    ]
    for issue in before:
        issue.overdue = not issue.resolved and rng.random() < 0.3
    after = [FakeIssue(**vars(i)) for i in before]
    for issue in after:
        if not issue.resolved and rng.random() < 0.3:
            issue.resolved = True
        elif not issue.resolved and rng.random() < 0.3:
            issue.overdue = True
    for _ in range(rng.randint(THRESHOLD, 20)):
        after.append(FakeIssue(rng.randrange(TOWNSHIPS), rng.randrange(CATEGORIES), rng.randint(7, 8), False, False))
    return before, after


def test_several_writes_between_two_releases_pin_nothing():
    released = 0
    for seed in range(10):
        rng = random.Random(seed)
        before, after = _scenario(rng)
        first, stored = _release(before, FIRST_AS_OF, None)
        assert first is not None
        second, _ = _release(after, SECOND_AS_OF, stored)
        if second is None:
            continue  # the first release stands: nothing new to difference
        released += 1
        closed = {f"{YEAR}-{m:02d}" for m in range(1, 7)}
        attacker = cross_attacker(first, second, closed)
        assert assert_nothing_pinned(attacker, first, second) > 0
        # The published changes themselves: never a count from 1 to threshold - 1.
        for name in _names(first):
            a, b = _count(first, name), _count(second, name)
            if not a["withheld"] and not b["withheld"]:
                change = b["value"] - a["value"]
                assert change == 0 or abs(change) >= THRESHOLD, (seed, name, change)
    assert released >= 6  # most scenarios make a second release: the attack is run, not skipped


def test_without_the_cross_release_audit_the_reviewer_pins_the_count():
    """The same attacker on the releases made without the audit (each release alone): a small change or a
    withheld figure is pinned, so the attack is real and the audit is what stops it."""
    pinned = 0
    for seed in range(10):
        rng = random.Random(seed)
        before, after = _scenario(rng)
        first, _ = _release(before, FIRST_AS_OF, None)
        second, _ = _release(after, SECOND_AS_OF, None)  # audited alone, as live tables were
        assert first is not None and second is not None
        attacker = cross_attacker(first, second, {f"{YEAR}-{m:02d}" for m in range(1, 7)})
        try:
            assert_nothing_pinned(attacker, first, second)
        except AssertionError:
            pinned += 1
    assert pinned >= 6
