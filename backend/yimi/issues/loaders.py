from __future__ import annotations

from yimi.common.loaders import by_id, grouped
from yimi.issues.models import DispatchOrder, Issue, IssueEvent


class IssueLoaders:
    def __init__(self):
        self.by_id = by_id(Issue)

        async def dispatches(ids):
            rows = await DispatchOrder.filter(issue_id__in=ids).order_by("dispatched_at", "id")
            return [(row.issue_id, row) for row in rows]

        async def events(ids):
            rows = await IssueEvent.filter(issue_id__in=ids).order_by("created_at", "id")
            return [(row.issue_id, row) for row in rows]

        self.dispatches = grouped(dispatches)
        self.events = grouped(events)
