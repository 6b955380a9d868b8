"""`node` and `nodes`: fetch any object by its global ID."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

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


class NodeType(Protocol):
    """A node type as ``node`` uses it: its ``resolve_nodes`` takes primary keys and is a coroutine."""

    async def resolve_nodes(self, *, info: Info, node_ids: Iterable[int]) -> list[relay.Node | None]: ...


NODE_TYPES: dict[str, NodeType] = {
    t.__name__: t for t in (Township, Enterprise, Visit, Issue, ExtensionRequest, ServiceTeam, Staff, Department)
}


def _parse(value: str, argument: str) -> tuple[str, int]:
    """The type name and primary key behind a global ID of a known node type."""
    type_name, pk = parse_global_id(value, argument)
    if type_name not in NODE_TYPES:
        raise UserInputError(argument, f"'{value}' names an unknown type '{type_name}'")
    return type_name, pk


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        type_name, pk = _parse(id, "id")
        [found] = await NODE_TYPES[type_name].resolve_nodes(info=info, node_ids=[pk])
        if found is None:
            raise UserInputError("id", f"no {type_name} has the ID '{id}'")
        return found

    @strawberry.field(description="Objects by global ID, in the order asked; null where none exists.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > 100:
            raise UserInputError("ids", f"at most 100 IDs at once, got {len(ids)}")
        wanted: dict[str, list[int]] = defaultdict(list)
        parsed = [_parse(value, f"ids[{i}]") for i, value in enumerate(ids)]
        for type_name, pk in parsed:
            wanted[type_name].append(pk)
        found: dict[tuple[str, int], relay.Node | None] = {}
        for type_name, pks in wanted.items():
            for pk, obj in zip(pks, await NODE_TYPES[type_name].resolve_nodes(info=info, node_ids=pks), strict=True):
                found[(type_name, pk)] = obj
        return [found[(t, pk)] for t, pk in parsed]
