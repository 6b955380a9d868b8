from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from yimi.accounts.read_rules import Grant
from yimi.accounts.types import Department, Staff, staff_or_none
from yimi.common.loaders import load_nodes
from yimi.common.object_types import fill
from yimi.common.text import LIST, MAX_SEARCH, checked_argument, checked_list
from yimi.common.time import BOUNDS, checked_instant
from yimi.graphql.context import Info
from yimi.graphql.field_rules import needs
from yimi.issues.models import IssueCategory
from yimi.teams import models
from yimi.teams.models import TeamKind
from yimi.teams.service import CategoryCoverage as CategoryCoverageData
from yimi.teams.service import TeamCriteria
from yimi.teams.service import TeamFigures as TeamFiguresData
from yimi.teams.service import TownshipCoverage as TownshipCoverageData

if TYPE_CHECKING:
    from yimi.townships.types import Township

TownshipRef = Annotated["Township", strawberry.lazy("yimi.townships.types")]


@strawberry.type(
    description="How a team performs on the issues it leads. Rates are shares from 0 to 1, null when "
    "there is nothing to divide by."
)
class TeamFigures:
    open: int = strawberry.field(description="Open issues the team leads.")
    overdue: int = strawberry.field(description="Open issues the team leads that are past their deadline.")
    resolved_count: int = strawberry.field(description="Resolved or closed issues the team leads.")
    on_time_rate: float | None = strawberry.field(
        description="Share of the resolved issues resolved at or before their deadline."
    )
    return_rate: float | None = strawberry.field(
        description="Share of the orders the team got as lead team (主办) that it returned (退单)."
    )
    median_working_days_to_resolve: float | None = strawberry.field(
        description="Median of working days from the dispatch to the team to the resolution, over "
        "resolved issues; Chinese working days on local dates."
    )
    satisfaction_rate: float | None = strawberry.field(
        description="Share of the rated issues the enterprise found satisfied or basically satisfied."
    )

    @classmethod
    def from_data(cls, d: TeamFiguresData) -> TeamFigures:
        return fill(cls, d)


@strawberry.type(description="A service team (服务团): joint, a joint team's sub-team, or specialised.")
class ServiceTeam(relay.Node):
    id: relay.NodeID[int]
    name: str
    kind: TeamKind
    specialities: list[IssueCategory] = strawberry.field(description="Issue categories the team handles.")
    row: strawberry.Private[models.ServiceTeam]

    @classmethod
    def from_model(cls, m: models.ServiceTeam) -> ServiceTeam:
        return fill(cls, m, specialities=[IssueCategory(s) for s in m.specialities], row=m)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await load_nodes(info.context.loaders.teams.by_id, node_ids, cls.from_model)

    @strawberry.field
    async def lead_department(self, info: Info) -> Department:
        row = await info.context.loaders.teams.department_by_id.load(self.row.lead_department_id)
        return Department.from_model(row)

    @strawberry.field(extensions=needs(Grant.PEOPLE))
    async def leader(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.leader_id)

    @strawberry.field(extensions=needs(Grant.PEOPLE))
    async def members(self, info: Info) -> list[Staff]:
        ids = await info.context.loaders.teams.member_ids.load(self.id)
        return [Staff.from_model(s) for s in await info.context.loaders.teams.staff_by_id.load_many(ids) if s]

    @strawberry.field(description="The joint team this sub-team belongs to.")
    async def parent(self, info: Info) -> ServiceTeam | None:
        if self.row.parent_id is None:
            return None
        return ServiceTeam.from_model(await info.context.loaders.teams.by_id.load(self.row.parent_id))

    @strawberry.field
    async def sub_teams(self, info: Info) -> list[ServiceTeam]:
        ids = await info.context.loaders.teams.sub_team_ids.load(self.id)
        return [ServiceTeam.from_model(t) for t in await info.context.loaders.teams.by_id.load_many(ids) if t]

    @strawberry.field(description="Townships this team covers.")
    async def townships(self, info: Info) -> list[TownshipRef]:
        from yimi.townships.types import Township

        ids = await info.context.loaders.teams.township_ids.load(self.id)
        return [Township.from_model(t) for t in await info.context.loaders.townships.by_id.load_many(ids) if t]

    @strawberry.field(description="Open issues this team leads.", extensions=needs(Grant.FIGURES))
    async def open_issue_count(self, info: Info) -> int:
        return await info.context.loaders.teams.open_issue_count.load(self.id)

    @strawberry.field(
        description="Figures over the issues this team leads (and its dispatch orders).",
        extensions=needs(Grant.FIGURES),
    )
    async def figures(
        self,
        info: Info,
        since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only issues reported at or after this time (without an offset: the county's local "
                f"time), {BOUNDS}."
            ),
        ] = None,
    ) -> TeamFigures:
        ctx = info.context
        since = checked_instant(since, "since", ctx.settings.timezone)
        loader = ctx.loaders.teams.figures(now=ctx.now, timezone=ctx.settings.timezone, since=since)
        return TeamFigures.from_data(await loader.load(self.id))


async def teams_by_ids(info: Info, ids: list[int]) -> list[ServiceTeam]:
    return [ServiceTeam.from_model(t) for t in await info.context.loaders.teams.by_id.load_many(ids) if t]


@strawberry.input(description="Service-team filter; fields combine with AND.")
class ServiceTeamFilter:
    kinds: list[TeamKind] | None = strawberry.field(default=None, description=LIST)
    township_codes: list[str] | None = strawberry.field(
        default=None, description=f"Teams covering any of these. {LIST}"
    )
    speciality: IssueCategory | None = None
    search: str | None = strawberry.field(
        default=None, description=f"Part of the team's name; at most {MAX_SEARCH} characters."
    )

    def to_criteria(self, argument: str = "filter") -> TeamCriteria:
        return TeamCriteria(
            kinds=checked_list(self.kinds, f"{argument}.kinds"),
            township_codes=checked_list(self.township_codes, f"{argument}.townshipCodes"),
            speciality=self.speciality,
            search=checked_argument(self.search, f"{argument}.search"),
        )


@strawberry.type(description="Whether any team covering a township handles a category.")
class CategoryCoverage:
    category: IssueCategory
    data: strawberry.Private[CategoryCoverageData]

    @strawberry.field(description="False marks a gap: no covering team handles this category here.")
    def covered(self) -> bool:
        return self.data.covered

    @strawberry.field
    async def teams(self, info: Info) -> list[ServiceTeam]:
        return await teams_by_ids(info, self.data.team_ids)


@strawberry.type(description="Coverage of one township: its teams and its gaps by category.")
class TownshipCoverage:
    data: strawberry.Private[TownshipCoverageData]

    @strawberry.field
    def township(self) -> TownshipRef:
        from yimi.townships.types import Township

        return Township.from_model(self.data.township)

    @strawberry.field
    async def teams(self, info: Info) -> list[ServiceTeam]:
        return await teams_by_ids(info, self.data.team_ids)

    @strawberry.field
    def categories(self) -> list[CategoryCoverage]:
        return [CategoryCoverage(category=c.category, data=c) for c in self.data.categories]

    @strawberry.field(description="Categories no covering team handles.")
    def gaps(self) -> list[IssueCategory]:
        return [c.category for c in self.data.categories if not c.covered]
