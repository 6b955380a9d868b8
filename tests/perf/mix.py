"""The dashboard mix of bench_load.py: what the staff web app sends (frontend/src/api/), and
the PostGraphile 4 documents answering the same rows, relations and counts (with postgraphile.sql).
The Yimi documents are read from the web app's sources, so the mix follows them; the PostGraphile ones
(and ``normal``) must be kept in step by hand when the web app asks for other fields.

One dashboard visit, repeated by every simulated client: the township figures for the map, the map
layer of every enterprise, the list's first page of enterprises (the default tab), the list's first
page of open issues by deadline, and two enterprise panels (a different enterprise each time).
``normal_*`` turn either server's answer into the same comparable shape, so that the benchmark checks,
before measuring, that both answer the same.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path
from typing import Any

# -- Yimi: the web app's own documents, read from frontend/src/api/*.ts ----------------------------

API_DIR = Path(__file__).resolve().parents[2] / "frontend" / "src" / "api"
DEFINITION = re.compile(r"\b(query|mutation|subscription|fragment)\s+(\w+)")


@cache
def _definitions() -> dict[str, str]:
    """Every GraphQL definition in the web app's graphql(`…`) / /* GraphQL */ `…` literals, by name."""
    found: dict[str, str] = {}
    for path in sorted(API_DIR.glob("*.ts")):
        if path.name.endswith(".test.ts"):
            continue
        for literal in re.findall(r"(?:graphql\(\s*|/\* GraphQL \*/\s*)`([^`]*)`", path.read_text(encoding="utf-8")):
            match = DEFINITION.search(literal)
            if match:
                found[match.group(2)] = literal.strip()
    return found


def web_app_document(operation: str) -> str:
    """The operation as the web app sends it: its text, then the fragments it spreads (as codegen does)."""
    definitions = _definitions()
    if operation not in definitions:
        raise LookupError(f"no operation {operation} in {API_DIR}/*.ts: update tests/perf/mix.py")
    parts, todo = [definitions[operation]], [definitions[operation]]
    while todo:
        for spread in re.findall(r"\.\.\.\s*(\w+)", todo.pop()):
            if spread != "on" and definitions.get(spread) and definitions[spread] not in parts:
                parts.append(definitions[spread])
                todo.append(definitions[spread])
    return "\n".join(parts)


OPEN = ["REPORTED", "DISPATCHED", "IN_PROGRESS", "RETURNED", "REOPENED"]
LIST_PAGE = 25  # the web app's list pages


def yimi_requests(enterprise_pks: list[int]) -> list[tuple[str, list[dict]]]:
    """(name, request bodies) of one dashboard visit, as the web app sends them."""
    TOWNSHIPS, MAP_LAYER, ENTERPRISES, ISSUES, ENTERPRISE_DETAIL = map(
        web_app_document, ("Townships", "MapLayer", "Enterprises", "Issues", "Enterprise")
    )
    return [
        ("townships", [{"query": TOWNSHIPS, "variables": {"first": 100}}]),  # the first of its pages
        ("mapLayer", [{"query": MAP_LAYER, "variables": {"filter": {}}}]),
        (
            "enterprises page",
            [{"query": ENTERPRISES, "variables": {"filter": {}, "first": LIST_PAGE, "after": None}}],
        ),
        (
            "issues page",
            [
                {
                    "query": ISSUES,
                    "variables": {
                        "filter": {"statuses": OPEN},
                        "orderBy": {"field": "DEADLINE", "direction": "ASC"},
                        "first": LIST_PAGE,
                        "after": None,
                    },
                }
            ],
        ),
        (
            "enterprise panel",
            [{"query": ENTERPRISE_DETAIL, "variables": {"id": global_id(pk)}} for pk in enterprise_pks],
        ),
        (
            "enterprise panel",
            [{"query": ENTERPRISE_DETAIL, "variables": {"id": global_id(pk)}} for pk in enterprise_pks[::-1]],
        ),
    ]


def global_id(pk: int) -> str:
    return base64.b64encode(f"Enterprise:{pk}".encode()).decode()


def pk_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


# -- PostGraphile 4.14.1 (-s public, with postgraphile.sql) ----------------------------------------

PG_TOWNSHIPS = """query Townships {
  allTownships(first: 100, orderBy: CODE_ASC) {
    totalCount
    nodes {
      id code name kind seatLon seatLat boundary enterpriseCount openIssueCount overdueIssueCount
      teamCoveragesByTownshipId(orderBy: TEAM_ID_ASC) { nodes { serviceTeamByTeamId { id name kind specialities } } }
    }
  }
}"""

PG_MAP_LAYER = "query MapLayer { mapLayer }"

PG_ENTERPRISES = """query Enterprises($first: Int, $after: Cursor) {
  allEnterprises(orderBy: [NAME_ASC, ID_ASC], first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name uscc industry size aboveScale riskColor openIssueCount townshipByTownshipId { code name } lon lat }
  }
}"""

PG_ISSUES = """query Issues($first: Int, $after: Cursor) {
  openIssuesByDeadline(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id number title category status priority reportedAt deadline warningColor
      enterpriseByEnterpriseId { id name townshipByTownshipId { code name } lon lat } serviceTeamByLeadTeamId { id name } }
  }
}"""

