from __future__ import annotations

from yimi.accounts.models import Department, Staff
from yimi.common.loaders import by_id, counted, grouped
from yimi.issues.models import OPEN_STATUSES, Issue
from yimi.teams.models import ServiceTeam, TeamCoverage, TeamMember

OPEN_VALUES = [s.value for s in OPEN_STATUSES]


class TeamLoaders:
    def __init__(self):
        self.by_id = by_id(ServiceTeam)
        self.department_by_id = by_id(Department)
        self.staff_by_id = by_id(Staff)

        async def member_ids(ids):
            return await TeamMember.filter(team_id__in=ids).order_by("staff_id").values_list("team_id", "staff_id")

        async def township_ids(ids):
            return await TeamCoverage.filter(team_id__in=ids).order_by("township_id").values_list("team_id", "township_id")

        async def sub_team_ids(ids):
            return await ServiceTeam.filter(parent_id__in=ids).order_by("id").values_list("parent_id", "id")

        self.member_ids = grouped(member_ids)
        self.township_ids = grouped(township_ids)
        self.sub_team_ids = grouped(sub_team_ids)
        self.open_issue_count = counted(
            lambda ids: Issue.filter(status__in=OPEN_VALUES, lead_team_id__in=ids), "lead_team_id"
        )
