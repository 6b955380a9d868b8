from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from yimi.accounts.action_rules import Scope
from yimi.accounts.read_rules import Grant
from yimi.accounts.types import Staff, staff_or_none
from yimi.common.enums import OrderDirection
from yimi.common.figures import OPEN_ISSUES
from yimi.common.geo import GeoPoint, parse_bbox
from yimi.common.loaders import load_nodes
from yimi.common.object_types import fill
from yimi.common.pagination import Connection, build_connection, page_window
from yimi.common.text import LIST, MAX_SEARCH, checked_argument, checked_list
from yimi.enterprises import models
from yimi.enterprises.models import EnterpriseSize, RiskColor
from yimi.enterprises.service import EnterpriseCriteria, EnterpriseOrderField
from yimi.graphql.context import Info
from yimi.graphql.field_rules import needs

if TYPE_CHECKING:
    from yimi.issues.types import Issue
    from yimi.teams.types import ServiceTeam
    from yimi.townships.types import Township

IssueRef = Annotated["Issue", strawberry.lazy("yimi.issues.types")]
TownshipRef = Annotated["Township", strawberry.lazy("yimi.townships.types")]
ServiceTeamRef = Annotated["ServiceTeam", strawberry.lazy("yimi.teams.types")]

strawberry.enum(EnterpriseOrderField, description="What to sort enterprises by.")


