from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from yimi.accounts.read_rules import Grant
from yimi.common.figures import ENTERPRISES, OPEN_ISSUES
from yimi.common.geo import GeoPoint
from yimi.common.loaders import load_nodes
from yimi.common.object_types import fill
from yimi.common.text import LIST, MAX_SEARCH, checked_argument, checked_list
from yimi.graphql.context import Info
from yimi.graphql.field_rules import needs
from yimi.townships import models
from yimi.townships.models import TownshipKind
from yimi.townships.service import TownshipCriteria

if TYPE_CHECKING:
    from yimi.teams.types import ServiceTeam


@strawberry.type(description="A township-level division (乡镇/街道) with its outline.")
class Township(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="9-digit statistical division code.")
    name: str
    kind: TownshipKind
    county_code: str
    county_name: str
    seat: GeoPoint = strawberry.field(description="Where the township government sits.")
    row: strawberry.Private[models.Township]

    @classmethod
    def from_model(cls, m: models.Township) -> Township:
        return fill(cls, m, seat=GeoPoint(lon=m.seat_lon, lat=m.seat_lat), row=m)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await load_nodes(info.context.loaders.townships.by_id, node_ids, cls.from_model)

    @strawberry.field(description="GeoJSON MultiPolygon, WGS-84.")
    async def boundary(self, info: Info) -> JSON | None:
        found = await info.context.loaders.townships.boundary.load(self.id)
        return found[0] if found else None

    @strawberry.field(description="Enterprises in the township (a figure).", extensions=needs(Grant.FIGURES))
    async def enterprise_count(self, info: Info) -> int:
        count = getattr(self.row, ENTERPRISES, None)  # read with the row by lists and loaders
        return count if count is not None else await info.context.loaders.townships.enterprise_count.load(self.id)

    @strawberry.field(description="Issues not yet resolved or closed.", extensions=needs(Grant.FIGURES))
    async def open_issue_count(self, info: Info) -> int:
        count = getattr(self.row, OPEN_ISSUES, None)
        return count if count is not None else await info.context.loaders.townships.open_issue_count.load(self.id)

    @strawberry.field(description="Open issues past their deadline.", extensions=needs(Grant.FIGURES))
    async def overdue_issue_count(self, info: Info) -> int:
        return await info.context.loaders.townships.overdue_issue_count.load(self.id)

    @strawberry.field(description="Service teams whose coverage includes this township.")
    async def covering_teams(self, info: Info) -> list[Annotated[ServiceTeam, strawberry.lazy("yimi.teams.types")]]:
        from yimi.teams.types import teams_by_ids

        return await teams_by_ids(info, await info.context.loaders.townships.covering_team_ids.load(self.id))


@strawberry.input(description="Township filter; fields combine with AND.")
class TownshipFilter:
    codes: list[str] | None = strawberry.field(default=None, description=LIST)
    county_codes: list[str] | None = strawberry.field(default=None, description=LIST)
    kinds: list[TownshipKind] | None = strawberry.field(default=None, description=LIST)
    search: str | None = strawberry.field(
        default=None, description=f"Part of the name, or a code prefix; at most {MAX_SEARCH} characters."
    )

    def to_criteria(self, argument: str = "filter") -> TownshipCriteria:
        return TownshipCriteria(
            codes=checked_list(self.codes, f"{argument}.codes"),
            county_codes=checked_list(self.county_codes, f"{argument}.countyCodes"),
            kinds=checked_list(self.kinds, f"{argument}.kinds"),
            search=checked_argument(self.search, f"{argument}.search"),
        )
