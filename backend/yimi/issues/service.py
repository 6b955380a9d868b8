"""The issue workflow: every change of an issue (the queries are in issues/filters.py).

``IssueWorkflow`` holds the business rules of the issue workflow, out of the GraphQL layer: each
method checks the caller's permission (issues/action_rules.py), the state (issues/workflow.py),
the input, then writes the change and its IssueEvent in one transaction, refusing a stale
``version`` (optimistic locking), and publishes the change on the broker after the commit.
Expected failures are ServiceError (field, code, message); anything else is a bug.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from yimi.accounts.action_rules import Scope, require_signed_in
from yimi.accounts.models import PartnerToken, Staff
from yimi.accounts.read_rules import Access, Grant
from yimi.common.errors import ErrorCode, ServiceError
from yimi.common.text import MAX_DESCRIPTION, MAX_NOTE, MAX_SUMMARY, MAX_TITLE, checked_field, required_field
from yimi.common.time import BOUNDS, to_utc
from yimi.enterprises.models import Enterprise
from yimi.issues.action_rules import IssueFacts, actor_of, authorize_issue, authorize_partner_report, check
from yimi.issues.deadlines import CLOSE_OF_BUSINESS, DeadlineRules, deadline_for, is_working_day
from yimi.issues.filters import snapshot
from yimi.issues.models import (
    DispatchOrder,
    DispatchRole,
    ExtensionRequest,
    ExtensionStatus,
    Issue,
    IssueCategory,
    IssueEvent,
    IssuePriority,
    IssueReportKey,
    IssueSource,
    IssueStatus,
    Satisfaction,
)
from yimi.issues.warning import thresholds
from yimi.issues.workflow import Action, next_status
from yimi.settings import Settings
from yimi.teams.models import ServiceTeam

T = TypeVar("T")


log = logging.getLogger(__name__)

CONFLICT_MESSAGE = "someone else changed this issue; reload it"
# Issue numbers: <prefix>-<year>-<5-digit sequence within the year>, e.g. WS-2021-00042.
NUMBER_ATTEMPTS = 5
# Serialises issue numbering across PostgreSQL connections (held until the transaction ends).
NUMBER_LOCK_KEY = 724_110_001

SOURCE_LABELS = {
    IssueSource.VISIT: "走访收集",
    IssueSource.HOTLINE: "热线来电",
    IssueSource.ONLINE: "线上平台",
    IssueSource.COMMISSIONER: "服务专员报送",
}
SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.UNSATISFIED: "不满意",
}
# What the co-handlers' orders say when the lead team returns the dispatch (as in the demo).
CO_HANDLER_RETURN_REASON = "主办单位已退单，本协办指令一并退回。"
MAX_IDEMPOTENCY_KEY = 100
# Co-handler teams (协办) on one dispatch: the county has a few dozen teams.
MAX_CO_HANDLERS = 20
# Visible ASCII, as UUIDs and Stripe-style keys are: nothing that a log line or a terminal mangles,
# and no leading or trailing space that would make two keys look the same.
IDEMPOTENCY_KEY = re.compile(r"[!-~]+")


def conflict() -> ServiceError:
    return ServiceError("version", "CONFLICT", CONFLICT_MESSAGE)


def aware(value: datetime, field_name: str) -> datetime:
    if value.tzinfo is None:
        raise ServiceError(field_name, "INVALID", "give a time zone (e.g. 2024-02-07T17:30:00+08:00)")
    if to_utc(value, "UTC") is None:
        raise ServiceError(field_name, ErrorCode.OUT_OF_RANGE, f"must be {BOUNDS}")
    return value


def checked_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_IDEMPOTENCY_KEY:
        raise ServiceError(
            "idempotencyKey", "INVALID", f"1 to {MAX_IDEMPOTENCY_KEY} characters (a UUID fits), got {len(value)}"
        )
    if not IDEMPOTENCY_KEY.fullmatch(value):
        raise ServiceError(
            "idempotencyKey", "INVALID", "letters, digits and ASCII punctuation only, no spaces (a UUID fits)"
        )
    return value


def checked_deadline(value: datetime, now: datetime, zone: ZoneInfo, field_name: str) -> datetime:
    """A deadline a dispatcher sets: in the future, on a working day (Chinese calendar) in county time."""
    if value <= now:
        raise ServiceError(field_name, ErrorCode.OUT_OF_RANGE, "the deadline must be in the future")
    day = value.astimezone(zone).date()
    if not is_working_day(day):
        raise ServiceError(
            field_name, ErrorCode.NOT_A_WORKING_DAY, f"{day:%Y-%m-%d} is not a working day (weekend or holiday)"
        )
    return value


class KeyTaken(Exception):
    """Another report with the same idempotency key committed first (raised inside the transaction)."""


@dataclass(frozen=True)
class IssueDraft:
    """What a new issue needs besides its enterprise."""

    category: IssueCategory
    title: str
    source: IssueSource
    priority: IssuePriority = IssuePriority.NORMAL
    description: str = ""

    def validated(self, prefix: str = "") -> IssueDraft:
        title = required_field(self.title, f"{prefix}title", "a title", MAX_TITLE)
        description = checked_field(self.description, f"{prefix}description", MAX_DESCRIPTION)
        return replace(self, title=title, description=description)

    def fingerprint(self, enterprise_id: int) -> str:
        """What tells a retry of this report (same fingerprint) from another report."""
        report = [enterprise_id, self.category.value, self.title, self.source.value, self.priority.value]
        text = json.dumps([*report, self.description], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


async def enterprise_scope(enterprise_id: int, townships: Sequence[str] | None = None) -> Scope | None:
    """The permission scope of an enterprise; None if it does not exist, or lies outside
    ``townships`` (the caller's township scope, when it has one).

    An enterprise outside the caller's townships does not exist for it: acting on one must answer
    as for a missing ID (NOT_FOUND, before any other check), or the answer would tell that it exists.
    """
    qs = Enterprise.filter(id=enterprise_id)
    if townships:
        qs = qs.filter(township__code__in=list(townships))
    rows = await qs.values_list("commissioner_id", "township__code")
    if not rows:
        return None
    commissioner_id, code = rows[0]
    return Scope(township_code=code, commissioner_id=commissioner_id)


async def issue_scope(issue: Issue) -> Scope:
    """The scope of the issue's enterprise, with its lead team and the teams holding live orders."""
    scope = await enterprise_scope(issue.enterprise_id)
    assert scope is not None  # issue.enterprise is RESTRICT on delete
    teams = await DispatchOrder.filter(issue_id=issue.id, returned_at__isnull=True).values_list("team_id", flat=True)
    return replace(scope, lead_team_id=issue.lead_team_id, order_team_ids=frozenset(cast(list[int], teams)))


async def retry_numbering(work: Callable[[], Awaitable[T]]) -> T:
    """Runs ``work`` (a whole transaction that numbers new issues), again if a number was taken.

    Numbers come from the highest one of the year inside the transaction. On PostgreSQL an
    advisory lock serialises that; elsewhere (SQLite used by several processes) two transactions
    may still pick the same number, and the unique index refuses the second: it starts over.
    """
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            return await work()
        except IntegrityError as error:
            if "number" not in str(error) or attempt == NUMBER_ATTEMPTS - 1:
                raise
            log.info("issue number taken meanwhile, numbering again (attempt %d)", attempt + 2)
    raise AssertionError("unreachable")


class IssueWorkflow:
    """The issue workflow on behalf of ``actor`` (None: nobody signed in) at the instant ``now``.

    One method per action. Each returns the issue as stored after the change (and the other
    objects it made), or raises ServiceError, in which case nothing was written.
    """

    def __init__(
        self,
        actor: Staff | None,
        settings: Settings,
        now: datetime | None = None,
        broker: Any = None,
        partner: PartnerToken | None = None,
        access: Access | None = None,
    ):
        self.actor = actor
        # What the caller may read: an issue outside it is "not found", as for the `issues` query,
        # so that acting on an ID does not tell more than reading it. None: no row rule (CLI, demo).
        self.access = access
        # A partner agency's token: it may report issues (scope issues:report), nothing else.
        self.partner = partner
        self.settings = settings
        self.now = now or datetime.now(UTC)
        self.broker = broker
        self.zone = ZoneInfo(settings.timezone)
        self.number_prefix = settings.issue_number_prefix
        self.deadline_rules = DeadlineRules.from_settings(settings)

    # -- creating issues ----------------------------------------------------------------------

    async def report(self, enterprise_id: int, draft: IssueDraft, idempotency_key: str | None = None) -> Issue:
        """Logs a new issue. With an ``idempotency_key``, a retry of the same report by the same
        reporter gets the issue the first call made (nothing new written or published), and the
        key on a different report is refused (IDEMPOTENCY_KEY_REUSED)."""
        reporter = self._reporter()
        draft = draft.validated()
        key = checked_idempotency_key(idempotency_key)
        fingerprint = draft.fingerprint(enterprise_id)
        scope = await enterprise_scope(enterprise_id, self._townships())
        if scope is None:
            raise ServiceError("enterpriseId", "NOT_FOUND", "no such enterprise")
        if self.partner is not None:
            authorize_partner_report(self.partner, scope, draft.category)
        else:
            await authorize_issue(self.actor, Action.REPORT, scope)
        # After the permission checks: a caller who may no longer report there gets no issue back.
        if key is not None and (earlier := await self._reported_with(reporter, key, fingerprint)) is not None:
            return earlier

        async def work() -> list[Issue]:
            async with in_transaction() as conn:
                issues = await self.insert_issues(conn, enterprise_id, [draft])
                if key is not None:
                    try:
                        await IssueReportKey.create(
                            using_db=conn,
                            issue_id=issues[0].id,
                            key=key,
                            fingerprint=fingerprint,
                            created_at=self.now,
                            **reporter,
                        )
                    except IntegrityError as error:
                        # Not an IntegrityError any more: retry_numbering must not number again.
                        raise KeyTaken(key) from error
                return issues

        try:
            [issue] = await retry_numbering(work)
        except KeyTaken:
            # A concurrent call with the same key committed first (the unique index made this one
            # roll back): its issue is the answer, as for any later retry.
            assert key is not None
            log.info("idempotency key taken by a concurrent report meanwhile, answering with its issue")
            earlier = await self._reported_with(reporter, key, fingerprint)
            if earlier is None:
                raise
            return earlier
        await self.publish(issue, Action.REPORT)
        return issue

    def _townships(self) -> list[str] | None:
        """The townships the caller is limited to (a partner token's, else the staff member's scope)."""
        if self.partner is not None:
            return self.partner.township_codes
        return self.actor.township_scope if self.actor is not None else None

    def _reporter(self) -> dict[str, int]:
        """Who owns the idempotency keys of this caller's reports (a partner token, else the staff member)."""
        if self.partner is not None:
            return {"partner_token_id": self.partner.id}
        return {"staff_id": require_signed_in(self.actor).id}

    async def _reported_with(self, reporter: dict[str, int], key: str, fingerprint: str) -> Issue | None:
        """The issue the reporter made with this key earlier, if any; the key on another report is refused."""
        earlier = await IssueReportKey.filter(key=key, **reporter).select_related("issue").first()
        if earlier is None:
            return None
        if earlier.fingerprint != fingerprint:
            raise ServiceError(
                "idempotencyKey",
                "IDEMPOTENCY_KEY_REUSED",
                f"this key was already used for another report ({earlier.issue.number}): "
                "send a new key with each new report, and the same key only when retrying the same one",
            )
        return earlier.issue

    async def insert_issues(
        self, conn: BaseDBAsyncClient, enterprise_id: int, drafts: Sequence[IssueDraft], visit_id: int | None = None
    ) -> list[Issue]:
        """Inserts reported issues and their report events; call inside a transaction, after the
        permission checks, and publish them after the commit (see ``publish``)."""
        if not drafts:
            return []
        reported_at = self.now
        numbers = await self._next_numbers(conn, reported_at.astimezone(self.zone).year, len(drafts))
        issues = []
        for draft, number in zip(drafts, numbers, strict=True):
            deadline = deadline_for(
                reported_at, draft.category, draft.priority, self.settings.timezone, self.deadline_rules
            )
            yellow_at, orange_at = self._thresholds(reported_at, deadline)
            issue = await Issue.create(
                using_db=conn,
                number=number,
                enterprise_id=enterprise_id,
                category=draft.category,
                title=draft.title,
                description=draft.description,
                source=draft.source,
                priority=draft.priority,
                status=IssueStatus.REPORTED,
                reported_at=reported_at,
                deadline=deadline,
                yellow_at=yellow_at,
                orange_at=orange_at,
                visit_id=visit_id,
                version=1,
            )
            note = f"{SOURCE_LABELS[draft.source]}：{draft.title}"
            if self.partner is not None:
                note += f"（合作方 {self.partner.name} 报送）"
            await self._event(conn, issue.id, Action.REPORT, None, IssueStatus.REPORTED, note, reported_at)
            issues.append(issue)
        return issues

    async def _next_numbers(self, conn: BaseDBAsyncClient, year: int, count: int) -> list[str]:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query(f"SELECT pg_advisory_xact_lock({NUMBER_LOCK_KEY})")
        prefix = f"{self.number_prefix}-{year}-"
        # A range on the unique index rather than LIKE, so that the lookup stays an index seek.
        last = (
            await Issue.filter(number__gte=f"{prefix}00000", number__lte=f"{prefix}99999")
            .using_db(conn)
            .order_by("-number")
            .limit(1)
            .values_list("number", flat=True)
        )
        start = int(str(last[0]).rsplit("-", 1)[1]) + 1 if last else 1
        if start + count - 1 > 99999:
            raise ServiceError(None, "INVALID", f"issue numbers for {year} are exhausted")
        return [f"{prefix}{n:05d}" for n in range(start, start + count)]

    # -- transitions ----------------------------------------------------------------------------

    async def dispatch(
        self,
        issue_id: int,
        version: int,
        lead_team_id: int,
        co_handler_team_ids: Sequence[int] = (),
        instruction: str = "",
        deadline: datetime | None = None,
        due_on: date | None = None,
    ) -> Issue:
        """Sends the issue to a lead team (主办) and optional co-handlers (协办).

        An issue has one deadline (办理时限): its orders are due at it. Without ``deadline`` they
        are due at the issue's deadline as it stands (from the report, or an approved extension);
        with one, the dispatcher sets the issue's deadline (on a working day, not in the past) and
        the orders are due at it. ``due_on`` gives it as a day: due at the close of business then.
        """
        actor = require_signed_in(self.actor)
        if len(co_handler_team_ids) > MAX_CO_HANDLERS:
            raise ServiceError(
                "coHandlerTeamIds",
                ErrorCode.TOO_MANY,
                f"at most {MAX_CO_HANDLERS} teams, got {len(co_handler_team_ids)}",
            )
        co_ids = list(dict.fromkeys(co_handler_team_ids))
        if lead_team_id in co_ids:
            raise ServiceError("coHandlerTeamIds", "INVALID", "the lead team cannot also be a co-handler")
        if deadline is not None and due_on is not None:
            raise ServiceError("dueOn", "INVALID", "give the deadline or the day it falls on, not both")
        if deadline is not None:
            deadline = checked_deadline(aware(deadline, "deadline"), self.now, self.zone, "deadline")
        if due_on is not None:
            end_of_day = datetime.combine(due_on, CLOSE_OF_BUSINESS, tzinfo=self.zone)
            deadline = checked_deadline(end_of_day, self.now, self.zone, "dueOn")
        teams = {t.id: t for t in await ServiceTeam.filter(id__in=[lead_team_id, *co_ids])}
        if lead_team_id not in teams:
            raise ServiceError("leadTeamId", "NOT_FOUND", "no such service team")
        for i, team_id in enumerate(co_handler_team_ids):
            if team_id not in teams:
                raise ServiceError(f"coHandlerTeamIds[{i}]", "NOT_FOUND", "no such service team")
        instruction = checked_field(instruction, "instruction", MAX_NOTE)

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            due_at = deadline or issue.deadline
            orders = [
                DispatchOrder(
                    issue_id=issue.id,
                    team_id=team_id,
                    role=DispatchRole.LEAD if team_id == lead_team_id else DispatchRole.CO_HANDLER,
                    instruction=instruction,
                    dispatched_at=at,
                    due_at=due_at,
                    dispatched_by_id=actor.id,
                )
                for team_id in [lead_team_id, *co_ids]
            ]
            await DispatchOrder.bulk_create(orders, using_db=conn)
            co_names = "、".join(teams[t].name for t in co_ids)
            note = f"派单至{teams[lead_team_id].name}（主办）" + (f"，{co_names}（协办）" if co_names else "")
            changes: dict[str, Any] = {"lead_team_id": lead_team_id}
            if due_at != issue.deadline:
                yellow_at, orange_at = self._thresholds(issue.reported_at, due_at)
                changes |= {"deadline": due_at, "yellow_at": yellow_at, "orange_at": orange_at}
                note += f"，办理时限由{issue.deadline.astimezone(self.zone):%Y-%m-%d %H:%M}改为"
            else:
                note += "，办理时限"
            note += f"{due_at.astimezone(self.zone):%Y-%m-%d %H:%M}"
            if instruction:
                note += f"。{instruction}"
            return changes, note

        return await self._transition(issue_id, version, Action.DISPATCH, apply)

    async def accept(self, issue_id: int, version: int, note: str = "") -> Issue:
        """The lead team takes the dispatch order (接单): the work starts."""
        require_signed_in(self.actor)
        note = checked_field(note, "note", MAX_NOTE)

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            await (
                DispatchOrder.filter(issue_id=issue.id, returned_at__isnull=True, accepted_at__isnull=True)
                .using_db(conn)
                .update(accepted_at=at)
            )
            return {}, note

        return await self._transition(issue_id, version, Action.ACCEPT, apply)

    async def return_(self, issue_id: int, version: int, reason: str) -> Issue:
        """The lead team refuses the order (退单): back to the centre for another dispatch."""
        require_signed_in(self.actor)
        reason = required_field(reason, "reason", "a reason", MAX_NOTE)

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            live = DispatchOrder.filter(issue_id=issue.id, returned_at__isnull=True).using_db(conn)
            await live.filter(role=DispatchRole.LEAD).update(returned_at=at, return_reason=reason)
            await live.filter(role=DispatchRole.CO_HANDLER).update(
                returned_at=at, return_reason=CO_HANDLER_RETURN_REASON
            )
            return {"lead_team_id": None}, reason

        return await self._transition(issue_id, version, Action.RETURN, apply)

    async def add_note(self, issue_id: int, note: str, version: int | None = None) -> Issue:
        """A note on the timeline. ``version`` is optional: a note changes no field, so it is
        refused for a stale version only when one is given; it still counts as a change."""
        require_signed_in(self.actor)
        note = required_field(note, "note", "a note", MAX_NOTE)

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            return {}, note

        return await self._transition(issue_id, version, Action.NOTE, apply)

    async def resolve(self, issue_id: int, version: int, summary: str) -> Issue:
        require_signed_in(self.actor)
        summary = required_field(summary, "summary", "a summary", MAX_SUMMARY)

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            # A deadline no longer matters once the work is done: a pending request is closed
            # with it rather than left to be decided on a resolved issue.
            await (
                ExtensionRequest.filter(issue_id=issue.id, status=ExtensionStatus.PENDING)
                .using_db(conn)
                .update(status=ExtensionStatus.REJECTED, decided_at=at, note="诉求已办结，延期申请自动关闭。")
            )
            return {"resolution": summary, "resolved_at": at}, summary

        return await self._transition(issue_id, version, Action.RESOLVE, apply)

    async def confirm(self, issue_id: int, version: int, satisfaction: Satisfaction, comment: str = "") -> Issue:
        """The enterprise's verdict on the resolution (回访): satisfied or basically satisfied
        closes the issue (销号); unsatisfied, with a comment, reopens it (the action is `reject`)."""
        require_signed_in(self.actor)
        comment = checked_field(comment, "comment", MAX_NOTE)
        label = f"回访企业，评价：{SATISFACTION_LABELS[satisfaction]}"
        if satisfaction == Satisfaction.UNSATISFIED:
            comment = required_field(comment, "comment", "a comment saying what is still wrong", MAX_NOTE)

            async def reject(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
                changes = {
                    "satisfaction": satisfaction,
                    "satisfaction_comment": comment,
                    "resolved_at": None,
                    "resolution": "",
                    "escalated_at": None,
                }
                return changes, f"{label}。{comment}"

            return await self._transition(issue_id, version, Action.REJECT, reject)

        async def close(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            changes = {"satisfaction": satisfaction, "satisfaction_comment": comment, "closed_at": at}
            return changes, f"{label}。{comment}" if comment else label

        return await self._transition(issue_id, version, Action.CONFIRM, close)

    async def reopen(self, issue_id: int, version: int, reason: str) -> Issue:
        """Back to work for the same lead team: a resolved or closed issue that is not done."""
        require_signed_in(self.actor)
        reason = required_field(reason, "reason", "a reason", MAX_NOTE)

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            changes = {
                "resolved_at": None,
                "closed_at": None,
                "resolution": "",
                "satisfaction": None,
                "satisfaction_comment": "",
                # Back to work: if it runs late again it must be flagged for escalation again.
                "escalated_at": None,
            }
            return changes, reason

        return await self._transition(issue_id, version, Action.REOPEN, apply)

    async def request_extension(
        self, issue_id: int, version: int, requested_deadline: datetime, reason: str
    ) -> tuple[Issue, ExtensionRequest]:
        """Asks to move the deadline; nothing moves until a dispatcher approves."""
        actor = require_signed_in(self.actor)
        reason = required_field(reason, "reason", "a reason", MAX_NOTE)
        aware(requested_deadline, "requestedDeadline")
        made: list[ExtensionRequest] = []

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            if requested_deadline <= issue.deadline or requested_deadline <= at:
                current = f"{issue.deadline.astimezone(self.zone):%Y-%m-%d %H:%M}"
                raise ServiceError(
                    "requestedDeadline", ErrorCode.OUT_OF_RANGE, f"must be later than the current deadline ({current})"
                )
            made.append(
                await ExtensionRequest.create(
                    using_db=conn,
                    issue_id=issue.id,
                    requested_by_id=actor.id,
                    requested_at=at,
                    requested_deadline=requested_deadline,
                    previous_deadline=issue.deadline,
                    reason=reason,
                )
            )
            return {}, f"申请延期至{requested_deadline.astimezone(self.zone):%Y-%m-%d %H:%M}：{reason}"

        issue = await self._transition(issue_id, version, Action.REQUEST_EXTENSION, apply)
        return issue, made[0]

    async def decide_extension(
        self, request_id: int, version: int, approve: bool, note: str = ""
    ) -> tuple[Issue, ExtensionRequest]:
        """Approves (the deadline moves, the warning thresholds with it) or rejects a request."""
        actor = require_signed_in(self.actor)
        note = checked_field(note, "note", MAX_NOTE)
        request = await ExtensionRequest.get_or_none(id=request_id)
        if request is None:
            raise ServiceError("extensionRequestId", "NOT_FOUND", "no such extension request")
        decided: list[ExtensionRequest] = []

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            current = await ExtensionRequest.filter(id=request_id).using_db(conn).get()
            if current.status != ExtensionStatus.PENDING:
                raise ServiceError(
                    "extensionRequestId",
                    "ILLEGAL_TRANSITION",
                    f"cannot decide an extension request that is {current.status.value}; decide applies to: pending",
                )
            current.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
            current.decided_by_id = actor.id
            current.decided_at = at
            current.note = note
            await current.save(using_db=conn, update_fields=["status", "decided_by_id", "decided_at", "note"])
            decided.append(current)
            if not approve:
                return {}, "不批准延期" + (f"：{note}" if note else "")
            new = current.requested_deadline
            yellow_at, orange_at = self._thresholds(issue.reported_at, new)
            live = DispatchOrder.filter(issue_id=issue.id, returned_at__isnull=True, due_at__lt=new).using_db(conn)
            await live.update(due_at=new)
            text = (
                f"批准延期：办理时限由{issue.deadline.astimezone(self.zone):%Y-%m-%d %H:%M}"
                f"延至{new.astimezone(self.zone):%Y-%m-%d %H:%M}"
            )
            changes = {"deadline": new, "yellow_at": yellow_at, "orange_at": orange_at}
            return changes, text + (f"。{note}" if note else "")

        issue = await self._transition(request.issue_id, version, Action.DECIDE_EXTENSION, apply)
        return issue, decided[0]

    async def escalate(self, issue_id: int, version: int, reason: str) -> Issue:
        """督办: the centre presses for an open issue, usually an overdue one (see needs_escalation)."""
        require_signed_in(self.actor)
        reason = required_field(reason, "reason", "a reason", MAX_NOTE)

        async def apply(conn, issue: Issue, to: IssueStatus, at: datetime) -> tuple[dict, str]:
            return {"escalated_at": at}, reason

        return await self._transition(issue_id, version, Action.ESCALATE, apply)

    # -- the machinery ----------------------------------------------------------------------------

    async def _transition(
        self,
        issue_id: int,
        version: int | None,
        action: Action,
        apply: Callable[[BaseDBAsyncClient, Issue, IssueStatus, datetime], Awaitable[tuple[dict[str, Any], str]]],
    ) -> Issue:
        """One transaction: lock the issue, check version, permission and state, let ``apply``
        write its rows and say what changes, update the issue (only if still at the version
        read), write the event. Publishes after the commit.

        The change happens at ``now``, or at the issue's last event if that is later: a request
        that waited for another one's lock keeps the timeline in commit order.
        """
        async with in_transaction() as conn:
            # FOR NO KEY UPDATE on PostgreSQL (a concurrent change waits for this one, then sees
            # the new version); SQLite runs one transaction at a time anyway.
            issue = await self._readable().filter(id=issue_id).using_db(conn).select_for_update(no_key=True).first()
            if issue is None:
                raise ServiceError("issueId", "NOT_FOUND", "no such issue")
            # A stale version first: whoever changed the issue may also have changed who may act on
            # it (a return takes it from the lead team), and the caller must reload either way.
            if version is not None and version != issue.version:
                raise conflict()
            scope = await issue_scope(issue)
            pending = await self._pending_extension(conn, issue.id).exists()
            check(await actor_of(self.actor), action, IssueFacts(scope, issue.status, pending))
            before = snapshot(issue, scope.order_team_ids, pending)
            from_status = issue.status
            to_status = next_status(action, from_status)
            assert to_status is not None  # only a report starts from no status, and it is no transition
            last = (
                await IssueEvent.filter(issue_id=issue.id)
                .using_db(conn)
                .order_by("-created_at", "-id")
                .limit(1)
                .values_list("created_at", flat=True)
            )
            at = max([self.now, *cast(list[datetime], last)])
            changes, note = await apply(conn, issue, to_status, at)
            changes = {**changes, "status": to_status, "version": issue.version + 1}
            updated = await Issue.filter(id=issue.id, version=issue.version).using_db(conn).update(**changes)
            # Tortoise's SQLite client counts rows that triggers change too (the statistics data
            # version): only "no row" means the version moved on.
            if not updated:
                raise conflict()
            await self._event(conn, issue.id, action, from_status, to_status, note, at)
        for name, value in changes.items():
            setattr(issue, name, value)
        await self.publish(issue, action, before)
        return issue

    @staticmethod
    def _pending_extension(conn: BaseDBAsyncClient, issue_id: int) -> QuerySet[ExtensionRequest]:
        return ExtensionRequest.filter(issue_id=issue_id, status=ExtensionStatus.PENDING).using_db(conn)

    def _readable(self) -> QuerySet[Issue]:
        """The issues the caller may read: those it may act on are among them."""
        if self.access is None or not self.access.allows(Grant.ISSUES):
            return Issue.all()  # no row rule here; the permission check refuses whoever may not act
        return self.access.issues()

    async def _event(
        self,
        conn: BaseDBAsyncClient,
        issue_id: int,
        action: Action,
        from_status: IssueStatus | None,
        to_status: IssueStatus | None,
        note: str,
        at: datetime,
    ) -> IssueEvent:
        return await IssueEvent.create(
            using_db=conn,
            issue_id=issue_id,
            actor_id=self.actor.id if self.actor else None,
            action=action.value,
            from_status=from_status,
            to_status=to_status,
            note=note,
            created_at=at,
        )

    def _thresholds(self, reported_at: datetime, deadline: datetime) -> tuple[datetime, datetime]:
        return thresholds(reported_at, deadline, self.settings.warn_yellow_at, self.settings.warn_orange_at)

    async def publish(self, issue: Issue, action: Action, before: dict | None = None) -> None:
        """Tells live subscribers about a committed change; a broker failure is logged, not raised.

        ``before`` is the issue's state before the change (``snapshot``), so that a subscriber can
        tell that the change took the issue out of its filter.
        """
        if self.broker is None:
            return
        message: dict[str, Any] = {
            "issueId": issue.id,
            "action": action.value,
            "status": issue.status.value,
            "version": issue.version,
        }
        if before is not None:
            message["before"] = before
        try:
            await self.broker.publish("issues", message)
        except Exception:
            log.exception("could not publish %r", message)
