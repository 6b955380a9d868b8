from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from strawberry.dataloader import DataLoader

from yimi.accounts.models import Department, Staff
from yimi.common.loaders import by_id, counted, grouped
from yimi.issues.models import OPEN_VALUES, Issue
from yimi.teams.models import ServiceTeam, TeamCoverage, TeamMember
from yimi.teams.service import TeamFigures, team_figures


class TeamLoaders:
    def __init__(self):
        self.by_id = by_id(ServiceTeam)
        self.department_by_id = by_id(Department)
        self.staff_by_id = by_id(Staff)

        async def member_ids(ids):
            return await TeamMember.filter(team_id__in=ids).order_by("staff_id").values_list("team_id", "staff_id")

        async def township_ids(ids):
            return (
                await TeamCoverage.filter(team_id__in=ids).order_by("township_id").values_list("team_id", "township_id")
            )

        async def sub_team_ids(ids):
            return await ServiceTeam.filter(parent_id__in=ids).order_by("id").values_list("parent_id", "id")

        self.member_ids = grouped(member_ids)
        self.township_ids = grouped(township_ids)
        self.sub_team_ids = grouped(sub_team_ids)
        self.open_issue_count = counted(
            lambda ids: Issue.filter(status__in=OPEN_VALUES, lead_team_id__in=ids), "lead_team_id"
        )
        self._figures: dict[tuple[datetime, str, datetime | None], DataLoader] = {}

    def figures(self, *, now: datetime, timezone: str, since: datetime | None = None) -> DataLoader:
        """TeamFigures by team id; one loader (one batch of three statements) per argument set."""
        key = (now, timezone, since)
        loader = self._figures.get(key)
        if loader is None:

            async def load(ids: Sequence[int]) -> list[TeamFigures]:
                figures = await team_figures(ids, now=now, timezone=timezone, since=since)
                return [figures[i] for i in ids]

            loader = self._figures[key] = DataLoader(load_fn=load)
        return loader
