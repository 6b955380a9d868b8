"""The cost of a GraphQL operation, computed from the parsed document before anything runs.

The rule (after GitHub's GraphQL API):

* Every connection field (a field returning ``...Connection`` with a ``first`` argument) can
  return at most ``first`` objects (``DEFAULT_PAGE_SIZE`` when ``first`` is left out, clamped to
  0..``MAX_PAGE_SIZE``) *each time it is resolved*, and it is resolved once per object of the
  connections enclosing it. So it counts the **product of the ``first`` values along its path,
  its own included**: ``enterprises(first: 100) { nodes { issues(first: 10) { ... } } }``
  counts 100 enterprises + 100 × 10 issues = 1,100 objects. ``nodes(ids: [...])`` counts (and
  multiplies what it encloses by) the number of IDs.
* Fields with a fixed cost (whole-county answers: ``mapLayer``, ``coverage``) add that many
  points, times the number of times they are resolved.
* ``cost = ceil(objects / 100) + fixed points``, at least 1 — except that an operation asking
  only for ``rateLimit`` (and ``__typename``) costs 0, so that a client may check its budget
  for free.

Variables (their values, else their declared defaults) and fragments (named and inline) are
resolved; ``@skip``/``@include`` are ignored, so the cost is an upper bound. Everything is a pure
function of the document, the variables and the schema: no resolver runs.
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
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from yimi.common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

OBJECTS_PER_POINT = 100
# Fields that answer for the whole county in one go; points per resolution.
FIXED_COSTS: dict[tuple[str, str], int] = {
    ("Query", "mapLayer"): 5,
    ("Query", "coverage"): 2,
}
# Root fields that read no data: an operation selecting only these costs nothing.
FREE_ROOT_FIELDS = frozenset({"rateLimit", "__typename"})


@dataclass(frozen=True)
class QueryCost:
    points: int
    objects: int  # the most objects the connections (and nodes(ids)) can return
    fixed: int  # points from fixed-cost fields


def _find_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((op for op in operations if op.name and op.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


class _Walker:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables):
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables: Mapping[str, Any] = variables or {}
        self.defaults = {
            v.variable.name.value: v.default_value for v in operation.variable_definitions or () if v.default_value
        }
        self.objects = 0
        self.fixed = 0

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
        return getattr(node, "value", None)

    def _argument(self, field: FieldNode, name: str) -> Any:
        for argument in field.arguments or ():
            if argument.name.value == name:
                return self._value(argument.value)
        return None

    def _page_size(self, field: FieldNode) -> int:
        first = self._argument(field, "first")
        if not isinstance(first, int) or isinstance(first, bool):
            return DEFAULT_PAGE_SIZE
        # Out-of-range values are refused by the resolver with an error naming `first`.
        return min(max(first, 0), MAX_PAGE_SIZE)

    def walk(self, selection_set: SelectionSetNode | None, parent, multiplier: int, seen: frozenset[str]) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, parent, multiplier, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, type_, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                type_ = self.schema.get_type(fragment.type_condition.name.value)
                self.walk(fragment.selection_set, type_, multiplier, seen | {name})

    def _field(self, node: FieldNode, parent, multiplier: int, seen: frozenset[str]) -> None:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return
        definition = parent.fields.get(name)
        if definition is None:
            return
        return_type = get_named_type(definition.type)
        self.fixed += FIXED_COSTS.get((parent.name, name), 0) * multiplier
        if "first" in definition.args and return_type.name.endswith("Connection"):
            multiplier *= self._page_size(node)
            self.objects += multiplier
        elif parent is self.schema.query_type and name == "nodes":
            ids = self._argument(node, "ids")
            multiplier *= len(ids) if isinstance(ids, list) else 1
            self.objects += multiplier
        self.walk(node.selection_set, return_type, multiplier, seen)


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> QueryCost:
    """The cost of the operation ``operation_name`` of a validated ``document`` (see the module doc)."""
    operation = _find_operation(document, operation_name)
    if operation is None:
        return QueryCost(points=1, objects=0, fixed=0)
    root = schema.get_root_type(operation.operation)
    walker = _Walker(schema, document, operation, variables)
    walker.walk(operation.selection_set, root, 1, frozenset())
    points = math.ceil(walker.objects / OBJECTS_PER_POINT) + walker.fixed
    if not _only_free_fields(operation, walker.fragments):
        points = max(points, 1)
    return QueryCost(points=points, objects=walker.objects, fixed=walker.fixed)


def _only_free_fields(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> bool:
    if operation.operation.value != "query":
        return False

    def free(selection_set: SelectionSetNode, seen: frozenset[str]) -> bool:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value not in FREE_ROOT_FIELDS:
                    return False
            elif isinstance(selection, InlineFragmentNode):
                if not free(selection.selection_set, seen):
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if (
                    fragment is not None
                    and selection.name.value not in seen
                    and not free(fragment.selection_set, seen | {selection.name.value})
                ):
                    return False
        return True

    return free(operation.selection_set, frozenset())
