"""Every figure the public reads is true: published ones equal an independent SQL count written here
(raw SQL through Tortoise's connection, not the service's code), withheld ones claim no value and
read as a range that holds the true count and at least ``threshold`` values."""

from __future__ import annotations

import statistics as pystats
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from tortoise import connections

from tests.stats.helpers import FULL, demo_years, release_anew

OPEN = ("reported", "dispatched", "in_progress", "returned", "reopened")
RESOLVED = ("resolved", "closed")


async def sql(query: str, *values) -> list[dict]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        parts = query.split("?")
        query = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))
    return await conn.execute_query_dict(query, list(values))


def bounds(year: int, month: int | None = None, tz: str = "Asia/Shanghai") -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    if month is None:
        return datetime(year, 1, 1, tzinfo=zone).astimezone(UTC), datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return datetime(year, month, 1, tzinfo=zone).astimezone(UTC), end.astimezone(UTC)


FIGURES = f"""COUNT(*) AS reported,
  SUM(CASE WHEN i.status IN ({",".join("?" * len(OPEN))}) THEN 1 ELSE 0 END) AS open,
  SUM(CASE WHEN i.status IN ('resolved', 'closed') THEN 1 ELSE 0 END) AS resolved,
  SUM(CASE WHEN i.status IN ({",".join("?" * len(OPEN))}) AND i.deadline <= ? THEN 1 ELSE 0 END) AS overdue"""


async def true_tables(year: int, now: datetime) -> dict[str, dict[str, dict[str, int]]]:
    """{table: {key: {measure: count}}} straight from the database."""
    start, end = bounds(year)
    args = [*OPEN, *OPEN, now]
    where = "FROM issue i WHERE i.reported_at >= ? AND i.reported_at < ?"
    tables: dict[str, dict[str, dict[str, int]]] = {"total": {}, "township": {}, "category": {}, "month": {}}
    for row in await sql(f"SELECT {FIGURES} {where}", *args, start, end):
        tables["total"]["ALL"] = row
    for row in await sql(
        f"SELECT t.code AS key, {FIGURES} FROM issue i JOIN enterprise e ON e.id = i.enterprise_id "
        "JOIN township t ON t.id = e.township_id WHERE i.reported_at >= ? AND i.reported_at < ? GROUP BY t.code",
        *args,
        start,
        end,
    ):
        tables["township"][row["key"]] = row
    for row in await sql(f"SELECT i.category AS key, {FIGURES} {where} GROUP BY i.category", *args, start, end):
        tables["category"][row["key"]] = row
    for month in range(1, 13):
        m_start, m_end = bounds(year, month)
        for row in await sql(f"SELECT {FIGURES} {where}", *args, m_start, m_end):
            tables["month"][f"{year}-{month:02d}"] = row
    return tables


def _check(name: str, count: dict, true: int, threshold: int) -> str:
    if count["withheld"]:
        assert count["value"] is None and count["reason"] == "WITHHELD", (name, count)
        assert count["low"] <= true <= count["high"], (name, count, true)
        assert count["high"] - count["low"] + 1 >= threshold, (name, count)
        return "withheld"
    assert count["value"] == true == count["low"] == count["high"], (name, count, true)
    return "published"


@pytest.fixture(scope="module")
async def released(demo, settings):
    await release_anew(settings)


@pytest.mark.parametrize("year", demo_years())
async def test_every_figure_is_true(anon, released, year):
    stats = (await anon(FULL, {"year": year}))["statistics"]
    now = datetime.fromisoformat(stats["releasedAt"])  # the figures are as of the release's cut-off
    threshold = stats["threshold"]
    assert threshold == 5
    truth = await true_tables(year, now)
    seen = {"withheld": 0, "published": 0}
    rows = [("total", stats["total"])]
    rows += [("township", r) for r in stats["byTownship"]]
    rows += [("category", r) for r in stats["byCategory"]]
    rows += [("month", r) for r in stats["byMonth"]]
    assert [r["key"] for r in stats["byMonth"]] == [f"{year}-{m:02d}" for m in range(1, 13)]
    assert [r["label"] for r in stats["byMonth"]] == [f"{m}月" for m in range(1, 13)]
    for table, row in rows:
        true = truth[table].get(row["key"] if table != "category" else row["key"].lower(), {})
        for measure in ("reported", "open", "resolved", "overdue"):
            outcome = _check(f"{table} {row['key']} {measure}", row[measure], int(true.get(measure) or 0), threshold)
            seen[outcome] += 1
            if outcome == "published" and row[measure]["value"] < threshold:
                # Only a month that has not begun may read below the threshold: it is 0, as everyone knows.
                assert table == "month" and row[measure]["value"] == 0, (table, row)
                assert datetime(year, int(row["key"][5:]), 1, tzinfo=ZoneInfo("Asia/Shanghai")) > now

    start, end = bounds(year)
    served = await sql(
        "SELECT COUNT(*) AS n FROM (SELECT enterprise_id FROM issue WHERE reported_at >= ? AND reported_at < ? "
        "UNION SELECT enterprise_id FROM visit WHERE visited_on >= ? AND visited_on < ?) AS served",
        start,
        end,
        date(year, 1, 1),
        date(year + 1, 1, 1),
    )
    _check("enterprisesServed", stats["enterprisesServed"], served[0]["n"], threshold)
    visits = await sql(
        "SELECT COUNT(*) AS n FROM visit WHERE visited_on >= ? AND visited_on < ?",
        date(year, 1, 1),
        date(year + 1, 1, 1),
    )
    _check("visits", stats["visits"], visits[0]["n"], threshold)

    spans = await sql(
        "SELECT reported_at, resolved_at FROM issue WHERE reported_at >= ? AND reported_at < ? "
        "AND status IN ('resolved', 'closed') AND resolved_at IS NOT NULL",
        start,
        end,
    )
    assert stats["medianWorkingDaysToResolve"] == _median(spans)
    assert seen["published"] > 0


def _instant(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _median(spans: list[dict]) -> float | None:
    """Working days after the report's date (county time) up to and including the resolution's."""
    zone = ZoneInfo("Asia/Shanghai")
    days = []
    for span in spans:
        day = _instant(span["reported_at"]).astimezone(zone).date()
        last = _instant(span["resolved_at"]).astimezone(zone).date()
        count = 0
        while day < last:
            day += timedelta(days=1)
            try:
                count += chinese_calendar.is_workday(day)
            except NotImplementedError:
                count += day.weekday() < 5
        days.append(count)
    return float(pystats.median(days)) if len(days) >= 10 else None


async def test_years_are_those_with_issues(anon, released):
    years = (await anon("{ statisticsYears }"))["statisticsYears"]
    rows = await sql("SELECT reported_at FROM issue")
    zone = ZoneInfo("Asia/Shanghai")
    counts: dict[int, int] = {}
    for row in rows:
        year = _instant(row["reported_at"]).astimezone(zone).year
        counts[year] = counts.get(year, 0) + 1
    assert years == sorted(y for y, n in counts.items() if n >= 5) == demo_years()


async def test_a_warm_answer_costs_one_query(anon, settings):
    from tests.conftest import count_sql

    await anon(FULL, {"year": 2024})
    with count_sql() as statements:
        await anon(FULL, {"year": 2024})
    assert len(statements) == 1 and "FROM data_version" in statements[0], statements  # the response cache
