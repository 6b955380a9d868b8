"""`node` and `nodes`: fetch any object by its global ID."""

from __future__ import annotations

from collections import defaultdict

import strawberry
from strawberry import relay

from yimi.accounts.types import Department, Staff
from yimi.common.errors import UserInputError
from yimi.common.ids import parse_global_id
from yimi.enterprises.types import Enterprise, Visit
from yimi.graphql.context import Info
from yimi.issues.types import ExtensionRequest, Issue
from yimi.teams.types import ServiceTeam
from yimi.townships.types import Township

NODE_TYPES: dict[str, type[relay.Node]] = {
    t.__name__: t for t in (Township, Enterprise, Visit, Issue, ExtensionRequest, ServiceTeam, Staff, Department)
}


def _parse(value: str, argument: str) -> tuple[type[relay.Node], int]:
    type_name, pk = parse_global_id(value, argument)
    node_type = NODE_TYPES.get(type_name)
    if node_type is None:
        raise UserInputError(argument, f"'{value}' names an unknown type '{type_name}'")
    return node_type, pk


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        node_type, pk = _parse(id, "id")
        [found] = await node_type.resolve_nodes(info=info, node_ids=[pk])
        if found is None:
            raise UserInputError("id", f"no {node_type.__name__} has the ID '{id}'")
        return found

    @strawberry.field(description="Objects by global ID, in the order asked; null where none exists.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > 100:
            raise UserInputError("ids", f"at most 100 IDs at once, got {len(ids)}")
        wanted: dict[type[relay.Node], list[int]] = defaultdict(list)
        parsed = [_parse(value, f"ids[{i}]") for i, value in enumerate(ids)]
        for node_type, pk in parsed:
            wanted[node_type].append(pk)
        found: dict[tuple[type, int], object] = {}
        for node_type, pks in wanted.items():
            for pk, obj in zip(pks, await node_type.resolve_nodes(info=info, node_ids=pks), strict=True):
                found[(node_type, pk)] = obj
        return [found[(t, pk)] for t, pk in parsed]
