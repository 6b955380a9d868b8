from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay

from yimi.accounts.action_rules import Scope, roles_of
from yimi.accounts.read_rules import Grant
from yimi.accounts.types import Staff, staff_or_none
from yimi.common import clock
from yimi.common.enums import OrderDirection
from yimi.common.errors import UserInputError
from yimi.common.ids import parse_global_id
from yimi.common.loaders import load_nodes
from yimi.common.object_types import fill
from yimi.common.text import LIST, MAX_SEARCH, checked_argument, checked_list
from yimi.common.time import BOUNDS, checked_instant
from yimi.graphql.context import Info
from yimi.graphql.field_rules import needs
from yimi.issues import models, summary
from yimi.issues.action_rules import Actor, IssueAction, IssueFacts, allowed_actions, needs_team_ids
from yimi.issues.deadlines import working_days_between
from yimi.issues.filters import QUEUE_MEANINGS, IssueCriteria, IssueOrderField, IssueQueue, needs_escalation
from yimi.issues.models import (
    DispatchRole,
    ExtensionStatus,
    IssueCategory,
    IssuePriority,
    IssueSource,
    IssueStatus,
    Satisfaction,
)
from yimi.issues.warning import WarningColor, next_warning_change, warning_color
from yimi.teams.types import ServiceTeam
from yimi.townships.types import Township

if TYPE_CHECKING:
    from yimi.enterprises.types import Enterprise

EnterpriseRef = Annotated["Enterprise", strawberry.lazy("yimi.enterprises.types")]

strawberry.enum(
    IssueOrderField,
    description="What to sort issues by. DEADLINE puts open issues first in either direction, then by deadline.",
)
strawberry.enum(ExtensionStatus, description="Where an extension request (延期申请) stands.")
strawberry.enum(
    IssueQueue,
    description="A work queue (待办): the issues waiting for the caller. For team members (my teams: those I am a "
    "member of), dispatchers and commissioners:\n\n"
    + "\n".join(f"- {q.name}: {meaning}." for q, meaning in QUEUE_MEANINGS.items()),
)
strawberry.enum(
    IssueAction,
    description="What the caller may do to an issue now (Issue.viewerActions), one value per mutation: "
    "DISPATCH dispatchIssue, ACCEPT acceptDispatch, RETURN returnDispatch, ADD_NOTE addIssueNote, "
    "RESOLVE resolveIssue, CONFIRM confirmIssue (either verdict), REOPEN reopenIssue, REQUEST_EXTENSION "
    "requestExtension, DECIDE_EXTENSION decideExtension (on Issue.pendingExtensionRequest), ESCALATE escalateIssue.",
)


async def _team(info: Info, team_id: int) -> ServiceTeam:
    return ServiceTeam.from_model(await info.context.loaders.teams.by_id.load(team_id))


@strawberry.type(description="A dispatch order (派单) sending an issue to a team.")
class DispatchOrder:
    role: DispatchRole
    instruction: str = strawberry.field(extensions=needs(Grant.ISSUE_DETAILS))
    dispatched_at: datetime
    due_at: datetime = strawberry.field(
        description="When this order was due: the issue's deadline when it was dispatched, moved with it by an "
        "approved extension while the order is live. A record of the order; show Issue.deadline as the "
        "issue's 办理时限."
    )
    accepted_at: datetime | None
    returned_at: datetime | None
    return_reason: str = strawberry.field(extensions=needs(Grant.ISSUE_DETAILS))
    row: strawberry.Private[models.DispatchOrder]

    @classmethod
    def from_model(cls, m: models.DispatchOrder) -> DispatchOrder:
        return fill(cls, m, row=m)

    @strawberry.field
    async def team(self, info: Info) -> ServiceTeam:
        return await _team(info, self.row.team_id)


@strawberry.type(description="One entry of an issue's append-only timeline.")
class IssueEvent:
    action: str
    from_status: IssueStatus | None
    to_status: IssueStatus | None
    note: str
    created_at: datetime
    row: strawberry.Private[models.IssueEvent]

    @classmethod
    def from_model(cls, m: models.IssueEvent) -> IssueEvent:
        return fill(cls, m, row=m)

    @strawberry.field(extensions=needs(Grant.PEOPLE))
    async def actor(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.actor_id)


