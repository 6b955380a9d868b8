"""Figures over the issues a filter selects: open, overdue, due this week, on-time and satisfaction.

The dashboard's summary strip and the map's township labels read them for the filter the list
shows, so they are counted over exactly the `issues` query's rows (``issue_queryset``: the same
criteria and the same read rules) in one GROUP BY township statement; the county's figures are the
sum of the townships'.

Definitions (the same as the teams' figures, yimi.teams.service):
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
from yimi.issues.models import OPEN_VALUES, RESOLVED_VALUES, Satisfaction
from yimi.issues.warning import overdue_q

CONTENT_VALUES = [Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value]


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


async def issue_summary(
    criteria: IssueCriteria, now: datetime, access: Access, timezone: str
) -> tuple[IssueFigures, dict[int, IssueFigures]]:
    """The figures of the issues ``access`` may read that match ``criteria``: the county's, and each
    township's by township id (townships without such an issue are left out). One SQL statement."""
    now = now.astimezone(UTC)
    open_ = Q(status__in=OPEN_VALUES)
    resolved = Q(status__in=RESOLVED_VALUES, resolved_at__isnull=False)
    rows = await (
        issue_queryset(criteria, now, access)
        .annotate(
            n_total=Count("id"),
            n_open=Count("id", _filter=open_),
            n_overdue=Count("id", _filter=overdue_q(now)),
            n_due_this_week=Count("id", _filter=open_ & Q(deadline__gt=now, deadline__lt=end_of_week(now, timezone))),
            n_resolved=Count("id", _filter=resolved),
            n_on_time=Count("id", _filter=resolved & Q(resolved_at__lte=F("deadline"))),
            n_rated=Count("id", _filter=Q(satisfaction__isnull=False)),
            n_content=Count("id", _filter=Q(satisfaction__in=CONTENT_VALUES)),
        )
        .group_by("enterprise__township_id")
        .values(
            "enterprise__township_id",
            "n_total",
            "n_open",
            "n_overdue",
            "n_due_this_week",
            "n_resolved",
            "n_on_time",
            "n_rated",
            "n_content",
        )
    )
    by_township = {
        row["enterprise__township_id"]: IssueFigures(*(int(row[f"n_{f.name}"] or 0) for f in fields(IssueFigures)))
        for row in rows
    }
    county = sum(by_township.values(), IssueFigures())
    return county, by_township
