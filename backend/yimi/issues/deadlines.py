"""Deadlines in Chinese working days, with the official holidays and make-up working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

from yimi.issues.models import IssueCategory, IssuePriority

# Working days allowed, by priority, as in common 12345-hotline practice; categories that usually
# need another department's approval get the complex allowance even when reported as normal.
WORKING_DAYS = {IssuePriority.URGENT: 3, IssuePriority.NORMAL: 7, IssuePriority.COMPLEX: 15}
SLOW_CATEGORIES = {IssueCategory.LAND, IssueCategory.PERMITS}

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


def allowed_working_days(category: IssueCategory, priority: IssuePriority) -> int:
    if priority == IssuePriority.NORMAL and category in SLOW_CATEGORIES:
        return WORKING_DAYS[IssuePriority.COMPLEX]
    return WORKING_DAYS[priority]


def deadline_for(reported_at: datetime, category: IssueCategory, priority: IssuePriority, tz: str) -> datetime:
    zone = ZoneInfo(tz)
    local_day = reported_at.astimezone(zone).date()
    last_day = add_working_days(local_day, allowed_working_days(category, priority))
    return datetime.combine(last_day, CLOSE_OF_BUSINESS, tzinfo=zone)