PG_ENTERPRISE_DETAIL = """query Enterprise($id: Int!) {
  enterpriseById(id: $id) {
    id name uscc industry size aboveScale chain riskColor address openIssueCount
    contactPerson contactPhone
    lon lat townshipByTownshipId { code name }
    staffByCommissionerId { id name departmentByDepartmentId { name } }
    issuesByEnterpriseId(first: 50, orderBy: [REPORTED_AT_DESC, ID_DESC]) { totalCount nodes {
      id number title description category source priority status reportedAt deadline resolvedAt closedAt resolution
      satisfaction version warningColor needsEscalation
      serviceTeamByLeadTeamId { id name }
      dispatchOrdersByIssueId(condition: {role: "co_handler", returnedAt: null}, orderBy: [DISPATCHED_AT_ASC, ID_ASC]) {
        nodes { serviceTeamByTeamId { id name } } }
      issueEventsByIssueId(orderBy: [CREATED_AT_ASC, ID_ASC]) {
        nodes { action fromStatus toStatus note createdAt staffByActorId { name } } }
      extensionRequestsByIssueId(orderBy: [REQUESTED_AT_ASC, ID_ASC]) { nodes { id status requestedDeadline reason } }
    } }
  }
}"""


def postgraphile_requests(enterprise_pks: list[int]) -> list[tuple[str, list[dict]]]:
    return [
        ("townships", [{"query": PG_TOWNSHIPS, "variables": {}}]),
        ("mapLayer", [{"query": PG_MAP_LAYER, "variables": {}}]),
        ("enterprises page", [{"query": PG_ENTERPRISES, "variables": {"first": LIST_PAGE}}]),
        ("issues page", [{"query": PG_ISSUES, "variables": {"first": LIST_PAGE}}]),
        ("enterprise panel", [{"query": PG_ENTERPRISE_DETAIL, "variables": {"id": pk}} for pk in enterprise_pks]),
        ("enterprise panel", [{"query": PG_ENTERPRISE_DETAIL, "variables": {"id": pk}} for pk in enterprise_pks[::-1]]),
    ]


# -- the same answer from either server ------------------------------------------------------------


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def normal(name: str, data: dict, yimi: bool) -> Any:
    """The rows, relations and counts of an answer to the request ``name``, in one shape for both servers."""
    if name == "townships":
        nodes = data["townships" if yimi else "allTownships"]["nodes"]
        return [
            (
                n["code"],
                n["enterpriseCount"],
                n["openIssueCount"],
                n["overdueIssueCount"],
                [t["name"] for t in n["coveringTeams"]]
                if yimi
                else [c["serviceTeamByTeamId"]["name"] for c in n["teamCoveragesByTownshipId"]["nodes"]],
            )
            for n in nodes
        ]
    if name == "mapLayer":
        features = data["mapLayer"]["features"]
        return [
            (
                pk_of(f["properties"]["id"]) if yimi else f["properties"]["id"],
                tuple(f["geometry"]["coordinates"]),
                f["properties"]["openIssueCount"],
                f["properties"]["warningColor"],
            )
            for f in features
        ]
    if name == "enterprises page":
        conn = data["enterprises" if yimi else "allEnterprises"]
        return conn["totalCount"], [
            (
                n["name"],
                n["openIssueCount"],
                (n["township"] if yimi else n["townshipByTownshipId"])["code"],
                _lower(n["riskColor"]),
            )
            for n in conn["nodes"]
        ]
    if name == "issues page":
        conn = data["issues" if yimi else "openIssuesByDeadline"]
        return conn["totalCount"], [
            (
                n["number"],
                _lower(n["status"]),
                n["warningColor"],
                (n["enterprise"] if yimi else n["enterpriseByEnterpriseId"])["name"],
                ((n["leadTeam"] if yimi else n["serviceTeamByLeadTeamId"]) or {}).get("name"),
            )
            for n in conn["nodes"]
        ]
    if name == "enterprise panel":
        e = data["node" if yimi else "enterpriseById"]
        commissioner = e["commissioner"] if yimi else e["staffByCommissionerId"]
        issues = e["issues"] if yimi else e["issuesByEnterpriseId"]
        return (
            e["name"],
            e["openIssueCount"],
            e["contactPhone"],
            commissioner and commissioner["name"],
            issues["totalCount"],
            [
                (
                    i["number"],
                    _lower(i["status"]),
                    i["warningColor"],
                    i["needsEscalation"],
                    ((i["leadTeam"] if yimi else i["serviceTeamByLeadTeamId"]) or {}).get("name"),
                    [t["name"] for t in i["coHandlers"]]
                    if yimi
                    else [d["serviceTeamByTeamId"]["name"] for d in i["dispatchOrdersByIssueId"]["nodes"]],
                    [(_lower(ev["action"]), _lower(ev["toStatus"])) for ev in i["events"]]
                    if yimi
                    else [(_lower(ev["action"]), _lower(ev["toStatus"])) for ev in i["issueEventsByIssueId"]["nodes"]],
                    len(i["extensionRequests"] if yimi else i["extensionRequestsByIssueId"]["nodes"]),
                )
                for i in issues["nodes"]
            ],
        )
    raise KeyError(name)
