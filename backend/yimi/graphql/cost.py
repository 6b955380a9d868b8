"""The cost of a GraphQL operation, and its depth and aliases, from the parsed document alone.

The rule (after GitHub's GraphQL API):

* Every connection field (a field returning ``...Connection`` with a ``first`` argument) can
  return at most ``first`` objects (``DEFAULT_PAGE_SIZE`` when ``first`` is left out, clamped to
  0..``MAX_PAGE_SIZE``) *each time it is resolved*, and it is resolved once per object of the
  lists enclosing it. So it counts the **product of the sizes along its path, its own
  included**: ``enterprises(first: 100) { nodes { issues(first: 10) { ... } } }`` counts
  100 enterprises + 100 × 10 issues = 1,100 objects. ``nodes(ids: [...])`` counts (and multiplies
  what it encloses by) the number of IDs.
* Every other list of objects counts (and multiplies by) its bound from
  :mod:`yimi.graphql.list_bounds`: ``coverage { teams { ... } }`` counts townships + townships ×
  the most teams covering one township. Lists of strings or enum values count nothing.
* Fields with a fixed cost (whole-county answers: ``mapLayer``, ``coverage``) add that many
  points, times the number of times they are resolved.
* Large scalars count by their size (``SCALAR_WEIGHTS`` of :mod:`yimi.graphql.list_bounds`): a
  township's ``boundary`` counts as its average size in bytes / ``BYTES_PER_OBJECT`` objects,
  ``mapLayer`` as 200 bytes per enterprise, each time they are resolved; so 14 aliases of
  ``coverage { teams { townships { boundary } } }`` (20 MB of outlines) cost what they weigh. A
  scalar written as JSON text in one pass (``mapLayer``) counts one object per 1,000 bytes rather
  than 100: it costs the server its bytes, not field resolutions.
  A connection in ``CONNECTION_TOTALS`` counts at most that figure (``townships(first: 100)``
  counts the county's townships).
* ``cost = ceil(objects / 100) + fixed points``, at least 1 — except that an operation asking
  only for ``rateLimit`` (and ``__typename``) costs 0, so that a client may check its budget
  for free.

Variables (their values, else their declared defaults) and fragments (named and inline) are
resolved; ``@skip``/``@include`` are ignored, so the cost is an upper bound.

These walks run before validation, on any parsed document, so each is linear in the document's
size: a named fragment is walked once (per context, see ``_Summary``) and its summary multiplied
where it is spread. Re-walking it at each spread made n fragments that each spread the next twice
cost 2^n steps — a 773-byte request held the server for 20 s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    is_list_type,
    is_non_null_type,
)
from yimi.common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from yimi.graphql.list_bounds import (
    BYTES_PER_OBJECT,
    CONNECTION_TOTALS,
    CONTEXTUAL_TYPES,
    LIST_BOUNDS,
    SCALAR_WEIGHTS,
    Argument,
    Data,
    Fixed,
    Leaf,
    Page,
)

OBJECTS_PER_POINT = 100
# Fields that answer for the whole county in one go; points per resolution.
FIXED_COSTS: dict[tuple[str, str], int] = {
    ("Query", "mapLayer"): 5,
    ("Query", "coverage"): 2,
}
# Root fields that read no data: an operation selecting only these costs nothing.
FREE_ROOT_FIELDS = frozenset({"rateLimit", "__typename"})
# Past this, an estimate is refused whatever the settings; keeps the arithmetic small.
SATURATION = 10**15


@dataclass(frozen=True)
class QueryCost:
    points: int
    objects: int  # the most objects the lists (connections, nodes(ids), bounded lists) can return
    fixed: int  # points from fixed-cost fields


@dataclass(frozen=True)
class DocumentShape:
    depth: dict[str, int]  # per operation ("anonymous" when unnamed), as Strawberry's QueryDepthLimiter
    aliases: int  # aliased fields once fragments are expanded, as Strawberry's MaxAliasesLimiter


def find_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((op for op in operations if op.name and op.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _list_depth(type_: Any) -> int:
    """How many list levels a field's type has: [[T!]!]! is 2 (each multiplies by the bound)."""
    levels = 0
    while True:
        if is_non_null_type(type_):
            type_ = type_.of_type
        elif is_list_type(type_):
            levels += 1
            type_ = type_.of_type
        else:
            return levels


