from __future__ import annotations

import strawberry
from strawberry import relay

from yimi.accounts import models
from yimi.accounts.read_rules import Grant
from yimi.common.loaders import load_nodes
from yimi.common.object_types import fill
from yimi.graphql.context import Info


@strawberry.type(description="A county department (部门).")
class Department(relay.Node):
    id: relay.NodeID[int]
    name: str
    row: strawberry.Private[models.Department]

    @classmethod
    def from_model(cls, m: models.Department) -> Department:
        return fill(cls, m, row=m)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await load_nodes(info.context.loaders.teams.department_by_id, node_ids, cls.from_model)


@strawberry.type(description="A member of staff: team member, commissioner, dispatcher.")
class Staff(relay.Node):
    id: relay.NodeID[int]
    name: str
    roles: list[str] = strawberry.field(description="admin, dispatcher, team_member, commissioner, viewer.")
    row: strawberry.Private[models.Staff]

    @classmethod
    def from_model(cls, m: models.Staff) -> Staff:
        return fill(cls, m, row=m)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        info.context.access.require(Grant.PEOPLE)
        return await load_nodes(info.context.loaders.teams.staff_by_id, node_ids, cls.from_model)

    @strawberry.field
    async def department(self, info: Info) -> Department:
        return Department.from_model(await info.context.loaders.teams.department_by_id.load(self.row.department_id))


async def staff_or_none(info: Info, staff_id: int | None) -> Staff | None:
    if staff_id is None:
        return None
    row = await info.context.loaders.teams.staff_by_id.load(staff_id)
    return Staff.from_model(row) if row else None
