"""The expectation table of the role matrix (tests/graphql/test_role_matrix.py), and how to walk the schema.

Written from the policy (yimi.accounts.read_rules, DESIGN.md "Who sees what"), not from the code: every
object type reachable from Query and every field on it must be classified here, or the matrix fails.

* ``TYPE_GRANTS``: the grant it takes to hold any object of a type at all (what ``node(id:)`` of a
  Node type needs, and what any field returning the type must imply).
* ``FIELD_GRANTS``: per type and field, the grant the field needs *beyond* its parent's: ``INHERIT``
  when the field only needs what its type's entry point needed.

A caller may read a field reached along a route (Query field, field, ..., field) when it holds every
grant along the route; otherwise it gets an UNAUTHENTICATED (public) or FORBIDDEN (staff, token)
error at the first step it lacks a grant for, with ``extensions.needs`` naming that grant.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_composite_type,
    is_non_null_type,
)
from yimi.accounts.read_rules import Grant

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"

G = Grant
INHERIT = None  # the field needs nothing beyond what reaching its object needed
PER_NODE_TYPE = "per node type"  # Query.node/nodes: TYPE_GRANTS of the type the ID names

PUBLIC = frozenset({G.TOWNSHIPS, G.TEAMS, G.STATISTICS})
STAFF = frozenset(Grant)
# What each partner-token scope adds (the policy, restated rather than imported).
SCOPES = {
    "enterprises:read": {G.ENTERPRISES},
    "enterprises:contacts": {G.CONTACTS},
    "issues:read": {G.ISSUES},
    "issues:details": {G.ISSUE_DETAILS},
    "issues:report": set(),
    "stats:read": {G.FIGURES},
}
# Grants no caller can hold without others (tokens must pair the scopes): used by the static check.
IMPLIES = {
    G.ISSUES: {G.ENTERPRISES},
    G.ISSUE_DETAILS: {G.ISSUES, G.ENTERPRISES},
    G.CONTACTS: {G.ENTERPRISES},
}

TYPE_GRANTS: dict[str, Grant | None] = {
    "Query": None,
    "Township": G.TOWNSHIPS,
    "TownshipConnection": G.TOWNSHIPS,
    "TownshipEdge": G.TOWNSHIPS,
    "GeoPoint": None,
    "PageInfo": None,
    "RateLimit": None,
    "ServiceTeam": G.TEAMS,
    "ServiceTeamConnection": G.TEAMS,
    "ServiceTeamEdge": G.TEAMS,
    "Department": G.TEAMS,
    "TownshipCoverage": G.TEAMS,
    "CategoryCoverage": G.TEAMS,
    "TeamFigures": G.FIGURES,
    "IssueStatistics": G.STATISTICS,
    "StatisticsRow": G.STATISTICS,
    "PublicCount": G.STATISTICS,
    "Staff": G.PEOPLE,
    "Enterprise": G.ENTERPRISES,
    "EnterpriseConnection": G.ENTERPRISES,
    "EnterpriseEdge": G.ENTERPRISES,
    "Visit": G.ENTERPRISES,
    "Issue": G.ISSUES,
    "IssueConnection": G.ISSUES,
    "IssueEdge": G.ISSUES,
    "ExtensionRequest": G.ISSUES,
    "IssueSummary": G.ISSUES,
    "TownshipIssueFigures": G.ISSUES,
    "DispatchOrder": G.ISSUES,
    "IssueEvent": G.ISSUE_DETAILS,
    "CommissionerAssignment": G.PEOPLE,
}

_ = INHERIT
CONNECTION = {"edges": _, "pageInfo": _, "totalCount": _, "nodes": _}
EDGE = {"cursor": _, "node": _}

FIELD_GRANTS: dict[str, dict[str, Grant | str | None]] = {
    "Query": {
        "node": PER_NODE_TYPE,
        "nodes": PER_NODE_TYPE,
        "me": _,  # the caller's own record (null unless signed in): see test_me_is_the_caller
        "townships": G.TOWNSHIPS,
        "enterprises": G.ENTERPRISES,
        "mapLayer": G.ENTERPRISES,
        "issues": G.ISSUES,
        "issueSummary": G.ISSUES,
        "serviceTeams": G.TEAMS,
        "coverage": G.TEAMS,
        "statistics": G.STATISTICS,
        "statisticsYears": G.STATISTICS,
        "rateLimit": _,
    },
    "Township": {
        "id": _,
        "code": _,
        "name": _,
        "kind": _,
        "countyCode": _,
        "countyName": _,
        "seat": _,
        "boundary": _,
        "enterpriseCount": G.FIGURES,
        "openIssueCount": G.FIGURES,
        "overdueIssueCount": G.FIGURES,
        "coveringTeams": _,
    },
    "TownshipConnection": CONNECTION,
    "TownshipEdge": EDGE,
    "GeoPoint": {"lon": _, "lat": _},
    "PageInfo": {"hasNextPage": _, "hasPreviousPage": _, "startCursor": _, "endCursor": _},
    "RateLimit": {"cost": _, "limit": _, "remaining": _, "resetAt": _},
    "ServiceTeam": {
        "id": _,
        "name": _,
        "kind": _,
        "specialities": _,
        "leadDepartment": _,
        "parent": _,
        "subTeams": _,
        "townships": _,
        "leader": G.PEOPLE,
        "members": G.PEOPLE,
        "openIssueCount": G.FIGURES,
        "figures": G.FIGURES,
    },
    "ServiceTeamConnection": CONNECTION,
    "ServiceTeamEdge": EDGE,
    "Department": {"id": _, "name": _},
    "TownshipCoverage": {"township": _, "teams": _, "categories": _, "gaps": _},
    "CategoryCoverage": {"category": _, "covered": _, "teams": _},
    "TeamFigures": {
        "open": _,
        "overdue": _,
        "resolvedCount": _,
        "onTimeRate": _,
        "returnRate": _,
        "medianWorkingDaysToResolve": _,
        "satisfactionRate": _,
    },
    "IssueStatistics": {
        "year": _,
        "threshold": _,
        "total": _,
        "byTownship": _,
        "byCategory": _,
        "byMonth": _,
        "medianWorkingDaysToResolve": _,
        "enterprisesServed": _,
        "visits": _,
        "releasedAt": _,
        "nextReleaseAt": _,
    },
    "PublicCount": {"value": _, "withheld": _, "low": _, "high": _, "reason": _},
    "StatisticsRow": {
        "key": _,
        "label": _,
        "labelZh": _,
        "labelEn": _,
        "reported": _,
        "open": _,
        "resolved": _,
        "overdue": _,
        "onTimeRate": _,
        "satisfactionRate": _,
    },
    "Staff": {"id": _, "name": _, "roles": _, "department": _},
    "Enterprise": {
        "viewerCanReportIssue": _,
        "id": _,
        "name": _,
        "uscc": _,
        "industry": _,
        "size": _,
        "aboveScale": _,
        "chain": _,
        "riskColor": _,
        "address": _,
        "location": _,
        "township": _,
        "contactPerson": G.CONTACTS,
        "contactPhone": G.CONTACTS,
        "commissioner": G.PEOPLE,
        "commissionerHistory": G.PEOPLE,
        "openIssueCount": G.FIGURES,
        "issues": G.ISSUES,
    },
    "EnterpriseConnection": CONNECTION,
    "EnterpriseEdge": EDGE,
    "Visit": {
        "id": _,
        "visitedOn": _,
        "enterprise": _,
        "team": _,
        "notes": G.ISSUE_DETAILS,
        "commissioner": G.PEOPLE,
        "issues": G.ISSUES,
    },
    "Issue": {
        "id": _,
        "number": _,
        "title": _,
        "category": _,
        "source": _,
        "priority": _,
        "status": _,
        "reportedAt": _,
        "deadline": _,
        "resolvedAt": _,
        "closedAt": _,
        "satisfaction": _,
        "escalatedAt": _,
        "version": _,
        "warningColor": _,
        "needsEscalation": _,
        "viewerActions": _,
        "pendingExtensionRequest": _,
        "extensionRequests": _,
        "enterprise": _,
        "leadTeam": _,
        "coHandlers": _,
        "dispatches": _,
        "description": G.ISSUE_DETAILS,
        "resolution": G.ISSUE_DETAILS,
        "satisfactionComment": G.ISSUE_DETAILS,
        "events": G.ISSUE_DETAILS,
    },
    "IssueSummary": {
        "total": _,
        "open": _,
        "overdue": _,
        "dueThisWeek": _,
        "resolved": _,
        "onTime": _,
        "onTimeRate": _,
        "rated": _,
        "satisfied": _,
        "satisfactionRate": _,
        "byTownship": _,
    },
    "TownshipIssueFigures": {
        "total": _,
        "open": _,
        "overdue": _,
        "dueThisWeek": _,
        "resolved": _,
        "onTime": _,
        "onTimeRate": _,
        "rated": _,
        "satisfied": _,
        "satisfactionRate": _,
        "township": _,
    },
    "IssueConnection": CONNECTION,
    "IssueEdge": EDGE,
    "ExtensionRequest": {
        "id": _,
        "requestedAt": _,
        "requestedDeadline": _,
        "previousDeadline": _,
        "extraWorkingDays": _,
        "status": _,
        "decidedAt": _,
        "issue": _,
        "reason": G.ISSUE_DETAILS,
        "note": G.ISSUE_DETAILS,
        "requestedBy": G.PEOPLE,
        "decidedBy": G.PEOPLE,
    },
    "DispatchOrder": {
        "role": _,
        "dispatchedAt": _,
        "dueAt": _,
        "acceptedAt": _,
        "returnedAt": _,
        "team": _,
        "instruction": G.ISSUE_DETAILS,
        "returnReason": G.ISSUE_DETAILS,
    },
    "IssueEvent": {
        "action": _,
        "fromStatus": _,
        "toStatus": _,
        "note": _,
        "createdAt": _,
        "actor": G.PEOPLE,
    },
    "CommissionerAssignment": {"assignedAt": _, "commissioner": _, "previousCommissioner": _, "assignedBy": _},
}

# Fields whose return type's grant the field itself need not imply, and why.
TYPE_GRANT_EXCEPTIONS = {
    "Query.me": "the caller's own staff record, null for anyone not signed in",
    "Query.node": "checked per node type",
    "Query.nodes": "checked per node type",
}


def load_schema() -> GraphQLSchema:
    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))


def closure(grants) -> frozenset[Grant]:
    out = set(PUBLIC)
    for g in grants:
        if g is None or g == PER_NODE_TYPE:
            continue
        out.add(g)
        out |= IMPLIES.get(g, set())
    return frozenset(out)


def node_types(schema: GraphQLSchema) -> list[str]:
    node = schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    return sorted(t.name for t in schema.get_possible_types(node))


def reachable_types(schema: GraphQLSchema) -> list[str]:
    """Object types reachable from Query through fields (an interface: through its implementations)."""
    seen: list[str] = []
    todo = ["Query"]
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.append(name)
        for field in schema.get_type(name).fields.values():
            target = get_named_type(field.type)
            if isinstance(target, GraphQLObjectType):
                todo.append(target.name)
            elif isinstance(target, GraphQLInterfaceType):
                todo.extend(t.name for t in schema.get_possible_types(target))
    return seen


def classification_problems(schema: GraphQLSchema) -> list[str]:
    """Types or fields the table does not classify, stale entries, and fields returning a type
    whose grant they do not imply."""
    problems = []
    reachable = reachable_types(schema)
    for name in reachable:
        if name not in TYPE_GRANTS:
            problems.append(f"type {name} is not in TYPE_GRANTS")
        fields = schema.get_type(name).fields
        table = FIELD_GRANTS.get(name)
        if table is None:
            problems.append(f"type {name} is not in FIELD_GRANTS")
            continue
        for field_name, field in fields.items():
            if field_name not in table:
                problems.append(f"field {name}.{field_name} is not classified in FIELD_GRANTS")
                continue
            target = get_named_type(field.type)
            coordinate = f"{name}.{field_name}"
            if isinstance(target, GraphQLObjectType) and coordinate not in TYPE_GRANT_EXCEPTIONS:
                needed = TYPE_GRANTS.get(target.name)
                held = closure([TYPE_GRANTS.get(name), table[field_name]])
                if needed is not None and needed not in held:
                    problems.append(
                        f"{coordinate} returns {target.name} (needs {needed.value}) but is classified as needing "
                        f"only {sorted(g.value for g in held)}"
                    )
        for stale in sorted(set(table) - set(fields)):
            problems.append(f"FIELD_GRANTS has {name}.{stale}, which the schema does not")
    for stale in sorted((set(TYPE_GRANTS) | set(FIELD_GRANTS)) - set(reachable)):
        problems.append(f"the table has type {stale}, which is not reachable from Query")
    return problems


# -- routes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    parent: str
    field: str
    args: str = ""  # GraphQL argument text
    on: str | None = None  # Query.node: the Node type the ID names (an inline fragment)

    @property
    def grant(self) -> Grant | None:
        if self.on is not None:
            return TYPE_GRANTS[self.on]
        return FIELD_GRANTS[self.parent][self.field]


Route = tuple[Step, ...]


def field_args(schema: GraphQLSchema, type_name: str, field_name: str) -> str:
    """Arguments for reaching a field: ``first: 1`` on pages; None when a required one has no value."""
    field = schema.get_type(type_name).fields[field_name]
    parts = []
    for name, arg in field.args.items():
        if is_non_null_type(arg.type) and arg.default_value is None:
            return None
        if name == "first":
            parts.append("first: 1")
    return f"({', '.join(parts)})" if parts else ""


def routes(schema: GraphQLSchema) -> dict[str, Route]:
    """For each reachable object type, a route from Query that reaches one object of it.

    A Node type is reached by ``node(id:)`` (with an ID the test supplies); any other type by the
    route holding the fewest non-public grants, then the shortest, found from Query's fields without
    required arguments and from every ``node`` route.
    """
    found: dict[str, Route] = {"Query": ()}
    nodes = node_types(schema)
    for name in nodes:
        found[name] = (Step("Query", "node", "(id: $id)", on=name),)

    def cost(route: Route) -> tuple[int, int]:
        return (sum(1 for s in route if s.grant is not None and s.grant not in PUBLIC), len(route))

    heap: list[tuple[tuple[int, int], int, Route]] = []
    counter = 0
    for route in [()] + [found[n] for n in nodes]:
        heapq.heappush(heap, (cost(route), counter, route))
        counter += 1
    best: dict[str, Route] = {}
    while heap:
        _c, _n, route = heapq.heappop(heap)
        at = (
            route[-1].on
            if route and route[-1].on
            else (
                get_named_type(schema.get_type(route[-1].parent).fields[route[-1].field].type).name
                if route
                else "Query"
            )
        )
        if at in best:
            continue
        best[at] = route
        for field_name, field in schema.get_type(at).fields.items():
            target = get_named_type(field.type)
            if not isinstance(target, GraphQLObjectType) or target.name in best or target.name in nodes:
                continue
            args = field_args(schema, at, field_name)
            if args is None:
                continue
            step = Step(at, field_name, args)
            new = (*route, step)
            heapq.heappush(heap, (cost(new), counter, new))
            counter += 1
    for name, route in best.items():
        found.setdefault(name, route)
    return found


def selection(schema: GraphQLSchema, type_name: str, field_names) -> str:
    parts = []
    for name in field_names:
        field = schema.get_type(type_name).fields[name]
        args = field_args(schema, type_name, name)
        assert args is not None, f"{type_name}.{name} has required arguments: build them in the matrix"
        sub = " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
        parts.append(f"{name}{args}{sub}")
    return " ".join(parts)


def query_text(route: Route, inner: str) -> str:
    for step in reversed(route):
        if step.on:
            inner = f"{step.field}{step.args} {{ __typename ... on {step.on} {{ {inner} }} }}"
        else:
            inner = f"{step.field}{step.args} {{ {inner} }}"
    header = "query($id: ID!)" if route and route[0].on else "query"
    return f"{header} {{ {inner} }}"


def expected_refusal(grants: frozenset[Grant], steps: list[tuple[str, Grant | None]]):
    """(path, grant) of the first step the caller lacks a grant for, or None when it may read all."""
    path: list[str] = []
    for key, grant in steps:
        path.append(key)
        if grant is not None and grant not in grants:
            return tuple(path), grant
    return None