@dataclass(frozen=True)
class _Summary:
    """What a selection set adds when resolved once; a spread multiplies it by its multiplier."""

    objects: int = 0
    fixed: int = 0


class _CostWalker:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
        sizes: Mapping[str, int] | None,
    ):
        self.schema = schema
        self.fragments = _fragments(document)
        self.variables: Mapping[str, Any] = variables if isinstance(variables, Mapping) else {}
        self.defaults = {
            v.variable.name.value: v.default_value for v in operation.variable_definitions or () if v.default_value
        }
        self.sizes = sizes
        # A fragment's summary depends on the type it is spread in and, for the few types whose
        # bounds read the enclosing field's arguments, on that field.
        self.done: dict[tuple[str, int | None], _Summary] = {}
        self.walking: set[tuple[str, int | None]] = set()

    def _value(self, node: ValueNode | None) -> Any:
        """A literal or a variable's value, as plain Python (ints and list lengths are all we need)."""
        if node is None or isinstance(node, NullValueNode):
            return None
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            return self._value(self.defaults.get(name))
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ListValueNode):
            return [self._value(v) for v in node.values]
        if isinstance(node, ObjectValueNode):
            return {f.name.value: self._value(f.value) for f in node.fields}
        return getattr(node, "value", None)

    def _argument(self, field: FieldNode | None, path: str) -> Any:
        name, *keys = path.split(".")
        value = None
        for argument in (field.arguments or ()) if field is not None else ():
            if argument.name.value == name:
                value = self._value(argument.value)
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    def _page_size(self, field: FieldNode) -> int:
        first = self._argument(field, "first")
        if not isinstance(first, int) or isinstance(first, bool):
            return DEFAULT_PAGE_SIZE
        # Out-of-range values are refused by the resolver with an error naming `first`.
        return min(max(first, 0), MAX_PAGE_SIZE)

    def _list_size(self, key: str, node: FieldNode, enclosing: FieldNode | None) -> int:
        """Items one resolution of a list of objects returns, at most."""
        bound = LIST_BOUNDS.get(key)
        if bound is None or isinstance(bound, Leaf):
            raise LookupError(f"{key} is a list of objects without a bound in yimi.graphql.list_bounds")
        if isinstance(bound, Fixed):
            return bound.at_most
        if isinstance(bound, Argument):
            value = self._argument(enclosing if bound.of_enclosing_field else node, bound.path)
            return len(value) if isinstance(value, list) else 1
        assert isinstance(bound, Data)
        return self._statistic(key, bound.statistic)

    def _statistic(self, key: str, statistic: str) -> int:
        if self.sizes is None:
            raise ValueError(f"the cost of {key} needs the list sizes of the database (yimi.graphql.list_bounds)")
        return self.sizes[statistic]

    def _weight(self, key: str) -> int:
        """Objects one resolution of a weighted scalar counts as (0 for other fields)."""
        weight = SCALAR_WEIGHTS.get(key)
        if weight is None:
            return 0
        size_bytes = self._statistic(key, weight.statistic) * weight.bytes_per_unit
        return min(math.ceil(size_bytes / (weight.bytes_per_object or BYTES_PER_OBJECT)), SATURATION)

    def walk(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, enclosing: FieldNode | None
    ) -> _Summary:
        objects = fixed = 0
        if selection_set is None:
            return _Summary()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                part = self._field(selection, parent, enclosing)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.schema.get_type(condition.name.value) if condition else parent
                part = self.walk(selection.selection_set, type_, enclosing)
            elif isinstance(selection, FragmentSpreadNode):
                part = self._spread(selection.name.value, parent, enclosing)
            objects = min(objects + part.objects, SATURATION)
            fixed = min(fixed + part.fixed, SATURATION)
        return _Summary(objects, fixed)

    def _spread(self, name: str, parent: GraphQLNamedType | None, enclosing: FieldNode | None) -> _Summary:
        fragment = self.fragments.get(name)
        if fragment is None:
            return _Summary()
        type_ = self.schema.get_type(fragment.type_condition.name.value)
        contextual = any(t is not None and t.name in CONTEXTUAL_TYPES for t in (type_, parent))
        key = (name, id(enclosing) if contextual else None)
        if key in self.done:
            return self.done[key]
        if key in self.walking:
            return _Summary()  # a cycle: validation refuses the document
        self.walking.add(key)
        summary = self.done[key] = self.walk(fragment.selection_set, type_, enclosing)
        self.walking.discard(key)
        return summary

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None, enclosing: FieldNode | None) -> _Summary:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return _Summary()
        definition = parent.fields.get(name)
        if definition is None:
            return _Summary()
        return_type = get_named_type(definition.type)
        fixed = FIXED_COSTS.get((parent.name, name), 0)
        objects = self._weight(f"{parent.name}.{name}")
        size = 1
        if "first" in definition.args and return_type.name.endswith("Connection"):
            size = self._page_size(node)
            if (total := CONNECTION_TOTALS.get(return_type.name)) is not None and self.sizes is not None:
                size = min(size, self.sizes[total])
            objects = size
        elif (
            _list_depth(definition.type)
            and is_composite_type(return_type)
            and not isinstance(LIST_BOUNDS.get(f"{parent.name}.{name}"), Page)  # counted by the connection
        ):
            size = self._list_size(f"{parent.name}.{name}", node, enclosing) ** _list_depth(definition.type)
            objects = size
        inner = self.walk(node.selection_set, return_type, node)
        return _Summary(
            min(objects + size * inner.objects, SATURATION),
            min(fixed + size * inner.fixed, SATURATION),
        )


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> QueryCost:
    """The cost of the operation ``operation_name`` of a parsed ``document`` (see the module doc).

    ``sizes`` are the figures of :class:`yimi.graphql.list_bounds.ListSizes`, needed when the
    operation selects a list bounded by the data.
    """
    operation = find_operation(document, operation_name)
    free = operation is None or only_free_fields(document, operation)
    return operation_cost(schema, document, operation, variables, sizes, free=free)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode | None,
    variables: Mapping[str, Any] | None,
    sizes: Mapping[str, int] | None,
    *,
    free: bool,
) -> QueryCost:
    """``query_cost`` of an operation found already (``find_operation``), ``free`` as
    ``only_free_fields`` says: the request pipeline works both out before it reads ``sizes``."""
    if operation is None:
        return QueryCost(points=1, objects=0, fixed=0)
    root = schema.get_root_type(operation.operation)
    summary = _CostWalker(schema, document, operation, variables, sizes).walk(operation.selection_set, root, None)
    points = math.ceil(summary.objects / OBJECTS_PER_POINT) + summary.fixed
    if not free:
        points = max(points, 1)
    return QueryCost(points=points, objects=summary.objects, fixed=summary.fixed)