@strawberry.type(description="A request to move an issue's deadline (延期申请); only an approved one moves it.")
class ExtensionRequest(relay.Node):
    id: relay.NodeID[int]
    requested_at: datetime
    requested_deadline: datetime = strawberry.field(description="The deadline asked for; the issue's, once approved.")
    previous_deadline: datetime = strawberry.field(description="The issue's deadline when the request was made.")
    reason: str = strawberry.field(extensions=needs(Grant.ISSUE_DETAILS))
    status: ExtensionStatus
    decided_at: datetime | None
    note: str = strawberry.field(description="The decision's note.", extensions=needs(Grant.ISSUE_DETAILS))
    row: strawberry.Private[models.ExtensionRequest]

    @classmethod
    def from_model(cls, m: models.ExtensionRequest) -> ExtensionRequest:
        return fill(cls, m, row=m)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await load_nodes(info.context.loaders.issues.extension_request_by_id, node_ids, cls.from_model)

    @strawberry.field(
        description="Working days (Chinese calendar, county time) the request adds to the deadline it would move."
    )
    def extra_working_days(self, info: Info) -> int:
        zone = ZoneInfo(info.context.settings.timezone)
        before, after = (d.astimezone(zone).date() for d in (self.previous_deadline, self.requested_deadline))
        return working_days_between(before, after)

    @strawberry.field
    async def issue(self, info: Info) -> Issue:
        return Issue.from_model(await info.context.loaders.issues.by_id.load(self.row.issue_id))

    @strawberry.field(extensions=needs(Grant.PEOPLE))
    async def requested_by(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.requested_by_id)

    @strawberry.field(extensions=needs(Grant.PEOPLE))
    async def decided_by(self, info: Info) -> Staff | None:
        return await staff_or_none(info, self.row.decided_by_id)


@strawberry.type(description="A problem (诉求) an enterprise raised.")
class Issue(relay.Node):
    id: relay.NodeID[int]
    number: str = strawberry.field(description="Readable number, e.g. WS-2021-00042.")
    title: str
    description: str = strawberry.field(extensions=needs(Grant.ISSUE_DETAILS))
    category: IssueCategory
    source: IssueSource
    priority: IssuePriority
    status: IssueStatus
    reported_at: datetime
    deadline: datetime = strawberry.field(
        description="The issue's one deadline (办理时限), the one to show: set from category and priority in "
        "working days when reported, set by the dispatcher at dispatch (dispatchIssue's deadline or dueOn), "
        "moved by an approved extension. Its warning colour and being overdue follow it; the live dispatch "
        "orders are due at it."
    )
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: str = strawberry.field(
        description="What was done (办结 summary).", extensions=needs(Grant.ISSUE_DETAILS)
    )
    satisfaction: Satisfaction | None
    satisfaction_comment: str = strawberry.field(
        description="What the enterprise said when it was not satisfied.", extensions=needs(Grant.ISSUE_DETAILS)
    )
    escalated_at: datetime | None = strawberry.field(description="When the centre last escalated it (督办).")
    version: int = strawberry.field(description="Send it back with an update; a stale one is refused.")
    row: strawberry.Private[models.Issue]

    @classmethod
    def from_model(cls, m: models.Issue) -> Issue:
        return fill(cls, m, row=m)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await load_nodes(info.context.loaders.issues.by_id, node_ids, cls.from_model)

    @strawberry.field(description="Four-colour warning; null once resolved or closed.")
    def warning_color(self, info: Info) -> WarningColor | None:
        m = self.row
        return warning_color(m.status, m.yellow_at, m.orange_at, m.deadline, _as_of(info, m))

    @strawberry.field(description="Open, overdue and not escalated yet: flagged for escalation (督办) automatically.")
    def needs_escalation(self, info: Info) -> bool:
        return needs_escalation(self.row, _as_of(info, self.row))

    @strawberry.field(
        description="What you may do to this issue now, by the same rules the mutations apply (permission, "
        "status, pending extension): a mutation for an action not listed is refused (FORBIDDEN or "
        "ILLEGAL_TRANSITION). Empty for partner tokens. Input checks (required fields, version) still apply."
    )
    async def viewer_actions(self, info: Info) -> list[IssueAction]:
        staff = info.context.user
        if staff is None:
            return []
        loaders = info.context.loaders
        teams, facts = await asyncio.gather(
            loaders.issues.team_ids_of_staff.load(staff.id) if needs_team_ids(staff) else _no_teams(),
            _issue_facts(info, self.row),
        )
        return allowed_actions(Actor(staff, frozenset(roles_of(staff)), frozenset(teams)), facts)

    @strawberry.field(
        description="The extension request waiting for a decision (at most one), or null: a dispatcher decides it "
        "with decideExtension when viewerActions lists DECIDE_EXTENSION."
    )
    async def pending_extension_request(self, info: Info) -> ExtensionRequest | None:
        rows = await info.context.loaders.issues.extension_requests.load(self.id)
        pending = [r for r in rows if r.status == ExtensionStatus.PENDING]
        return ExtensionRequest.from_model(pending[-1]) if pending else None

    @strawberry.field(description="Requests to move the deadline, oldest first.")
    async def extension_requests(self, info: Info) -> list[ExtensionRequest]:
        rows = await info.context.loaders.issues.extension_requests.load(self.id)
        return [ExtensionRequest.from_model(r) for r in rows]

    @strawberry.field
    async def enterprise(self, info: Info) -> EnterpriseRef:
        from yimi.enterprises.types import Enterprise

        return Enterprise.from_model(await info.context.loaders.enterprises.by_id.load(self.row.enterprise_id))

    @strawberry.field(description="The team leading the work (主办).")
    async def lead_team(self, info: Info) -> ServiceTeam | None:
        if self.row.lead_team_id is None:
            return None
        return await _team(info, self.row.lead_team_id)

    @strawberry.field(description="Teams helping on the current dispatch (协办).")
    async def co_handlers(self, info: Info) -> list[ServiceTeam]:
        orders = await info.context.loaders.issues.dispatches.load(self.id)
        ids = [o.team_id for o in orders if o.role == DispatchRole.CO_HANDLER and o.returned_at is None]
        teams = await info.context.loaders.teams.by_id.load_many(ids)
        return [ServiceTeam.from_model(t) for t in teams if t]

    @strawberry.field(description="Every dispatch order of this issue, oldest first.")
    async def dispatches(self, info: Info) -> list[DispatchOrder]:
        return [DispatchOrder.from_model(o) for o in await info.context.loaders.issues.dispatches.load(self.id)]

    @strawberry.field(description="The timeline, oldest first.", extensions=needs(Grant.ISSUE_DETAILS))
    async def events(self, info: Info) -> list[IssueEvent]:
        return [IssueEvent.from_model(e) for e in await info.context.loaders.issues.events.load(self.id)]


