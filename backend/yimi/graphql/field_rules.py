"""Field rules: a field that needs a read grant says so with ``extensions=needs(Grant.X)``.

The check runs before the resolver; a caller without the grant gets an AccessDenied error
(UNAUTHENTICATED for the public, FORBIDDEN otherwise) at that field. Row rules are not here: they
live in the querysets of ``yimi.accounts.read_rules.Access``, which every query and loader starts from.

Why not Strawberry's ``PermissionExtension``: any field extension sends every resolution of the
field through Strawberry's extension path (an ``Info`` built, the arguments converted, the chain of
extensions called), which roughly triples its cost (DESIGN.md) — 340 extra calls for a 100-row
enterprises page. ``Needs`` is a field extension only while the schema is built: its ``apply``
records the field's grant and takes itself off the field (a field without resolver then stays a
plain attribute read), and ``guard_fields`` wraps the graphql-core resolver of each such field
with the one check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from graphql import GraphQLObjectType, GraphQLSchema, default_field_resolver
from yimi.accounts.read_rules import Grant

# The grant each field needs, recorded as the schema is built (StrawberryField -> Grant).
_GRANTS: dict[int, Grant] = {}


class Needs(FieldExtension):
    def __init__(self, grant: Grant):
        self.grant = grant

    def apply(self, field: StrawberryField) -> None:
        _GRANTS[id(field)] = self.grant
        # Strawberry applies the extensions of a field in a loop over this list: ``needs`` makes a
        # list of one, so removing it ends that loop, and the field keeps no extension.
        field.extensions.remove(self)

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        raise AssertionError("Needs is taken off its field when the schema is built (guard_fields)")


def needs(grant: Grant) -> list[FieldExtension]:
    return [Needs(grant)]


def _guarded(resolve: Callable[..., Any], grant: Grant) -> Callable[..., Any]:
    def resolver(source: Any, info: Any, **kwargs: Any) -> Any:
        info.context.access.require(grant)  # raises with the reason and the code
        return resolve(source, info, **kwargs)

    return resolver


def guard_fields(schema: GraphQLSchema) -> int:
    """Wraps the resolver of every field ``needs`` marked with its grant check; returns how many."""
    guarded = 0
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            grant = _GRANTS.get(id(definition)) if definition is not None else None
            if grant is not None:
                field.resolve = _guarded(field.resolve or default_field_resolver, grant)
                guarded += 1
    return guarded
