"""issueSummary against figures worked out independently: raw SQL rows aggregated in Python.

Shared by test_summary.py (SQLite, the session's database) and pg_summary_check.py (PostgreSQL).
Which issues a caller may read comes from the `issues` query with the same filter (its ids), so
that the summary is checked to count exactly the list the caller sees.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import Tortoise

SUMMARY = """query($filter: IssueFilter) { issueSummary(filter: $filter) {
  total open overdue dueThisWeek resolved onTime onTimeRate rated satisfied satisfactionRate
  byTownship { township { id code } total open overdue dueThisWeek resolved onTime onTimeRate rated satisfied
    satisfactionRate }
} }"""
IDS = """query($filter: IssueFilter, $after: String) {
  issues(filter: $filter, first: 100, after: $after) { nodes { number } pageInfo { hasNextPage endCursor } }
}"""
OPEN = {"reported", "dispatched", "in_progress", "returned", "reopened"}
COUNTS = ["total", "open", "overdue", "dueThisWeek", "resolved", "onTime", "rated", "satisfied"]
# (name, filter): the web app's summary strip under some filters (融资 + 红色 as in issue #12).
FILTERS: list[tuple[str, dict | None]] = [
    ("none", None),
    ("financing+red", {"categories": ["FINANCING"], "warningColors": ["RED"]}),
    ("closed in two townships", {"statuses": ["CLOSED"], "townshipCodes": ["410223105", "410223001"]}),
    ("power, reported 2021", {"categories": ["POWER"], "reportedBetween": {"from": "2021-01-01", "to": "2022-01-01"}}),
]


def _aware(value: Any) -> datetime:
    """A stored timestamp as an aware datetime: a datetime (PostgreSQL) or ISO text (SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def stored_rows() -> dict[str, dict]:
    """Every issue's figures-relevant columns with its township code, by issue number, in raw SQL."""
    conn = Tortoise.get_connection("default")
    _, rows = await conn.execute_query(
        "SELECT i.number, i.status, i.deadline, i.resolved_at, i.satisfaction, t.code "
        "FROM issue i JOIN enterprise e ON e.id = i.enterprise_id JOIN township t ON t.id = e.township_id"
    )
    return {
        r["number"]: {
            "status": r["status"],
            "deadline": _aware(r["deadline"]),
            "resolved_at": _aware(r["resolved_at"]) if r["resolved_at"] is not None else None,
            "satisfaction": r["satisfaction"],
            "township": r["code"],
        }
        for r in (dict(row) for row in rows)
    }


def figures(rows: list[dict], now: datetime, timezone: str = "Asia/Shanghai") -> dict:
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    week_end = datetime.combine(today + timedelta(days=7 - today.weekday()), time(0), tzinfo=zone)
    f = dict.fromkeys(COUNTS, 0)
    for r in rows:
        is_open = r["status"] in OPEN
        done = r["status"] in ("resolved", "closed") and r["resolved_at"] is not None
        f["total"] += 1
        f["open"] += is_open
        f["overdue"] += is_open and r["deadline"] <= now
        f["dueThisWeek"] += is_open and now < r["deadline"] < week_end
        f["resolved"] += done
        f["onTime"] += done and r["resolved_at"] <= r["deadline"]
        f["rated"] += r["satisfaction"] is not None
        f["satisfied"] += r["satisfaction"] in ("satisfied", "basically_satisfied")
    f["onTimeRate"] = f["onTime"] / f["resolved"] if f["resolved"] else None
    f["satisfactionRate"] = f["satisfied"] / f["rated"] if f["rated"] else None
    return f


async def listed(gql, filter: dict | None) -> list[str]:
    numbers, after = [], None
    while True:
        conn = (await gql(IDS, {"filter": filter, "after": after}))["issues"]
        numbers += [n["number"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return numbers
        after = conn["pageInfo"]["endCursor"]


async def compare(gql, filter: dict | None) -> tuple[dict, dict]:
    """(what issueSummary says, what the listed issues' stored rows give), rates rounded alike."""
    now = datetime.now(UTC)
    answer = (await gql(SUMMARY, {"filter": filter}))["issueSummary"]
    rows = await stored_rows()
    mine = [rows[n] for n in await listed(gql, filter)]
    by_township: dict[str, list[dict]] = defaultdict(list)
    for r in mine:
        by_township[r["township"]].append(r)
    expected = {
        **figures(mine, now),
        "byTownship": {code: figures(rs, now) for code, rs in sorted(by_township.items())},
    }
    got = {k: v for k, v in answer.items() if k != "byTownship"}
    got["byTownship"] = {
        t["township"]["code"]: {k: v for k, v in t.items() if k != "township"} for t in answer["byTownship"]
    }
    return _rounded(got), _rounded(expected)


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 9)
    return value
