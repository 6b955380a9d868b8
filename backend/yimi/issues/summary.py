"""Figures over the issues a filter selects: open, overdue, due this week, on-time and satisfaction.

The dashboard's summary strip and the map's township labels read them for the filter the list
shows, so they are counted over exactly the `issues` query's rows (``issue_queryset``: the same
criteria and the same read rules) in one GROUP BY township statement; the county's figures are the
sum of the townships'.

Definitions (``figure_counts``, which the teams' figures, yimi.teams.service, count too):
- open: status reported, dispatched, in progress, returned or reopened;
- overdue: open and its deadline passed (the red warning);
- due this week: open, not overdue, and due before the end of this week (Monday to Sunday, county
  time);
- resolved: resolved or closed, with a resolution time; on time: resolved no later than its
  deadline;
- rated: the enterprise gave a verdict; content: satisfied or basically satisfied.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import F, Q
from tortoise.functions import Count

from yimi.accounts.read_rules import Access
from yimi.issues.filters import IssueCriteria, issue_queryset
from yimi.issues.models import CONTENT_VALUES, OPEN_VALUES, RESOLVED_VALUES
from yimi.issues.warning import overdue_q


@dataclass(frozen=True)
class IssueFigures:
    total: int = 0
    open: int = 0
    overdue: int = 0
    due_this_week: int = 0
    resolved: int = 0
    on_time: int = 0
    rated: int = 0
    content: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.content / self.rated if self.rated else None

    def __add__(self, other: IssueFigures) -> IssueFigures:
        return IssueFigures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def end_of_week(now: datetime, timezone: str) -> datetime:
    """The end of ``now``'s week (Monday 00:00 of the next, county time), in UTC.

    In UTC because SQLite compares the stored timestamps (UTC) as text.
    """
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)


def figure_counts(now: datetime) -> dict[str, Count]:
    """Open, overdue at ``now``, resolved, on time, rated and content, as annotations of a GROUP BY."""
    resolved = Q(status__in=RESOLVED_VALUES, resolved_at__isnull=False)
    return {
        "n_open": Count("id", _filter=Q(status__in=OPEN_VALUES)),
        "n_overdue": Count("id", _filter=overdue_q(now)),
        "n_resolved": Count("id", _filter=resolved),
        "n_on_time": Count("id", _filter=resolved & Q(resolved_at__lte=F("deadline"))),
        "n_rated": Count("id", _filter=Q(satisfaction__isnull=False)),
        "n_content": Count("id", _filter=Q(satisfaction__in=CONTENT_VALUES)),
    }


async def issue_summary(
    criteria: IssueCriteria, now: datetime, access: Access, timezone: str
) -> tuple[IssueFigures, dict[int, IssueFigures]]:
    """The figures of the issues ``access`` may read that match ``criteria``: the county's, and each
    township's by township id (townships without such an issue are left out). One SQL statement."""
    now = now.astimezone(UTC)
    this_week = Q(status__in=OPEN_VALUES, deadline__gt=now, deadline__lt=end_of_week(now, timezone))
    counts = {"n_total": Count("id"), **figure_counts(now), "n_due_this_week": Count("id", _filter=this_week)}
    rows = await (
        issue_queryset(criteria, now, access)
        .annotate(**counts)
        .group_by("enterprise__township_id")
        .values("enterprise__township_id", *counts)
    )
    by_township = {
        row["enterprise__township_id"]: IssueFigures(*(int(row[f"n_{f.name}"] or 0) for f in fields(IssueFigures)))
        for row in rows
    }
    county = sum(by_township.values(), IssueFigures())
    return county, by_township
