from __future__ import annotations

from yimi.common.loaders import by_id, counted, grouped
from yimi.enterprises.models import Enterprise
from yimi.issues.models import OPEN_STATUSES, Issue

OPEN_VALUES = [s.value for s in OPEN_STATUSES]


class EnterpriseLoaders:
    def __init__(self):
        self.by_id = by_id(Enterprise)
        self.open_issue_count = counted(
            lambda ids: Issue.filter(status__in=OPEN_VALUES, enterprise_id__in=ids), "enterprise_id"
        )

        async def issues(ids):
            rows = await Issue.filter(enterprise_id__in=ids).order_by("-reported_at", "-id")
            return [(row.enterprise_id, row) for row in rows]

        self.issues = grouped(issues)
