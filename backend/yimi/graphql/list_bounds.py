"""How many items each list field of the schema can return: the sizes the query cost multiplies.

A list field is resolved once per object of its parent and returns many objects, each resolved in
turn, so ``coverage { teams { townships { coveringTeams { ... } } } }`` multiplies at every level.
The cost (:mod:`yimi.graphql.cost`) counts, for every list of objects, its bound times the number
of times it is resolved, so that the estimate is an upper bound on the objects an answer can hold.

Every list field has an entry in ``LIST_BOUNDS`` (a test walks the schema and fails on a list field
without one), of one of these kinds:

* ``Page`` — the ``nodes``/``edges`` of a connection: the connection's ``first`` already counts them.
* ``Argument`` — as many as a list argument holds: ``nodes(ids)``, or the issues sent with
  ``recordVisit(input: {issues})`` (an argument of the field enclosing the payload).
* ``Data`` — a figure of the database, read with one SQL query once per data version (at most every
  ``SIZES_MAX_AGE_SECONDS`` without one) and shared by the requests of one app: the number of
  townships, or the most children any one parent has (the most events of any issue). Such a bound is
  exact as of its reading; rows added since are counted at the next one, after the write's version.
* ``Leaf`` — strings or enum values, no objects: one resolver returns the list, nothing is resolved
  per item, so the count of objects does not change; the row the values come from bounds them.
* ``Fixed`` — a number the code guarantees.

A scalar can be as large as many objects: a township's GeoJSON outline, the map layer's
FeatureCollection. Each such field has a ``Weight`` in ``SCALAR_WEIGHTS`` (a test fails on a JSON
field without one): its size in bytes, from a figure of the database, counts as that many
``BYTES_PER_OBJECT`` objects (rounded up) each time it is resolved. ``CONNECTION_TOTALS`` caps the
page of a connection whose whole list is a figure (there are no more townships than townships).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise import connections

from yimi.common import data_version
from yimi.issues.models import IssueCategory


@dataclass(frozen=True)
class Page:
    reason: str = "counted by the connection's `first` (20 when left out, at most 100)"


@dataclass(frozen=True)
class Argument:
    """The length of the list argument at ``path`` (dotted, into input objects)."""

    path: str
    reason: str
    of_enclosing_field: bool = False  # the argument belongs to the field whose type holds this list


@dataclass(frozen=True)
class Data:
    statistic: str  # a key of STATISTICS
    reason: str


@dataclass(frozen=True)
class Leaf:
    reason: str


@dataclass(frozen=True)
class Fixed:
    at_most: int
    reason: str


Bound = Page | Argument | Data | Leaf | Fixed


@dataclass(frozen=True)
class Weight:
    """A scalar of ``STATISTICS[statistic]`` × ``bytes_per_unit`` bytes (as JSON), at most on average,
    counting as one object per ``bytes_per_object`` bytes."""

    statistic: str
    bytes_per_unit: int
    reason: str
    bytes_per_object: int = 0  # 0: BYTES_PER_OBJECT


# What one plain object of an answer takes, as JSON: a township's {"id","code","name"} 73 bytes, an
# enterprise of the web app's list 150 to 250. A weighted scalar counts its bytes / this, rounded up.
BYTES_PER_OBJECT = 100
# One point feature of mapLayer, as JSON: {"type":"Feature","geometry":{"type":"Point",
# "coordinates":[lon,lat]},"properties":{"id","warningColor","openIssueCount"}}, 190 to 205 bytes.
MAP_FEATURE_BYTES = 200
# A scalar the server writes as JSON text in one pass and keeps (the map layer, yimi.enterprises.
# map_layer) costs it its bytes, not the execution of fields: a province's 100,000 points (20 MB)
# count 20,000 objects, 205 points, within one request's default maximum (500), while a third alias
# of it is refused: an answer's size stays bounded whatever the aliases.
SERIALISED_BYTES_PER_OBJECT = 1_000


def _max_per(table: str, column: str) -> str:
    """The most rows of ``table`` any one value of ``column`` has (nulls are no parent)."""
    return f"SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM {table} WHERE {column} IS NOT NULL GROUP BY {column}) AS t"


# One scalar subquery each, all read in one round trip; portable between SQLite and PostgreSQL.
STATISTICS: dict[str, str] = {
    "townships": "SELECT COUNT(*) FROM township",
    "teams_per_township": _max_per("team_coverage", "township_id"),
    "townships_per_team": _max_per("team_coverage", "team_id"),
    "members_per_team": _max_per("team_member", "team_id"),
    "sub_teams_per_team": _max_per("service_team", "parent_id"),
    "dispatches_per_issue": _max_per("dispatch_order", "issue_id"),
    "events_per_issue": _max_per("issue_event", "issue_id"),
    "extensions_per_issue": _max_per("extension_request", "issue_id"),
    "assignments_per_enterprise": _max_per("commissioner_assignment", "enterprise_id"),
    "issues_per_visit": _max_per("issue", "visit_id"),
    "enterprises": "SELECT COUNT(*) FROM enterprise",
    # The average outline, as stored (PostgreSQL's jsonb prints a space after ',' and ':': a little
    # more than the compact JSON of the answer, so an upper bound of it).
    "boundary_bytes": "SELECT AVG(LENGTH(CAST(boundary AS TEXT))) FROM township WHERE boundary IS NOT NULL",
}

SCALAR_WEIGHTS: dict[str, Weight] = {
    "Township.boundary": Weight(
        "boundary_bytes", 1, "a GeoJSON outline: the average size of the stored ones (demo: 609 bytes, 7 objects)"
    ),
    "Query.mapLayer": Weight(
        "enterprises",
        MAP_FEATURE_BYTES,
        "one GeoJSON point feature per enterprise (the filter only narrows), written as text in one pass",
        SERIALISED_BYTES_PER_OBJECT,
    ),
}
# Connections whose every page holds at most this figure's objects, whatever `first` says.
CONNECTION_TOTALS: dict[str, str] = {"TownshipConnection": "townships"}

_USER_ERRORS = Fixed(1, "common.payloads.run reports the one ServiceError that stopped the mutation")
_CATEGORIES = len(IssueCategory)
_CONNECTIONS = ("Enterprise", "Issue", "ServiceTeam", "Township")

LIST_BOUNDS: dict[str, Bound] = {
    # Connections: their `first` counts what their pages hold.
    **{f"{c}Connection.{f}": Page() for c in _CONNECTIONS for f in ("nodes", "edges")},
    "Query.nodes": Argument("ids", "one object (or null) per ID asked for"),
    "Query.coverage": Data("townships", "one row per township, of all townships at most (the filter only narrows)"),
    "TownshipCoverage.teams": Data("teams_per_township", "the teams covering this township"),
    "TownshipCoverage.categories": Fixed(_CATEGORIES, "one row per IssueCategory"),
    "TownshipCoverage.gaps": Leaf("IssueCategory values, each at most once"),
    "CategoryCoverage.teams": Data("teams_per_township", "those of the township's covering teams that handle it"),
    "Township.coveringTeams": Data("teams_per_township", "its rows in team_coverage"),
    "ServiceTeam.townships": Data("townships_per_team", "its rows in team_coverage"),
    "ServiceTeam.members": Data("members_per_team", "its rows in team_member"),
    "ServiceTeam.subTeams": Data("sub_teams_per_team", "the teams whose parent it is"),
    "ServiceTeam.specialities": Leaf("IssueCategory values stored on the team"),
    "Staff.roles": Leaf("role names stored on the account"),
    "Issue.dispatches": Data("dispatches_per_issue", "its rows in dispatch_order"),
    "Issue.coHandlers": Data("dispatches_per_issue", "the teams of some of its dispatch orders"),
    "Issue.events": Data("events_per_issue", "its rows in issue_event"),
    "Issue.extensionRequests": Data("extensions_per_issue", "its rows in extension_request"),
    "Issue.viewerActions": Leaf("IssueAction values, each at most once"),
    "IssueSummary.byTownship": Data("townships", "one entry per township with a matching issue, of all at most"),
    "Enterprise.commissionerHistory": Data("assignments_per_enterprise", "its rows in commissioner_assignment"),
    "Visit.issues": Data("issues_per_visit", "the issues whose visit it is"),
    "RecordVisitPayload.issues": Argument(
        "input.issues", "one issue per draft sent with the visit", of_enclosing_field=True
    ),
    "IssueStatistics.byTownship": Data("townships", "one row per township at most"),
    "IssueStatistics.byCategory": Fixed(_CATEGORIES, "one row per IssueCategory"),
    "IssueStatistics.byMonth": Fixed(12, "one row per month of the year"),
    "Query.statisticsYears": Leaf("years (integers) from the first issue's to the last one's"),
    **{
        f"{payload}Payload.userErrors": _USER_ERRORS
        for payload in (
            "AcceptDispatch",
            "AddIssueNote",
            "AssignCommissioner",
            "ConfirmIssue",
            "DecideExtension",
            "DispatchIssue",
            "EscalateIssue",
            "RecordVisit",
            "ReopenIssue",
            "ReportIssue",
            "RequestExtension",
            "ResolveIssue",
            "ReturnDispatch",
            "SetTeamCoverage",
            "SignIn",
        )
    },
}

# Types whose list bounds depend on the arguments of the field that returned them.
CONTEXTUAL_TYPES = frozenset(
    key.split(".")[0] for key, bound in LIST_BOUNDS.items() if isinstance(bound, Argument) and bound.of_enclosing_field
)

SIZES_MAX_AGE_SECONDS = 10.0


class ListSizes:
    """The figures ``Data`` bounds need. Kept while the data version stays (only a write changes them), and
    once it has moved, read again when they are ``max_age`` seconds old: at province scale reading them
    groups millions of rows (half a second), and a busy county writes several times a second. Bounds up to
    ten seconds behind a write only bound a cost a little less tightly. Requests without a version
    (WebSocket operations) read them again every ``max_age`` seconds.

    While the database does not answer, the last figures serve (the request then fails in its
    resolvers anyway); with none yet, the error reaches the caller as any database outage does.
    """

    def __init__(self, max_age: float = SIZES_MAX_AGE_SECONDS):
        self.max_age = max_age
        self._sizes: dict[str, int] | None = None
        self._version: int | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    def _fresh(self, version: int | None) -> bool:
        if self._sizes is None:
            return False
        age = time.monotonic() - self._read_at
        if version is not None and version == self._version:
            return age < data_version.MAX_AGE_SECONDS
        return age < self.max_age

    async def current(self, version: int | None = None) -> Mapping[str, int]:
        if self._fresh(version):
            assert self._sizes is not None
            return self._sizes
        async with self._lock:  # one reading for the requests that arrive meanwhile
            if not self._fresh(version):
                try:
                    self._sizes = await read_sizes()
                    self._version, self._read_at = version, time.monotonic()
                except Exception:
                    if self._sizes is None:
                        raise
            assert self._sizes is not None
            return self._sizes


async def read_sizes() -> dict[str, int]:
    columns = ", ".join(f"COALESCE(({sql}), 0) AS {name}" for name, sql in STATISTICS.items())
    _, rows = await connections.get("default").execute_query(f"SELECT {columns}")
    row: Any = rows[0]
    return {name: math.ceil(row[name]) for name in STATISTICS}  # an average rounds up


def sizes_of(context: Any) -> ListSizes:
    """The app's ListSizes (one per app, made on first use)."""
    request = getattr(context, "request", None)
    state = getattr(getattr(request, "app", None), "state", None)
    if state is None:
        return _DETACHED
    sizes = getattr(state, "list_sizes", None)
    if sizes is None:
        sizes = state.list_sizes = ListSizes()
    return sizes


_DETACHED = ListSizes()
