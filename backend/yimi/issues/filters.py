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

from yimi.accounts.read_rules import NO_ROWS, Access, Grant
from yimi.common.figures import OPEN_SQL, open_deadline
from yimi.common.filters import fitting
from yimi.common.pagination import Ordering, SortKey
from yimi.enterprises.models import Enterprise
from yimi.issues.models import (
    OPEN_STATUSES,
    DispatchOrder,
    ExtensionRequest,
    ExtensionStatus,
    Issue,
    IssueCategory,
    IssuePriority,
    IssueStatus,
)
from yimi.issues.warning import WarningColor, overdue_q, warning_color, warning_q
from yimi.teams.models import TeamMember
from yimi.townships.models import Township


class IssueOrderField(str, Enum):
    REPORTED_AT = "reported_at"
    DEADLINE = "deadline"
    NUMBER = "number"
    PRIORITY = "priority"
    STATUS = "status"


class IssueQueue(str, Enum):
    """A work queue (我的待办): the issues waiting for the caller, by role. "My teams" are the teams the
    caller is a member of; a caller with no teams (or no staff sign-in) finds the team queues empty."""

    # team member
    TEAM_TO_ACCEPT = "team_to_accept"
    TEAM_IN_PROGRESS = "team_in_progress"
    TEAM_OVERDUE = "team_overdue"
    # dispatcher
    TO_DISPATCH = "to_dispatch"
    RETURNED = "returned"
    EXTENSIONS_TO_DECIDE = "extensions_to_decide"
    TO_CONFIRM = "to_confirm"
    # commissioner
    MY_ENTERPRISES = "my_enterprises"


# What each queue holds, for the schema.
QUEUE_MEANINGS = {
    IssueQueue.TEAM_TO_ACCEPT: "dispatched to a team of mine as lead, waiting for acceptance (acceptDispatch)",
    IssueQueue.TEAM_IN_PROGRESS: "in progress or reopened, and a team of mine leads it or holds a live order on it",
    IssueQueue.TEAM_OVERDUE: "open and overdue, and a team of mine leads it or holds a live order on it",
    IssueQueue.TO_DISPATCH: "reported and never dispatched, waiting for dispatchIssue",
    IssueQueue.RETURNED: "returned by its lead team, waiting to be dispatched again",
    IssueQueue.EXTENSIONS_TO_DECIDE: "with an extension request waiting for a decision (Issue.pendingExtensionRequest)",
    IssueQueue.TO_CONFIRM: "resolved, waiting for the enterprise's verdict (confirmIssue)",
    IssueQueue.MY_ENTERPRISES: "of the enterprises I am commissioner of, in any status",
}
# The statuses a queue holds (None: any), so that a change's earlier state can be checked (``matched``).
QUEUE_STATUSES: dict[IssueQueue, frozenset[IssueStatus] | None] = {
    IssueQueue.TEAM_TO_ACCEPT: frozenset({IssueStatus.DISPATCHED}),
    IssueQueue.TEAM_IN_PROGRESS: frozenset({IssueStatus.IN_PROGRESS, IssueStatus.REOPENED}),
    IssueQueue.TEAM_OVERDUE: frozenset(OPEN_STATUSES),
    IssueQueue.TO_DISPATCH: frozenset({IssueStatus.REPORTED}),
    IssueQueue.RETURNED: frozenset({IssueStatus.RETURNED}),
    IssueQueue.EXTENSIONS_TO_DECIDE: frozenset({IssueStatus.DISPATCHED, IssueStatus.IN_PROGRESS, IssueStatus.REOPENED}),
    IssueQueue.TO_CONFIRM: frozenset({IssueStatus.RESOLVED}),
    IssueQueue.MY_ENTERPRISES: None,
}


def queue_q(queue: IssueQueue, access: Access, now: datetime) -> Q:
    """The issues in ``queue`` for the caller behind ``access`` (row rules apply separately)."""
    statuses = QUEUE_STATUSES[queue]
    in_status = Q(status__in=[s.value for s in statuses]) if statuses is not None else Q()
    if queue == IssueQueue.TEAM_OVERDUE:
        in_status = overdue_q(now)
    if queue == IssueQueue.EXTENSIONS_TO_DECIDE:
        pending = ExtensionRequest.filter(status=ExtensionStatus.PENDING).values("issue_id")
        return in_status & Q(id__in=Subquery(pending))
    if queue in (IssueQueue.TO_DISPATCH, IssueQueue.RETURNED, IssueQueue.TO_CONFIRM):
        return in_status
    if access.staff is None:
        return NO_ROWS
    if queue == IssueQueue.MY_ENTERPRISES:
        mine = Enterprise.filter(commissioner_id=access.staff.id).values("id")
        return Q(enterprise_id__in=Subquery(mine))
    my_teams = Subquery(TeamMember.filter(staff_id=access.staff.id).values("team_id"))
    if queue == IssueQueue.TEAM_TO_ACCEPT:
        return in_status & Q(lead_team_id__in=my_teams)
    live_orders = DispatchOrder.filter(team_id__in=my_teams, returned_at__isnull=True).values("issue_id")
    return in_status & (Q(lead_team_id__in=my_teams) | Q(id__in=Subquery(live_orders)))


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
    queue: IssueQueue | None = None
    priorities: list[IssuePriority] = field(default_factory=list)
    deadline_from: datetime | None = None
    deadline_to: datetime | None = None


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
    if c.priorities:
        qs = qs.filter(priority__in=[p.value for p in c.priorities])
    if c.deadline_from is not None:
        qs = qs.filter(deadline__gte=c.deadline_from)
    if c.deadline_to is not None:
        qs = qs.filter(deadline__lt=c.deadline_to)
    if c.queue is not None:
        qs = qs.filter(queue_q(c.queue, access, now))
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
    IssueOrderField.NUMBER: SortKey("number", "str"),
}
# After every deadline; before the value issue_open_deadline gives issues that are not open.
_FAR = datetime(9999, 1, 1, tzinfo=UTC)
# Open issues first whichever the direction: a closed issue's deadline no longer matters. Constants
# spelt in the SQL: as parameters, PostgreSQL would take them for text (see the ranks below).
_CLOSED_RANK = RawSQL(f'(CASE WHEN "issue"."status" IN {OPEN_SQL} THEN 0 ELSE 1 END)')


