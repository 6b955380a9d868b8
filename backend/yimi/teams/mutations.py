"""Service-team mutations: thin resolvers over the rules in yimi.teams.service."""

from __future__ import annotations

import strawberry

from yimi.common.errors import ServiceError
from yimi.common.payloads import UserError
from yimi.common.text import MAX_LIST
from yimi.graphql.context import Info
from yimi.teams.service import set_team_coverage
from yimi.teams.types import ServiceTeam


@strawberry.input(description="The townships a team is to cover, replacing its present coverage.")
class SetTeamCoverageInput:
    team_id: strawberry.ID = strawberry.field(description="Global ID of the service team.")
    township_codes: list[str] = strawberry.field(
        description="9-digit township codes; duplicates are ignored, an empty list clears the coverage. "
        f"At most {MAX_LIST:,}."
    )


@strawberry.type
class SetTeamCoveragePayload:
    team: ServiceTeam | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TeamMutation:
    @strawberry.mutation(
        description="Replace the townships a team covers (admin or dispatcher); all or nothing is written."
    )
    async def set_team_coverage(self, info: Info, input: SetTeamCoverageInput) -> SetTeamCoveragePayload:
        try:
            team = await set_team_coverage(info.context.user, str(input.team_id), input.township_codes)
        except ServiceError as error:
            return SetTeamCoveragePayload(user_errors=[UserError.from_error(error)])
        return SetTeamCoveragePayload(team=ServiceTeam.from_model(team))
