from __future__ import annotations

import strawberry

from yimi.common.pagination import Connection, paginate
from yimi.graphql.context import Info
from yimi.teams.service import BY_ID, TeamCriteria, coverage_matrix, team_queryset
from yimi.teams.types import ServiceTeam, ServiceTeamFilter, TownshipCoverage
from yimi.townships.service import township_queryset
from yimi.townships.types import TownshipFilter


@strawberry.type
class TeamQuery:
    @strawberry.field(description="Service teams matching the filter.")
    async def service_teams(
        self,
        info: Info,
        filter: ServiceTeamFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ServiceTeam]:
        qs = await team_queryset(filter.to_criteria() if filter else TeamCriteria())
        return await paginate(qs, BY_ID, first, after, ServiceTeam.from_model)

    @strawberry.field(description="For each township: covering teams and, per issue category, the gaps.")
    async def coverage(self, info: Info, filter: TownshipFilter | None = None) -> list[TownshipCoverage]:
        townships = await township_queryset((filter or TownshipFilter()).to_criteria())
        return [TownshipCoverage(data=row) for row in await coverage_matrix(townships)]