def ordered(
    qs: QuerySet[Issue], order_field: IssueOrderField, descending: bool, statuses: Sequence[IssueStatus] = ()
) -> tuple[QuerySet[Issue], Ordering]:
    """``qs`` ready to be ordered, and its order (ties broken by id). ``statuses``: the filter's.

    Open issues by deadline walk the index of open deadlines (migration 0011) rather than sort
    every open issue: the deadline index alone would first step over every closed issue.
    """
    direction = "desc" if descending else "asc"
    name = f"issues.{order_field.value}.{direction}"
    if order_field == IssueOrderField.DEADLINE:
        if statuses and set(statuses) <= set(OPEN_STATUSES):
            qs = qs.annotate(open_deadline=open_deadline()).filter(open_deadline__lt=_FAR)
            by_deadline = SortKey("open_deadline", "datetime", attribute="deadline")
            return qs, Ordering(f"{name}.open", (by_deadline,), descending)
        keys = (SortKey("closed_rank", "int", ascending=True), SortKey("deadline", "datetime"))
        return qs.annotate(closed_rank=_CLOSED_RANK), Ordering(name, keys, descending)
    if order_field in RANKS:
        key = f"{order_field.value}_rank"
        # Constants spelt in the SQL (enum values, never client input): as parameters, PostgreSQL
        # would take the ranks for text and refuse to compare them with a cursor's number.
        members = RANKS[order_field]
        whens = " ".join(f"WHEN '{m.value}' THEN {i}" for i, m in enumerate(members))
        rank = RawSQL(f'(CASE "issue"."{order_field.value}" {whens} ELSE {len(members)} END)')
        return qs.annotate(**{key: rank}), Ordering(name, (SortKey(key, "int"),), descending)
    return qs, Ordering(name, (_SORT_KEYS[order_field],), descending)


# -- the state a change may alter ----------------------------------------------------------------
# A workflow change alters only the status, the teams, the deadline (and the warning thresholds)
# and the escalation; category, enterprise, report time and text stay. To tell a subscriber that
# a change took an issue out of its filter, the state before the change travels with the change,
# and the criteria on these fields are checked against it here, as the SQL above checks them.


def snapshot(issue: Issue, live_order_team_ids: Iterable[int], pending_extension: bool = False) -> dict[str, Any]:
    """The changeable state of ``issue`` as JSON, with the teams holding live orders."""
    return {
        "pendingExtension": pending_extension,
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
    # A queue's own part (status, teams, pending request) changes too; whose enterprise it is does not.
    queue = criteria.queue if criteria.queue == IssueQueue.MY_ENTERPRISES else None
    return replace(
        criteria,
        statuses=[],
        team_id=None,
        warning_colors=[],
        overdue=None,
        needs_escalation=None,
        deadline_from=None,
        deadline_to=None,
        queue=queue,
    )


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
    if criteria.deadline_from is not None and deadline < criteria.deadline_from:
        return False
    if criteria.deadline_to is not None and deadline >= criteria.deadline_to:
        return False
    if criteria.queue is not None:
        # Whose teams the queue means is not in the state: an issue the caller may read, in the
        # queue's status, may have been in it (a needless "left" event at worst, never a missed one).
        statuses = QUEUE_STATUSES[criteria.queue]
        if statuses is not None and status not in statuses:
            return False
        if criteria.queue == IssueQueue.TEAM_OVERDUE and color != WarningColor.RED:
            return False
        if criteria.queue == IssueQueue.EXTENSIONS_TO_DECIDE and not state.get("pendingExtension", True):
            return False
    return True


def needs_escalation(issue: Issue, now: datetime) -> bool:
    """Open, overdue and not escalated (督办) yet: flagged for the centre automatically."""
    color = warning_color(issue.status, issue.yellow_at, issue.orange_at, issue.deadline, now)
    return color == WarningColor.RED and issue.escalated_at is None
