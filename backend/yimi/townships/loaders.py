from __future__ import annotations

from datetime import datetime

from yimi.common.loaders import by_id, counted, grouped
from yimi.enterprises.models import Enterprise
from yimi.issues.models import OPEN_VALUES, Issue
from yimi.issues.warning import overdue_q
from yimi.teams.models import TeamCoverage
from yimi.townships.models import Township


class TownshipLoaders:
    def __init__(self, now: datetime):
        self.by_id = by_id(Township, only=Township.LIGHT_FIELDS)

        async def boundaries(ids):
            return await Township.filter(id__in=ids).values_list("id", "boundary")

        self.boundary = grouped(boundaries)
        self.enterprise_count = counted(lambda ids: Enterprise.filter(township_id__in=ids), "township_id")
        self.open_issue_count = counted(
            lambda ids: Issue.filter(status__in=OPEN_VALUES, enterprise__township_id__in=ids),
            "enterprise__township_id",
        )
        self.overdue_issue_count = counted(
            lambda ids: Issue.filter(overdue_q(now), enterprise__township_id__in=ids),
            "enterprise__township_id",
        )

        async def team_ids(ids):
            return (
                await TeamCoverage.filter(township_id__in=ids).order_by("team_id").values_list("township_id", "team_id")
            )

        self.covering_team_ids = grouped(team_ids)
