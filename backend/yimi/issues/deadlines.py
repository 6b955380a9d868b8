"""Deadlines in Chinese working days, with the official holidays and make-up working days."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

from yimi.issues.models import IssueCategory, IssuePriority

# Working days allowed, by priority, as in common 12345-hotline practice; categories that usually
# need another department's approval get the complex allowance even when reported as normal.
# Both tables can be replaced through settings (YIMI_DEADLINE_WORKING_DAYS, YIMI_DEADLINE_CATEGORY_WORKING_DAYS).
WORKING_DAYS = {IssuePriority.URGENT: 3, IssuePriority.NORMAL: 7, IssuePriority.COMPLEX: 15}
CATEGORY_WORKING_DAYS = {
    IssueCategory.LAND: {IssuePriority.NORMAL: 15},
    IssueCategory.PERMITS: {IssuePriority.NORMAL: 15},
}


@dataclass(frozen=True)
class DeadlineRules:
    by_priority: Mapping[IssuePriority, int] = field(default_factory=lambda: dict(WORKING_DAYS))
    by_category: Mapping[IssueCategory, Mapping[IssuePriority, int]] = field(
        default_factory=lambda: {c: dict(d) for c, d in CATEGORY_WORKING_DAYS.items()}
    )

    @classmethod
    def from_settings(cls, settings) -> DeadlineRules:
        return cls(
            by_priority={IssuePriority(k): v for k, v in settings.deadline_working_days.items()},
            by_category={
                IssueCategory(c): {IssuePriority(p): v for p, v in days.items()}
                for c, days in settings.deadline_category_working_days.items()
            },
        )

    def working_days(self, category: IssueCategory, priority: IssuePriority) -> int:
        return self.by_category.get(category, {}).get(priority, self.by_priority[priority])


DEFAULT_RULES = DeadlineRules()

# The office closes at 17:30; a deadline is the end of its last working day.
CLOSE_OF_BUSINESS = time(17, 30)


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years the calendar does not know yet (the State Council publishes each December):
        # fall back to Monday–Friday.
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def deadline_for(
    reported_at: datetime,
    category: IssueCategory,
    priority: IssuePriority,
    tz: str,
    rules: DeadlineRules = DEFAULT_RULES,
) -> datetime:
    zone = ZoneInfo(tz)
    local_day = reported_at.astimezone(zone).date()
    last_day = add_working_days(local_day, rules.working_days(category, priority))
    return datetime.combine(last_day, CLOSE_OF_BUSINESS, tzinfo=zone)
