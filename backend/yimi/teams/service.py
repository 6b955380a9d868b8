"""Service-team queries, the coverage matrix (township × issue category), team figures and the
coverage rules."""

from __future__ import annotations

import functools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Coalesce, Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from yimi.accounts.models import Staff
from yimi.common.errors import ServiceError, UserInputError
from yimi.common.filters import fitting
from yimi.common.ids import parse_global_id
from yimi.common.pagination import Ordering
from yimi.common.text import checked_field_list
from yimi.issues.deadlines import working_days_between
from yimi.issues.models import (
    RESOLVED_VALUES,
    DispatchOrder,
    DispatchRole,
    Issue,
    IssueCategory,
)
from yimi.issues.summary import figure_counts
from yimi.teams.action_rules import authorize_set_coverage
from yimi.teams.models import ServiceTeam, TeamCoverage, TeamKind
from yimi.townships.models import Township


@dataclass
class TeamCriteria:
    kinds: list[TeamKind] | None = None
    township_codes: list[str] | None = None
    speciality: IssueCategory | None = None
    search: str | None = None


async def team_queryset(criteria: TeamCriteria) -> QuerySet[ServiceTeam]:
    qs = ServiceTeam.all()
    c = criteria
    if c.kinds:
        qs = qs.filter(kind__in=[k.value for k in c.kinds])
    if c.township_codes is not None:
        codes = fitting(c.township_codes, Township, "code")
        qs = qs.filter(id__in=Subquery(TeamCoverage.filter(township__code__in=codes).values("team_id")))
    if c.speciality is not None:
        # Specialities are a short JSON list; matching in Python keeps SQLite and PostgreSQL alike.
        ids = [t.id for t in await ServiceTeam.all().only("id", "specialities") if c.speciality.value in t.specialities]
        qs = qs.filter(id__in=ids)
    if c.search:
        qs = qs.filter(Q(name__icontains=c.search.strip()))
    return qs


# Teams are listed in the order they were set up.
BY_ID = Ordering("teams.id.asc", ())


@dataclass
class CategoryCoverage:
    category: IssueCategory
    team_ids: list[int]

    @property
    def covered(self) -> bool:
        return bool(self.team_ids)


@dataclass
class TownshipCoverage:
    township: Township
    team_ids: list[int]
    categories: list[CategoryCoverage]


async def coverage_matrix(townships: list[Township]) -> list[TownshipCoverage]:
    """For each township: the teams covering it and, per category, which of them handle it."""
    links = await TeamCoverage.filter(township_id__in=[t.id for t in townships]).values_list("township_id", "team_id")
    specialities = dict(await ServiceTeam.all().values_list("id", "specialities"))
    teams_by_township: dict[int, list[int]] = defaultdict(list)
    for township_id, team_id in links:
        teams_by_township[township_id].append(team_id)
    result = []
    for township in townships:
        team_ids = sorted(teams_by_township.get(township.id, []))
        categories = [
            CategoryCoverage(category, [t for t in team_ids if category.value in specialities.get(t, [])])
            for category in IssueCategory
        ]
        result.append(TownshipCoverage(township, team_ids, categories))
    return result


# --------------------------------------------------------------------------------------------
# Team figures


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class TeamFigures:
    """Performance figures of one team over the issues it leads (and its dispatch orders).

    An issue counts as resolved when its status is resolved or closed and it has a resolution time.
    """

    open: int = 0
    overdue: int = 0
    resolved_count: int = 0
    on_time_count: int = 0
    rated_count: int = 0
    content_count: int = 0  # satisfied or basically satisfied
    dispatch_count: int = 0
    returned_count: int = 0
    median_working_days_to_resolve: float | None = None

    @property
    def on_time_rate(self) -> float | None:
        return _ratio(self.on_time_count, self.resolved_count)

    @property
    def return_rate(self) -> float | None:
        return _ratio(self.returned_count, self.dispatch_count)

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.content_count, self.rated_count)