def _as_of(info: Info, m: models.Issue) -> datetime:
    """The request time, for a value of this issue alone: it holds until the issue's next colour change."""
    at = info.context.at
    clock.holds_until(next_warning_change(m.status, m.yellow_at, m.orange_at, m.deadline, at))
    return at


async def _no_teams() -> list[int]:
    return []


async def _issue_facts(info: Info, row: models.Issue) -> IssueFacts:
    """What the action rules look at, through the request's loaders (a few queries per page, not per issue)."""
    loaders = info.context.loaders
    enterprise, orders, requests = await asyncio.gather(
        loaders.enterprises.by_id.load(row.enterprise_id),
        loaders.issues.dispatches.load(row.id),
        loaders.issues.extension_requests.load(row.id),
    )
    township = await loaders.townships.by_id.load(enterprise.township_id)
    scope = Scope(
        township_code=township.code,
        commissioner_id=enterprise.commissioner_id,
        lead_team_id=row.lead_team_id,
        order_team_ids=frozenset(o.team_id for o in orders if o.returned_at is None),
    )
    pending = any(r.status == ExtensionStatus.PENDING for r in requests)
    return IssueFacts(scope, row.status, pending)


@strawberry.type(description="Figures over a set of issues (definitions in Query.issueSummary).")
class IssueFigures:
    total: int = strawberry.field(description="Issues matching the filter.")
    open: int = strawberry.field(description="Open: reported, dispatched, in progress, returned or reopened.")
    overdue: int = strawberry.field(description="Open and past their deadline (the red warning).")
    due_this_week: int = strawberry.field(
        description="Open, not overdue, due before the end of this week (Monday to Sunday, county time)."
    )
    resolved: int = strawberry.field(description="Resolved or closed, with a resolution time.")
    on_time: int = strawberry.field(description="Resolved no later than their deadline.")
    on_time_rate: float | None = strawberry.field(description="onTime / resolved, 0 to 1; null when none resolved.")
    rated: int = strawberry.field(description="With the enterprise's verdict (satisfaction) recorded.")
    satisfied: int = strawberry.field(description="Rated satisfied or basically satisfied.")
    satisfaction_rate: float | None = strawberry.field(description="satisfied / rated, 0 to 1; null when none rated.")

    @staticmethod
    def values(f: summary.IssueFigures) -> dict:
        return {
            "total": f.total,
            "open": f.open,
            "overdue": f.overdue,
            "due_this_week": f.due_this_week,
            "resolved": f.resolved,
            "on_time": f.on_time,
            "on_time_rate": f.on_time_rate,
            "rated": f.rated,
            "satisfied": f.content,
            "satisfaction_rate": f.satisfaction_rate,
        }


