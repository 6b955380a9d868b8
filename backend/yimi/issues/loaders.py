from __future__ import annotations

import contextlib

from yimi.accounts.read_rules import Access
from yimi.common.loaders import by_id, grouped
from yimi.issues.models import DispatchOrder, ExtensionRequest, Issue, IssueEvent
from yimi.teams.models import TeamMember


class IssueLoaders:
    """Issues through the caller's row rule; what hangs off an issue is loaded by ids of visible issues."""

    def __init__(self, access: Access):
        self.by_id = by_id(Issue, rows=access.issues)
        self.extension_request_by_id = by_id(ExtensionRequest, rows=access.extension_requests)

        async def dispatches(ids):
            rows = await DispatchOrder.filter(issue_id__in=ids).order_by("dispatched_at", "id")
            return [(row.issue_id, row) for row in rows]

        async def events(ids):
            rows = await IssueEvent.filter(issue_id__in=ids).order_by("created_at", "id")
            return [(row.issue_id, row) for row in rows]

        async def extension_requests(ids):
            rows = await ExtensionRequest.filter(issue_id__in=ids).order_by("requested_at", "id")
            return [(row.issue_id, row) for row in rows]

        async def by_visit(ids):
            rows = await access.issues().filter(visit_id__in=ids).order_by("id")
            return [(row.visit_id, row) for row in rows]

        self.dispatches = grouped(dispatches)
        self.events = grouped(events)
        self.extension_requests = grouped(extension_requests)
        self.by_visit = grouped(by_visit)

        async def team_ids_of_staff(ids):
            return await TeamMember.filter(staff_id__in=ids).values_list("staff_id", "team_id")

        # The caller's teams, for Issue.viewerActions: one query per request, whatever the page size.
        self.team_ids_of_staff = grouped(team_ids_of_staff)

    def forget(self, issue_id: int) -> None:
        """Drops what this request cached about an issue (after a mutation changed it)."""
        for loader in (self.by_id, self.dispatches, self.events, self.extension_requests):
            with contextlib.suppress(KeyError):  # not cached
                loader.clear(issue_id)
