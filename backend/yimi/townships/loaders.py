from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from strawberry.dataloader import DataLoader

from yimi.common.figures import ENTERPRISES, OPEN_ISSUES, TOWNSHIP_FIGURES, overdue_by_township
from yimi.common.loaders import by_id, figure, grouped
from yimi.teams.models import TeamCoverage
from yimi.townships.models import Township


class TownshipLoaders:
    def __init__(self, now: datetime):
        self.by_id = by_id(
            Township, rows=lambda: Township.all().annotate(**TOWNSHIP_FIGURES), only=Township.LIGHT_FIELDS
        )

        async def boundaries(ids):
            return await Township.filter(id__in=ids).values_list("id", "boundary")

        self.boundary = grouped(boundaries)
        # Figures kept on write (yimi.common.figures), for rows read without them.
        self.enterprise_count = figure(Township, TOWNSHIP_FIGURES[ENTERPRISES])
        self.open_issue_count = figure(Township, TOWNSHIP_FIGURES[OPEN_ISSUES])

        async def overdue(ids: Sequence[int]) -> list[int]:
            counts = await overdue_by_township(ids, now)
            return [counts.get(i, 0) for i in ids]

        self.overdue_issue_count = DataLoader(load_fn=overdue)

        async def team_ids(ids):
            return (
                await TeamCoverage.filter(township_id__in=ids).order_by("team_id").values_list("township_id", "team_id")
            )

        self.covering_team_ids = grouped(team_ids)
