"""The four-colour warning (四色预警) of an open issue: the one place it is computed.

Green while less than ``warn_yellow_at`` of the time from report to deadline is used, yellow from
there, orange from ``warn_orange_at``, red once overdue. The two threshold instants are stored on
the issue (``yellow_at``, ``orange_at``) so that filters, counts and the map stay indexed SQL.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from tortoise.expressions import Q

from yimi.common import clock
from yimi.issues.models import OPEN_STATUSES, IssueStatus


class WarningColor(str, Enum):
    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


# Worst first, for "the worst open issue" of an enterprise.
SEVERITY = {WarningColor.GREEN: 0, WarningColor.YELLOW: 1, WarningColor.ORANGE: 2, WarningColor.RED: 3}


def thresholds(reported_at: datetime, deadline: datetime, yellow: float, orange: float) -> tuple[datetime, datetime]:
    span = deadline - reported_at
    return reported_at + span * yellow, reported_at + span * orange


def warning_color(
    status: IssueStatus, yellow_at: datetime, orange_at: datetime, deadline: datetime, now: datetime
) -> WarningColor | None:
    if status not in OPEN_STATUSES:
        return None
    if now >= deadline:
        return WarningColor.RED
    if now >= orange_at:
        return WarningColor.ORANGE
    if now >= yellow_at:
        return WarningColor.YELLOW
    return WarningColor.GREEN


def next_warning_change(
    status: IssueStatus, yellow_at: datetime, orange_at: datetime, deadline: datetime, now: datetime
) -> datetime | None:
    """The first instant after ``now`` at which ``warning_color`` gives another colour (None: never, as
    long as the issue stays as it is)."""
    if status not in OPEN_STATUSES:
        return None
    return next((t for t in (yellow_at, orange_at, deadline) if t > now), None)


def warning_q(color: WarningColor, now: datetime, prefix: str = "") -> Q:
    """A filter for open issues showing ``color`` at ``now``; ``prefix`` reaches issues via a relation. Which
    issues it matches changes with the clock (yimi.common.clock)."""
    clock.depends_on_every_issue()

    def f(**kw) -> Q:
        return Q(**{prefix + k: v for k, v in kw.items()})

    open_ = f(status__in=[s.value for s in OPEN_STATUSES])
    if color == WarningColor.RED:
        return open_ & f(deadline__lte=now)
    if color == WarningColor.ORANGE:
        return open_ & f(orange_at__lte=now) & f(deadline__gt=now)
    if color == WarningColor.YELLOW:
        return open_ & f(yellow_at__lte=now) & f(orange_at__gt=now)
    return open_ & f(yellow_at__gt=now)


def overdue_q(now: datetime, prefix: str = "") -> Q:
    return warning_q(WarningColor.RED, now, prefix)


async def recompute_thresholds(yellow: float, orange: float, batch: int = 1000) -> int:
    """Re-derives every issue's stored yellow_at / orange_at from new thresholds; returns how many changed.

    Needed after YIMI_WARN_YELLOW_AT / YIMI_WARN_ORANGE_AT change, so that one screen never mixes
    colours computed with two sets of thresholds. One transaction: all issues or none.
    """
    from tortoise.transactions import in_transaction

    from yimi.issues.models import Issue

    changed = 0
    async with in_transaction() as conn:
        rows = await Issue.all().using_db(conn).values_list("id", "reported_at", "deadline", "yellow_at", "orange_at")
        updates = []
        for issue_id, reported_at, deadline, yellow_at, orange_at in rows:
            new_yellow, new_orange = thresholds(reported_at, deadline, yellow, orange)
            if (new_yellow, new_orange) != (yellow_at, orange_at):
                updates.append(Issue(id=issue_id, yellow_at=new_yellow, orange_at=new_orange))
        for start in range(0, len(updates), batch):
            chunk = updates[start : start + batch]
            await Issue.bulk_update(chunk, fields=["yellow_at", "orange_at"], using_db=conn)
            changed += len(chunk)
    return changed