@strawberry.type(description="An enterprise served by the programme.")
class Enterprise(relay.Node):
    id: relay.NodeID[int]
    name: str
    uscc: str = strawberry.field(description="Unified social credit code (统一社会信用代码).")
    industry: str = strawberry.field(description="GB/T 4754 section letter.")
    size: EnterpriseSize
    above_scale: bool = strawberry.field(description="规上: above the statistical size threshold.")
    chain: str | None = strawberry.field(description="Industry chain (产业链).")
    risk_color: RiskColor
    address: str
    location: GeoPoint
    contact_person: str = strawberry.field(
        description="Who speaks for the enterprise (联系人); staff and tokens with enterprises:contacts.",
        extensions=needs(Grant.CONTACTS),
    )
    contact_phone: str = strawberry.field(
        description="The contact's phone (联系电话); staff and tokens with enterprises:contacts.",
        extensions=needs(Grant.CONTACTS),
    )
    row: strawberry.Private[models.Enterprise]

    @classmethod
    def from_model(cls, m: models.Enterprise) -> Enterprise:
        return fill(cls, m, location=GeoPoint(lon=m.lon, lat=m.lat), row=m)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await load_nodes(info.context.loaders.enterprises.by_id, node_ids, cls.from_model)

    @strawberry.field
    async def township(self, info: Info) -> TownshipRef:
        from yimi.townships.types import Township

        return Township.from_model(await info.context.loaders.townships.by_id.load(self.row.township_id))

    @strawberry.field(
        description="The enterprise service commissioner (服务专员) assigned to it.", extensions=needs(Grant.PEOPLE)
    )
    async def commissioner(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.commissioner_id)

    @strawberry.field(
        description="Who assigned its commissioners, oldest first (the audit of assignCommissioner).",
        extensions=needs(Grant.PEOPLE),
    )
    async def commissioner_history(self, info: Info) -> list[CommissionerAssignment]:
        rows = await info.context.loaders.enterprises.commissioner_assignments.load(self.id)
        return [CommissionerAssignment.from_model(r) for r in rows]

    @strawberry.field(
        description="Whether you may report an issue for this enterprise now (reportIssue), by the rule the "
        "mutation applies: dispatchers and admins, its own commissioner; false for partner tokens."
    )
    async def viewer_can_report_issue(self, info: Info) -> bool:
        from yimi.issues.action_rules import may_report

        township = await info.context.loaders.townships.by_id.load(self.row.township_id)
        return may_report(info.context.user, Scope(township.code, self.row.commissioner_id))

    @strawberry.field(description="Issues not yet resolved or closed (a figure).", extensions=needs(Grant.FIGURES))
    async def open_issue_count(self, info: Info) -> int:
        count = getattr(self.row, OPEN_ISSUES, None)  # read with the row by lists and loaders
        return count if count is not None else await info.context.loaders.enterprises.open_issue_count.load(self.id)

    @strawberry.field(description="This enterprise's issues you may see, newest first.", extensions=needs(Grant.ISSUES))
    async def issues(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[IssueRef]:
        from yimi.issues.types import Issue

        loaders = info.context.loaders.enterprises
        offset, limit = page_window(first, after)
        # One row beyond the page tells whether another page follows.
        rows = await loaders.newest_issues.load((self.id, offset + limit + 1))
        page = [Issue.from_model(r) for r in rows[offset : offset + limit]]
        return build_connection(
            page, offset, limit, len(rows) > offset + limit, lambda: loaders.issue_count.load(self.id)
        )


@strawberry.type(description="A change of an enterprise's commissioner (服务专员): who, by whom, when.")
class CommissionerAssignment:
    assigned_at: datetime
    row: strawberry.Private[models.CommissionerAssignment]

    @classmethod
    def from_model(cls, m: models.CommissionerAssignment) -> CommissionerAssignment:
        return fill(cls, m, row=m)

    @strawberry.field(description="The new commissioner; null when the enterprise was left without one.")
    async def commissioner(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.commissioner_id)

    @strawberry.field
    async def previous_commissioner(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.previous_commissioner_id)

    @strawberry.field
    async def assigned_by(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.assigned_by_id)


@strawberry.type(description="A face-to-face visit (走访) to an enterprise by a team or a commissioner.")
class Visit(relay.Node):
    id: relay.NodeID[int]
    visited_on: date
    notes: str = strawberry.field(extensions=needs(Grant.ISSUE_DETAILS))
    row: strawberry.Private[models.Visit]

    @classmethod
    def from_model(cls, m: models.Visit) -> Visit:
        return fill(cls, m, row=m)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await load_nodes(info.context.loaders.enterprises.visit_by_id, node_ids, cls.from_model)

    @strawberry.field
    async def enterprise(self, info: Info) -> Enterprise:
        return Enterprise.from_model(await info.context.loaders.enterprises.by_id.load(self.row.enterprise_id))

    @strawberry.field(description="The team that visited, if a team did.")
    async def team(self, info: Info) -> ServiceTeamRef | None:
        from yimi.teams.types import ServiceTeam

        if self.row.team_id is None:
            return None
        row = await info.context.loaders.teams.by_id.load(self.row.team_id)
        return ServiceTeam.from_model(row) if row else None

    @strawberry.field(description="The commissioner who visited, if one did.", extensions=needs(Grant.PEOPLE))
    async def commissioner(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.commissioner_id)

    @strawberry.field(
        description="Issues the enterprise raised during the visit (those you may see).",
        extensions=needs(Grant.ISSUES),
    )
    async def issues(self, info: Info) -> list[IssueRef]:
        from yimi.issues.types import Issue

        return [Issue.from_model(r) for r in await info.context.loaders.issues.by_visit.load(self.id)]


@strawberry.input(description="Enterprise filter; fields combine with AND.")
class EnterpriseFilter:
    township_codes: list[str] | None = strawberry.field(default=None, description=LIST)
    search: str | None = strawberry.field(
        default=None, description=f"Part of the name, or the start of the USCC; at most {MAX_SEARCH} characters."
    )
    above_scale: bool | None = None
    industries: list[str] | None = strawberry.field(default=None, description=f"GB/T 4754 section letters. {LIST}")
    chains: list[str] | None = strawberry.field(default=None, description=LIST)
    risk_colors: list[RiskColor] | None = strawberry.field(default=None, description=LIST)
    has_open_issues: bool | None = None
    bbox: list[float] | None = strawberry.field(
        default=None, description="Bounding box [west, south, east, north] in WGS-84 degrees."
    )

    def to_criteria(self, argument: str = "filter") -> EnterpriseCriteria:
        return EnterpriseCriteria(
            township_codes=checked_list(self.township_codes, f"{argument}.townshipCodes"),
            search=checked_argument(self.search, f"{argument}.search"),
            above_scale=self.above_scale,
            industries=checked_list(self.industries, f"{argument}.industries"),
            chains=checked_list(self.chains, f"{argument}.chains"),
            risk_colors=checked_list(self.risk_colors, f"{argument}.riskColors") or [],
            has_open_issues=self.has_open_issues,
            bbox=parse_bbox(self.bbox, f"{argument}.bbox"),
        )


@strawberry.input
class EnterpriseOrder:
    field: EnterpriseOrderField = EnterpriseOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC
