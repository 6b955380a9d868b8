"""Issue queries: the filter and the orderings shared by the `issues` query and subscriptions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from functools import reduce
from operator import or_
from typing import Any

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from yimi.accounts.read_rules import Access, Grant
from yimi.common.figures import open_deadline
from yimi.common.filters import fitting
from yimi.common.pagination import Ordering, SortKey
from yimi.issues.models import OPEN_STATUSES, DispatchOrder, Issue, IssueCategory, IssuePriority, IssueStatus
from yimi.issues.warning import WarningColor, overdue_q, warning_color, warning_q
from yimi.townships.models import Township


class IssueOrderField(str, Enum):
    REPORTED_AT = "reported_at"
    DEADLINE = "deadline"
    NUMBER = "number"
    PRIORITY = "priority"
    STATUS = "status"


@dataclass
class IssueCriteria:
    statuses: list[IssueStatus] = field(default_factory=list)
    categories: list[IssueCategory] = field(default_factory=list)
    township_codes: list[str] | None = None
    team_id: int | None = None
    warning_colors: list[WarningColor] = field(default_factory=list)
    overdue: bool | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    search: str | None = None
    enterprise_id: int | None = None
    needs_escalation: bool | None = None


def issue_queryset(criteria: IssueCriteria, now: datetime, access: Access) -> QuerySet[Issue]:
    """The issues ``access`` may see that match ``criteria``."""
    qs = access.issues()
    c = criteria
    if c.statuses:
        qs = qs.filter(status__in=[s.value for s in c.statuses])
    if c.categories:
        qs = qs.filter(category__in=[x.value for x in c.categories])
    if c.township_codes is not None:
        qs = qs.filter(enterprise__township__code__in=fitting(c.township_codes, Township, "code"))
    if c.enterprise_id is not None:
        qs = qs.filter(enterprise_id=c.enterprise_id)
    if c.team_id is not None:
        # The team leads the issue or helps on it: a live (not returned) order. Issues a team
        # refused long ago and that now sit with another team are not on its list.
        ordered_to_team = Subquery(DispatchOrder.filter(team_id=c.team_id, returned_at__isnull=True).values("issue_id"))
        qs = qs.filter(Q(lead_team_id=c.team_id) | Q(id__in=ordered_to_team))
    if c.warning_colors:
        qs = qs.filter(reduce(or_, (warning_q(color, now) for color in c.warning_colors)))
    if c.overdue is not None:
        qs = qs.filter(overdue_q(now)) if c.overdue else qs.exclude(overdue_q(now))
    if c.reported_from is not None:
        qs = qs.filter(reported_at__gte=c.reported_from)
    if c.reported_to is not None:
        qs = qs.filter(reported_at__lt=c.reported_to)
    if c.needs_escalation is not None:
        flagged = overdue_q(now) & Q(escalated_at__isnull=True)
        qs = qs.filter(flagged) if c.needs_escalation else qs.exclude(flagged)
    if c.search:
        text = c.search.strip()
        matches = Q(title__icontains=text) | Q(number__icontains=text)
        if access.allows(Grant.ISSUE_DETAILS):
            # Searching text the caller may not read would let them read it a guess at a time.
            matches |= Q(description__icontains=text)
        qs = qs.filter(matches)
    return qs


# Enum orderings sort by meaning, not alphabetically: priority by urgency, status along the workflow.
RANKS: dict[IssueOrderField, Sequence[Enum]] = {
    IssueOrderField.PRIORITY: [IssuePriority.COMPLEX, IssuePriority.NORMAL, IssuePriority.URGENT],
    IssueOrderField.STATUS: list(IssueStatus),
}


# The value of each plain order as it travels in cursors.
_SORT_KEYS = {
    IssueOrderField.REPORTED_AT: SortKey("reported_at", "datetime"),
    IssueOrderField.DEADLINE: SortKey("deadline", "datetime"),
    IssueOrderField.NUMBER: SortKey("number", "str"),
}
# After every deadline; before the value issue_open_deadline gives issues that are not open.
_FAR = datetime(9999, 1, 1, tzinfo=UTC)


def ordered(
    qs: QuerySet[Issue], order_field: IssueOrderField, descending: bool, statuses: Sequence[IssueStatus] = ()
) -> tuple[QuerySet[Issue], Ordering]:
    """``qs`` ready to be ordered, and its order (ties broken by id). ``statuses``: the filter's.

    Open issues by deadline walk the index of open deadlines (migration 0010) rather than sort
    every open issue: the deadline index alone would first step over every closed issue.
    """
    direction = "desc" if descending else "asc"
    name = f"issues.{order_field.value}.{direction}"
    if order_field in RANKS:
        key = f"{order_field.value}_rank"
        # Constants spelt in the SQL (enum values, never client input): as parameters, PostgreSQL
        # would take the ranks for text and refuse to compare them with a cursor's number.
        members = RANKS[order_field]
        whens = " ".join(f"WHEN '{m.value}' THEN {i}" for i, m in enumerate(members))
        rank = RawSQL(f'(CASE "issue"."{order_field.value}" {whens} ELSE {len(members)} END)')
        return qs.annotate(**{key: rank}), Ordering(name, (SortKey(key, "int"),), descending)
    if order_field == IssueOrderField.DEADLINE and statuses and set(statuses) <= set(OPEN_STATUSES):
        qs = qs.annotate(open_deadline=open_deadline()).filter(open_deadline__lt=_FAR)
        return qs, Ordering(name, (SortKey("open_deadline", "datetime", attribute="deadline"),), descending)
    return qs, Ordering(name, (_SORT_KEYS[order_field],), descending)


# -- the state a change may alter ----------------------------------------------------------------
# A workflow change alters only the status, the teams, the deadline (and the warning thresholds)
# and the escalation; category, enterprise, report time and text stay. To tell a subscriber that
# a change took an issue out of its filter, the state before the change travels with the change,
# and the criteria on these fields are checked against it here, as the SQL above checks them.


def snapshot(issue: Issue, live_order_team_ids: Iterable[int]) -> dict[str, Any]:
    """The changeable state of ``issue`` as JSON, with the teams holding live orders."""
    return {
        "status": issue.status.value,
        "leadTeamId": issue.lead_team_id,
        "teamIds": sorted(live_order_team_ids),
        "deadline": issue.deadline.isoformat(),
        "yellowAt": issue.yellow_at.isoformat(),
        "orangeAt": issue.orange_at.isoformat(),
        "escalatedAt": issue.escalated_at.isoformat() if issue.escalated_at else None,
    }


def stable_part(criteria: IssueCriteria) -> IssueCriteria:
    """``criteria`` without the criteria on changeable state (those ``matched`` checks)."""
    return replace(criteria, statuses=[], team_id=None, warning_colors=[], overdue=None, needs_escalation=None)


def matched(criteria: IssueCriteria, state: Mapping[str, Any], now: datetime) -> bool:
    """Whether an issue in the ``snapshot`` state met the changeable criteria at ``now``."""
    try:
        status = IssueStatus(state["status"])
        yellow_at, orange_at, deadline = (
            datetime.fromisoformat(state[k]) for k in ("yellowAt", "orangeAt", "deadline")
        )
        escalated = state.get("escalatedAt")
        teams = {state.get("leadTeamId"), *state.get("teamIds", [])}
    except (KeyError, TypeError, ValueError):
        return False
    color = warning_color(status, yellow_at, orange_at, deadline, now)
    if criteria.statuses and status not in criteria.statuses:
        return False
    if criteria.team_id is not None and criteria.team_id not in teams:
        return False
    if criteria.warning_colors and color not in criteria.warning_colors:
        return False
    if criteria.overdue is not None and (color == WarningColor.RED) != criteria.overdue:
        return False
    if criteria.needs_escalation is not None:
        flagged = color == WarningColor.RED and escalated is None
        if flagged != criteria.needs_escalation:
            return False
    return True


def needs_escalation(issue: Issue, now: datetime) -> bool:
    """Open, overdue and not escalated (督办) yet: flagged for the centre automatically."""
    color = warning_color(issue.status, issue.yellow_at, issue.orange_at, issue.deadline, now)
    return color == WarningColor.RED and issue.escalated_at is None
