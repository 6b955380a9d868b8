"""Figures the database keeps up to date on write (migration 0010): how queries read them.

The columns are not fields of the Tortoise models (a ``save()`` would write a stale copy back), so
querysets read them as annotations: ``Enterprise.all().annotate(**ENTERPRISE_FIGURES)`` gives each
row an ``open_issues`` attribute. The ``open_issue`` table (one row per open issue, with its
township and warning thresholds) answers what depends on the clock: overdue counts, warning colours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.expressions import RawSQL

from yimi.common import clock
from yimi.issues.models import OPEN_VALUES

OPEN_ISSUES = "open_issues"
ENTERPRISES = "enterprises_in"

ENTERPRISE_FIGURES = {OPEN_ISSUES: RawSQL('"enterprise"."open_issue_count"')}
TOWNSHIP_FIGURES = {
    ENTERPRISES: RawSQL('"township"."enterprise_count"'),
    OPEN_ISSUES: RawSQL('"township"."open_issue_count"'),
}

# The expression of the index issue_open_deadline (migration 0010), spelt the same way: SQLite uses
# an expression index only for the very same expression.
OPEN_SQL = "(" + ",".join(f"'{v}'" for v in OPEN_VALUES) + ")"
_SENTINEL = {"sqlite": "'9999-12-31'", "postgres": "'infinity'::timestamptz"}


def dialect() -> str:
    return "postgres" if connections.get("default").capabilities.dialect == "postgres" else "sqlite"


def open_deadline() -> RawSQL:
    """An open issue's deadline, and for any other a value after every deadline: ordering open
    issues by it walks the index issue_open_deadline instead of sorting them all."""
    return RawSQL(f'(CASE WHEN "issue"."status" IN {OPEN_SQL} THEN "issue"."deadline" ELSE {_SENTINEL[dialect()]} END)')


def placeholders(start: int, n: int) -> list[str]:
    """Parameter markers for raw SQL: ``?`` on SQLite, ``$1``… on PostgreSQL."""
    if dialect() == "postgres":
        return [f"${i}" for i in range(start, start + n)]
    return ["?"] * n


async def raw_rows(sql: str, values: Sequence[Any]) -> list[Any]:
    """Rows of a raw query as the driver gives them (indexable), without building models."""
    _, rows = await connections.get("default").execute_query(sql, list(values))
    return list(rows)


async def overdue_by_township(township_ids: Sequence[int], now: datetime) -> dict[int, int]:
    """Open issues past their deadline at ``now``, per township: a range of the index
    open_issue_township_deadline per township, whatever the number of closed issues. They change with the
    clock, at the next deadline among these townships' open issues only (yimi.common.clock): at province
    scale some issue changes colour every second or two, and a page of townships held only until the next
    change of any was computed again about once a second."""
    if not township_ids:
        return {}
    ids = sorted(set(township_ids))
    marks = placeholders(1, len(ids) + 1)
    among = f"FROM open_issue WHERE township_id IN ({','.join(marks[:-1])}) AND deadline"
    rows = await raw_rows(f"SELECT township_id, COUNT(*) {among} <= {marks[-1]} GROUP BY township_id", [*ids, now])
    following = await raw_rows(f"SELECT MIN(deadline) {among} > {marks[-1]}", [*ids, now])
    clock.holds_until(_instant(following[0][0]))
    return {int(r[0]): int(r[1]) for r in rows}


def _instant(value: Any) -> datetime | None:
    """An instant as the database returns it (SQLite: ISO text)."""
    return value if value is None or isinstance(value, datetime) else datetime.fromisoformat(value)


def among_enterprises(enterprises_sql: str) -> tuple[str, str]:
    """(the CTE to start with, the condition to add) that keep open_issue rows to the enterprises
    ``enterprises_sql`` selects (their ids; every enterprise when it is empty). The filter comes first,
    as a CTE: SQLite numbers its parameters in the order they appear."""
    if not enterprises_sql:
        return "", ""
    return f"WITH chosen AS ({enterprises_sql}) ", "AND enterprise_id IN (SELECT id FROM chosen)"


# The warning thresholds of an open issue, in the order they come (yimi.issues.warning).
THRESHOLDS = ("yellow_at", "orange_at", "deadline")


async def next_colour_change(now: datetime, enterprises_sql: str = "", params: Sequence[Any] = ()) -> datetime | None:
    """The next instant after ``now`` an open issue turns yellow, orange or overdue (None: none ahead), among
    the enterprises ``enterprises_sql`` selects (their ids; every enterprise when empty): answers that depend
    on the clock hold until then. The earliest threshold still ahead, whichever it is (yellow, orange and
    deadline come in that order for each issue): three seeks of the open_issue threshold indexes."""
    chosen, among = among_enterprises(enterprises_sql)
    marks = placeholders(len(params) + 1, 3)
    firsts = " UNION ALL ".join(
        f"SELECT MIN({column}) AS t FROM open_issue WHERE {column} > {mark} {among}"
        for column, mark in zip(THRESHOLDS, marks, strict=True)
    )
    sql = f"{chosen}SELECT MIN(t) FROM ({firsts}) AS firsts"
    return _instant((await raw_rows(sql, [*params, now, now, now]))[0][0])