def _as_datetime(value: datetime | str) -> datetime:
    """An aware datetime from a driver value: a datetime (PostgreSQL) or ISO text (SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=16384)
def _working_days_between(start: date, end: date) -> int:
    # The holiday calendar is fixed for a given chinese-calendar release, so results keep.
    return working_days_between(start, end)


def working_days_for(pairs: Iterable[tuple[date, date]]) -> dict[tuple[date, date], int]:
    """``working_days_between(start, end)`` for many pairs with ``start <= end``.

    The count is additive (working days in (a, c] = those in (a, b] + those in (b, c] for
    a <= b <= c), so a running total over the sorted distinct dates walks each calendar day once
    instead of once per pair; the steps between neighbouring dates are cached across requests.
    """
    pairs = set(pairs)
    running, total, previous = 0, {}, None
    for day in sorted({d for pair in pairs for d in pair}):
        if previous is not None:
            running += _working_days_between(previous, day)
        total[day] = running
        previous = day
    return {(start, end): total[end] - total[start] for start, end in pairs}


def working_days_to_resolve(spans: Sequence[tuple[datetime, datetime]], timezone: str) -> list[int]:
    """Working days from each (dispatched_at, resolved_at), counted on local dates in ``timezone``."""
    zone = ZoneInfo(timezone)
    local = [(start.astimezone(zone).date(), end.astimezone(zone).date()) for start, end in spans]
    counts = working_days_for(local)
    return [counts[pair] for pair in local]


async def team_figures(
    team_ids: Sequence[int], *, now: datetime, timezone: str, since: datetime | None = None
) -> dict[int, TeamFigures]:
    """Figures for each team in ``team_ids``, with three SQL statements whatever their number.

    ``now`` decides what is overdue; ``since`` keeps only issues reported at or after it (and the
    dispatch orders of those issues); working days are counted on local dates in ``timezone``.
    """
    ids = sorted(set(team_ids))
    if not ids:
        return {}
    if since is not None:
        # On SQLite timestamps compare as ISO text, stored in UTC: a bound with another offset
        # would compare wrongly, so it goes in as UTC too.
        since = since.astimezone(UTC)

    # 1. Counts over the issues each team leads, in one GROUP BY.
    issues = Issue.filter(lead_team_id__in=ids)
    if since is not None:
        issues = issues.filter(reported_at__gte=since)
    counts = figure_counts(now)
    issue_rows = await issues.annotate(**counts).group_by("lead_team_id").values("lead_team_id", *counts)

    # 2. Lead orders and returned ones per team, in one GROUP BY. Only a lead team returns an
    # order; co-handler orders recalled with the lead's return are not the co-handler's refusal.
    orders = DispatchOrder.filter(team_id__in=ids, role=DispatchRole.LEAD)
    if since is not None:
        orders = orders.filter(issue__reported_at__gte=since)
    order_rows = await (
        orders.annotate(n_orders=Count("id"), n_returned=Count("id", _filter=Q(returned_at__isnull=False)))
        .group_by("team_id")
        .values("team_id", "n_orders", "n_returned")
    )

    # 3. For the median: each resolved issue's lead order still held by its lead team. A median is
    # not portable SQL, and working days need the holiday calendar, so this part is Python.
    leads = DispatchOrder.filter(
        role=DispatchRole.LEAD.value,
        returned_at__isnull=True,
        team_id__in=ids,
        issue__lead_team_id__in=ids,
        issue__status__in=RESOLVED_VALUES,
        issue__resolved_at__isnull=False,
    )
    if since is not None:
        leads = leads.filter(issue__reported_at__gte=since)
    # Wrapped in COALESCE, the timestamps come back as the driver gives them (ISO text on SQLite)
    # and skip Tortoise's per-value conversion, which cost four times the query itself. The second
    # argument is a NULL literal: a bound text value would make PostgreSQL refuse the query.
    null = RawSQL("NULL")
    lead_rows = await leads.annotate(
        at=Coalesce("dispatched_at", null), until=Coalesce("issue__resolved_at", null)
    ).values_list("id", "issue_id", "team_id", "issue__lead_team_id", "at", "until")
    latest: dict[int, tuple[datetime, int]] = {}
    spans: dict[int, tuple[int, datetime, datetime]] = {}
    for order_id, issue_id, team_id, lead_team_id, at, until in lead_rows:
        if team_id != lead_team_id:
            continue
        dispatched_at, resolved_at = _as_datetime(at), _as_datetime(until)
        # The team's latest order for the issue dispatched before the resolution counts.
        if dispatched_at <= resolved_at and (issue_id not in latest or (dispatched_at, order_id) > latest[issue_id]):
            latest[issue_id] = (dispatched_at, order_id)
            spans[issue_id] = (team_id, dispatched_at, resolved_at)
    held = list(spans.values())
    days = working_days_to_resolve([(d, r) for _, d, r in held], timezone)
    days_by_team: dict[int, list[int]] = defaultdict(list)
    for (team_id, _, _), n in zip(held, days, strict=True):
        days_by_team[team_id].append(n)

    by_team_issues = {r["lead_team_id"]: r for r in issue_rows}
    by_team_orders = {r["team_id"]: r for r in order_rows}
    result = {}
    for team_id in ids:
        i = by_team_issues.get(team_id, {})
        o = by_team_orders.get(team_id, {})
        team_days = days_by_team.get(team_id)
        result[team_id] = TeamFigures(
            open=i.get("n_open", 0),
            overdue=i.get("n_overdue", 0),
            resolved_count=i.get("n_resolved", 0),
            on_time_count=i.get("n_on_time", 0),
            rated_count=i.get("n_rated", 0),
            content_count=i.get("n_content", 0),
            dispatch_count=o.get("n_orders", 0),
            returned_count=o.get("n_returned", 0),
            median_working_days_to_resolve=float(statistics.median(team_days)) if team_days else None,
        )
    return result


# --------------------------------------------------------------------------------------------
# Coverage changes


async def set_team_coverage(actor: Staff | None, team_id: str, township_codes: Sequence[str]) -> ServiceTeam:
    """Replace the townships a team covers, in one transaction; duplicate codes are ignored.

    ``team_id`` is the team's global ID. Refuses (ServiceError, nothing written) an anonymous
    caller, a caller who is neither admin nor dispatcher, an unknown team, and unknown codes.
    """
    actor = authorize_set_coverage(actor)
    scope = set(actor.township_scope or [])
    try:
        _, pk = parse_global_id(team_id, "teamId", "ServiceTeam")
    except UserInputError as error:
        raise ServiceError("teamId", "INVALID", error.message) from None
    codes = list(dict.fromkeys(checked_field_list(township_codes, "townshipCodes")))

    async with in_transaction() as conn:
        team = await ServiceTeam.filter(id=pk).using_db(conn).select_for_update().first()
        if team is None:
            raise ServiceError("teamId", "NOT_FOUND", f"no service team with ID {team_id}")
        # A code too long for the column cannot exist: leave it out of the lookup, report it unknown.
        lookup = Township.filter(code__in=fitting(codes, Township, "code")).using_db(conn)
        found = dict(await lookup.values_list("code", "id")) if codes else {}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise ServiceError("townshipCodes", "NOT_FOUND", "unknown township codes: " + ", ".join(unknown))
        wanted = set(found.values())
        # Tortoise types values_list(flat=True) as tuples; it gives the values themselves.
        current = set(
            cast(list[int], await TeamCoverage.filter(team_id=pk).using_db(conn).values_list("township_id", flat=True))
        )
        if scope:
            touched = await Township.filter(id__in=current ^ wanted).using_db(conn).values_list("code", flat=True)
            if outside := sorted(set(cast(list[str], touched)) - scope):
                raise ServiceError(
                    "townshipCodes",
                    "FORBIDDEN",
                    "you act only in townships "
                    + ", ".join(sorted(scope))
                    + "; this would change coverage of "
                    + ", ".join(outside),
                )
        if current - wanted:
            await TeamCoverage.filter(team_id=pk, township_id__in=sorted(current - wanted)).using_db(conn).delete()
        if wanted - current:
            await TeamCoverage.bulk_create(
                [TeamCoverage(team_id=pk, township_id=t) for t in sorted(wanted - current)], using_db=conn
            )
    return team
