"""What the benchmarks ask: Yimi's GraphQL documents and, for each, the raw SQL that fetches the same rows.

Shared by bench_api.py (timed) and tests/perf/test_workload.py (same answers at small scale, untimed).
Raw SQL is written once with $1, $2 … placeholders (asyncpg) and sent to SQLite with ? instead.
Times compare as text on SQLite (Tortoise stores "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00"), so ``now``
is passed in that form there.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

OPEN = ("reported", "dispatched", "in_progress", "returned", "reopened")
OPEN_SQL = ", ".join(f"'{s}'" for s in OPEN)
OPEN_ENUMS = [s.upper() for s in OPEN]
PAGE = 100

ENTERPRISES_PAGE = """query EnterprisesPage($after: String) {
  enterprises(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name township { name } commissioner { name } openIssueCount }
  }
}"""

ENTERPRISES_SQL = f"""
SELECT e.id, e.name, t.name AS township, s.name AS commissioner,
       (SELECT COUNT(*) FROM issue i WHERE i.enterprise_id = e.id AND i.status IN ({OPEN_SQL})) AS open_issue_count
FROM enterprise e
JOIN township t ON t.id = e.township_id
LEFT JOIN staff s ON s.id = e.commissioner_id
ORDER BY e.name, e.id
LIMIT {PAGE}"""

ISSUES_PAGE = """query OpenIssuesByDeadline($after: String, $statuses: [IssueStatus!]) {
  issues(first: 100, after: $after, filter: {statuses: $statuses}, orderBy: {field: DEADLINE, direction: ASC}) {
    pageInfo { hasNextPage endCursor }
    nodes { id number title status deadline warningColor enterprise { name } leadTeam { name } }
  }
}"""

# Keyset: the page after (deadline, id) of the last row of the previous page ($2, $3), or the first page.
_ISSUES_SELECT = f"""
SELECT i.id, i.number, i.title, i.status, i.deadline, i.yellow_at, i.orange_at,
       e.name AS enterprise, st.name AS lead_team
FROM issue i
JOIN enterprise e ON e.id = i.enterprise_id
LEFT JOIN service_team st ON st.id = i.lead_team_id
WHERE i.status IN ({OPEN_SQL}) {{after}}
ORDER BY i.deadline, i.id
LIMIT {PAGE}"""
ISSUES_FIRST_SQL = _ISSUES_SELECT.format(after="")
ISSUES_AFTER_SQL = _ISSUES_SELECT.format(after="AND (i.deadline > $1 OR (i.deadline = $1 AND i.id > $2))")

MAP_LAYER = "query MapLayer($filter: EnterpriseFilter) { mapLayer(filter: $filter) }"

# Each enterprise's point with the count of its open issues and the worst warning (3 red … 0 green).
MAP_SQL = f"""
SELECT e.id, e.lon, e.lat, o.n, o.worst
FROM enterprise e
LEFT JOIN (
  SELECT enterprise_id, COUNT(*) AS n,
         MAX(CASE WHEN deadline <= $1 THEN 3 WHEN orange_at <= $1 THEN 2 WHEN yellow_at <= $1 THEN 1 ELSE 0 END) AS worst
  FROM issue WHERE status IN ({OPEN_SQL}) GROUP BY enterprise_id
) o ON o.enterprise_id = e.id
ORDER BY e.id"""

TOWNSHIPS_PAGE = """query TownshipFigures($after: String) {
  townships(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { code name enterpriseCount openIssueCount overdueIssueCount }
  }
}"""

TOWNSHIPS_SQL = f"""
SELECT t.code, t.name,
       (SELECT COUNT(*) FROM enterprise e WHERE e.township_id = t.id) AS enterprise_count,
       COALESCE(c.open, 0) AS open_count, COALESCE(c.overdue, 0) AS overdue_count
FROM township t
LEFT JOIN (
  SELECT e.township_id, COUNT(*) AS open, SUM(CASE WHEN i.deadline <= $1 THEN 1 ELSE 0 END) AS overdue
  FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
  WHERE i.status IN ({OPEN_SQL}) GROUP BY e.township_id
) c ON c.township_id = t.id
ORDER BY t.code"""

WARNING_NAMES = {3: "RED", 2: "ORANGE", 1: "YELLOW", 0: "GREEN"}


def is_sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


def sql_time(value: datetime) -> Any:
    """``value`` as the database compares it: a datetime for asyncpg, Tortoise's text on SQLite."""
    value = value.astimezone(UTC)
    if not is_sqlite():
        return value
    text = value.isoformat(sep=" ")
    return text


async def raw(sql: str, *values: Any) -> list[dict]:
    """Runs ``sql`` on Tortoise's connection (the server's own driver and pool)."""
    conn = connections.get("default")
    if is_sqlite():
        # SQLite takes ? in order: repeat a value used twice.
        order = [int(n) for n in re.findall(r"\$(\d+)", sql)]
        values = tuple(values[n - 1] for n in order)
        sql = re.sub(r"\$\d+", "?", sql)
    return [dict(r) for r in await conn.execute_query_dict(sql, list(values))]


def warning(row: dict, now: datetime) -> str:
    """The warning colour of an open issue row (deadline, orange_at, yellow_at) at ``now``."""
    moments = [row["deadline"], row["orange_at"], row["yellow_at"]]
    moments = [datetime.fromisoformat(m) if isinstance(m, str) else m for m in moments]
    for level, moment in zip((3, 2, 1), moments, strict=True):
        if moment <= now:
            return WARNING_NAMES[level]
    return "GREEN"