@strawberry.type(description="The figures of one township's issues under the filter (the map's labels and shading).")
class TownshipIssueFigures(IssueFigures):
    township_id: strawberry.Private[int]

    @strawberry.field
    async def township(self, info: Info) -> Township:
        return Township.from_model(await info.context.loaders.townships.by_id.load(self.township_id))


@strawberry.type(description="The county's figures for the filter, and each township's (Query.issueSummary).")
class IssueSummary(IssueFigures):
    by_township: list[TownshipIssueFigures] = strawberry.field(
        description="One entry per township with at least one matching issue (the others' figures are 0), "
        "by township code. Township labels count issues; these add up to the county's figures."
    )


@strawberry.input(description=f"A span of time, each end {BOUNDS}; without an offset, the county's local time.")
class DateTimeRange:
    start: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    end: datetime | None = strawberry.field(default=None, name="to", description="Exclusive.")


@strawberry.input(description="Issue filter; fields combine with AND, list values with OR.")
class IssueFilter:
    statuses: list[IssueStatus] | None = strawberry.field(default=None, description=LIST)
    categories: list[IssueCategory] | None = strawberry.field(default=None, description=LIST)
    township_codes: list[str] | None = strawberry.field(default=None, description=LIST)
    team: strawberry.ID | None = strawberry.field(
        default=None, description="A ServiceTeam ID: the team leads the issue or holds a live (not returned) order."
    )
    enterprise: strawberry.ID | None = None
    warning_colors: list[WarningColor] | None = strawberry.field(default=None, description=LIST)
    overdue: bool | None = None
    reported_between: DateTimeRange | None = None
    search: str | None = strawberry.field(
        default=None,
        description=f"Words in the title, description or number; at most {MAX_SEARCH} characters.",
    )
    needs_escalation: bool | None = strawberry.field(
        default=None, description="Open, overdue and not escalated yet (true), or not (false)."
    )
    queue: IssueQueue | None = strawberry.field(
        default=None, description="Only the issues of this work queue of the caller (see IssueQueue)."
    )
    priorities: list[IssuePriority] | None = strawberry.field(default=None, description=LIST)
    deadline_between: DateTimeRange | None = strawberry.field(
        default=None, description="The issue's deadline (Issue.deadline) within the span."
    )

    def to_criteria(self, tz: str, argument: str = "filter") -> IssueCriteria:
        start, end = _span(self.reported_between, f"{argument}.reportedBetween", tz)
        due_from, due_to = _span(self.deadline_between, f"{argument}.deadlineBetween", tz)
        return IssueCriteria(
            statuses=checked_list(self.statuses, f"{argument}.statuses") or [],
            categories=checked_list(self.categories, f"{argument}.categories") or [],
            township_codes=checked_list(self.township_codes, f"{argument}.townshipCodes"),
            team_id=parse_global_id(self.team, f"{argument}.team", "ServiceTeam")[1] if self.team else None,
            enterprise_id=(
                parse_global_id(self.enterprise, f"{argument}.enterprise", "Enterprise")[1] if self.enterprise else None
            ),
            warning_colors=checked_list(self.warning_colors, f"{argument}.warningColors") or [],
            overdue=self.overdue,
            reported_from=start,
            reported_to=end,
            search=checked_argument(self.search, f"{argument}.search"),
            needs_escalation=self.needs_escalation,
            queue=self.queue,
            priorities=checked_list(self.priorities, f"{argument}.priorities") or [],
            deadline_from=due_from,
            deadline_to=due_to,
        )


def _span(span: DateTimeRange | None, where: str, tz: str) -> tuple[datetime | None, datetime | None]:
    if span is None:
        return None, None
    start, end = checked_instant(span.start, f"{where}.from", tz), checked_instant(span.end, f"{where}.to", tz)
    if start and end and start > end:
        raise UserInputError(where, "'from' must not be after 'to'")
    return start, end


@strawberry.input
class IssueOrder:
    field: IssueOrderField = IssueOrderField.REPORTED_AT
    direction: OrderDirection = OrderDirection.DESC