def only_free_fields(document: DocumentNode, operation: OperationDefinitionNode) -> bool:
    """Whether a query selects nothing but free root fields (each fragment looked at once)."""
    if operation.operation.value != "query":
        return False
    fragments = _fragments(document)
    seen: set[str] = set()
    pending = [operation.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if selection.name.value not in FREE_ROOT_FIELDS:
                    return False
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)
    return True


def document_shape(document: DocumentNode) -> DocumentShape:
    """Depth per operation and aliases, with the semantics of Strawberry's QueryDepthLimiter and
    MaxAliasesLimiter (fragments count where they are spread; introspection fields add no depth),
    each fragment walked once."""
    fragments = _fragments(document)
    done: dict[str, tuple[int, int]] = {}
    walking: set[str] = set()

    def selections(selection_set: SelectionSetNode | None) -> tuple[int, int]:
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                inner_depth, inner_aliases = selections(selection.selection_set)
                aliases += inner_aliases + (1 if selection.alias else 0)
                if selection.selection_set and not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + inner_depth)
            elif isinstance(selection, InlineFragmentNode):
                inner_depth, inner_aliases = selections(selection.selection_set)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
            elif isinstance(selection, FragmentSpreadNode):
                inner_depth, inner_aliases = spread(selection.name.value)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
            aliases = min(aliases, SATURATION)
        return depth, aliases

    def spread(name: str) -> tuple[int, int]:
        if name in done:
            return done[name]
        if name in walking or name not in fragments:
            return 0, 0  # a cycle (validation refuses it) or an unknown fragment
        walking.add(name)
        done[name] = selections(fragments[name].selection_set)
        walking.discard(name)
        return done[name]

    depth: dict[str, int] = {}
    aliases = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else "anonymous"
            depth[name], operation_aliases = selections(definition.selection_set)
            aliases += operation_aliases
    return DocumentShape(depth=depth, aliases=aliases)
