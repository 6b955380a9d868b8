"""The issue workflow's mutations: thin resolvers over yimi.issues.service.IssueWorkflow.

Each parses its input (global IDs), calls the service and builds the payload; an expected failure
(ServiceError, or an ID that is not one) becomes a `userErrors` entry and the payload's objects
stay null.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TypeVar

import strawberry

from yimi.common.payloads import UserError, global_id, run
from yimi.common.text import MAX_DESCRIPTION, MAX_NOTE, MAX_SUMMARY, MAX_TITLE
from yimi.common.time import BOUNDS
from yimi.graphql.context import Info
from yimi.issues import models
from yimi.issues.models import IssueCategory, IssuePriority, IssueSource, Satisfaction
from yimi.issues.service import MAX_CO_HANDLERS, IssueDraft, IssueWorkflow
from yimi.issues.types import ExtensionRequest, Issue

P = TypeVar("P")


def issue_pk(input) -> int:
    return global_id(input.issue_id, "issueId", "Issue")


def workflow(info: Info) -> IssueWorkflow:
    c = info.context
    return IssueWorkflow(c.user, c.settings, c.now, c.broker, partner=c.token, access=c.access)


def changed(info: Info, issue: models.Issue) -> Issue:
    """The payload's issue; the request's loaders forget what they cached about it."""
    loaders = info.context.loaders.issues
    loaders.forget(issue.id)
    loaders.by_id.prime(issue.id, issue)
    return Issue.from_model(issue)


async def issue_change(
    info: Info, payload: Callable[..., P], act: Callable[[IssueWorkflow], Awaitable[models.Issue]]
) -> P:
    """Runs ``act`` with the caller's workflow: the payload carries the changed issue, or the user error."""

    async def work() -> P:
        return payload(issue=changed(info, await act(workflow(info))))

    return await run(payload, work)


async def extension_change(
    info: Info,
    payload: Callable[..., P],
    act: Callable[[IssueWorkflow], Awaitable[tuple[models.Issue, models.ExtensionRequest]]],
) -> P:
    """As ``issue_change``, for the acts on extension requests: the payload carries the request too."""

    async def work() -> P:
        issue, request = await act(workflow(info))
        return payload(issue=changed(info, issue), extension_request=ExtensionRequest.from_model(request))

    return await run(payload, work)


# -- payloads -------------------------------------------------------------------------------------


@strawberry.type
class IssuePayload:
    issue: Issue | None = strawberry.field(default=None, description="The issue after the change; null on failure.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReportIssuePayload(IssuePayload):
    pass


@strawberry.type
class DispatchIssuePayload(IssuePayload):
    pass


@strawberry.type
class AcceptDispatchPayload(IssuePayload):
    pass


@strawberry.type
class ReturnDispatchPayload(IssuePayload):
    pass


@strawberry.type
class AddIssueNotePayload(IssuePayload):
    pass


@strawberry.type
class ResolveIssuePayload(IssuePayload):
    pass


@strawberry.type
class ConfirmIssuePayload(IssuePayload):
    pass


@strawberry.type
class ReopenIssuePayload(IssuePayload):
    pass


@strawberry.type
class EscalateIssuePayload(IssuePayload):
    pass


@strawberry.type
class RequestExtensionPayload(IssuePayload):
    extension_request: ExtensionRequest | None = None


@strawberry.type
class DecideExtensionPayload(IssuePayload):
    extension_request: ExtensionRequest | None = None


# -- inputs ---------------------------------------------------------------------------------------

VERSION = "The issue's version as you last saw it; a stale one is refused (CONFLICT) and changes nothing."
# Free text: longer text is refused with a userError naming the field (INVALID), as are NUL
# characters and unpaired surrogates; leading and trailing spaces are dropped.
TITLE = f"Required; at most {MAX_TITLE} characters."
DESCRIPTION = f"At most {MAX_DESCRIPTION:,} characters."
SUMMARY = f"What was done; required, at most {MAX_SUMMARY:,} characters."
NOTE = f"At most {MAX_NOTE:,} characters."
REASON = f"Required; at most {MAX_NOTE:,} characters."
DEADLINE = f"With a time zone offset; {BOUNDS}."


@strawberry.input(description="A new issue, reported now.")
class ReportIssueInput:
    enterprise_id: strawberry.ID
    category: IssueCategory
    title: str = strawberry.field(description=TITLE)
    source: IssueSource
    priority: IssuePriority = IssuePriority.NORMAL
    description: str = strawberry.field(default="", description=DESCRIPTION)
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Optional, chosen by the client (as Stripe's Idempotency-Key; a UUID fits: 1 to 100 "
        "letters, digits or ASCII punctuation). A retry with the same key and the same input returns the "
        "issue the first call made, without reporting it twice; the same key with other input is refused "
        "(IDEMPOTENCY_KEY_REUSED). Keys are yours alone: another member of staff or token may use the same.",
    )


@strawberry.input(description="Send a reported or returned issue to a lead team, with optional co-handlers.")
class DispatchIssueInput:
    issue_id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    lead_team_id: strawberry.ID = strawberry.field(description="The team leading the work (主办).")
    co_handler_team_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description=f"Teams helping (协办); at most {MAX_CO_HANDLERS}."
    )
    instruction: str = strawberry.field(default="", description=NOTE)
    deadline: datetime | None = strawberry.field(
        default=None,
        description="Sets the issue's deadline (办理时限, Issue.deadline), at which the orders are due: in the "
        "future (else OUT_OF_RANGE) and on a working day of the Chinese calendar in county time (else "
        "NOT_A_WORKING_DAY). Without it (and without dueOn) the issue keeps its deadline. " + DEADLINE,
    )
    due_on: date | None = strawberry.field(
        default=None,
        description="As deadline, given as the day (county time): the issue is due at the close of business "
        "(17:30) that day. Give deadline or dueOn, not both.",
    )


@strawberry.input(description="The lead team takes the dispatch order (接单).")
class AcceptDispatchInput:
    issue_id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    note: str = strawberry.field(default="", description=NOTE)


@strawberry.input(description="The lead team refuses the dispatch order (退单); the issue goes back to the centre.")
class ReturnDispatchInput:
    issue_id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    reason: str = strawberry.field(description=REASON)


@strawberry.input(description="A note on the issue's timeline.")
class AddIssueNoteInput:
    issue_id: strawberry.ID
    note: str = strawberry.field(description=REASON)
    version: int | None = strawberry.field(
        default=None, description="Optional: when given, a stale one is refused (CONFLICT)."
    )


@strawberry.input(description="The lead team reports the issue resolved (办结).")
class ResolveIssueInput:
    issue_id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    summary: str = strawberry.field(description=SUMMARY)


@strawberry.input(
    description="The enterprise's verdict: satisfied or basically satisfied closes the issue (销号); "
    "unsatisfied, with a comment, reopens it."
)
class ConfirmIssueInput:
    issue_id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    satisfaction: Satisfaction
    comment: str = strawberry.field(default="", description="Required when unsatisfied. " + NOTE)


@strawberry.input(description="Reopen a resolved or closed issue: back to work for its lead team.")
class ReopenIssueInput:
    issue_id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    reason: str = strawberry.field(description=REASON)


@strawberry.input(description="Ask to move the deadline (延期); it moves only once approved.")
class RequestExtensionInput:
    issue_id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    requested_deadline: datetime = strawberry.field(description=DEADLINE)
    reason: str = strawberry.field(description=REASON)


@strawberry.input(description="Approve (the deadline moves) or reject an extension request.")
class DecideExtensionInput:
    extension_request_id: strawberry.ID
    version: int = strawberry.field(description="The version of the request's issue. " + VERSION)
    approve: bool
    note: str = strawberry.field(default="", description=NOTE)


@strawberry.input(description="Escalate an open issue (督办).")
class EscalateIssueInput:
    issue_id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    reason: str = strawberry.field(description=REASON)


# -- mutations ------------------------------------------------------------------------------------


@strawberry.type
class IssueMutation:
    @strawberry.mutation(
        description="Log a problem an enterprise raised (status REPORTED, deadline from the rules); with an "
        "idempotencyKey, a retry returns the first call's issue instead of a duplicate."
    )
    async def report_issue(self, info: Info, input: ReportIssueInput) -> ReportIssuePayload:
        draft = IssueDraft(input.category, input.title, input.source, input.priority, input.description)
        return await issue_change(
            info,
            ReportIssuePayload,
            lambda wf: wf.report(
                global_id(input.enterprise_id, "enterpriseId", "Enterprise"), draft, input.idempotency_key
            ),
        )

    @strawberry.mutation(description="Send an issue to a lead team and co-handlers (派单).")
    async def dispatch_issue(self, info: Info, input: DispatchIssueInput) -> DispatchIssuePayload:
        return await issue_change(
            info,
            DispatchIssuePayload,
            lambda wf: wf.dispatch(
                issue_pk(input),
                input.version,
                global_id(input.lead_team_id, "leadTeamId", "ServiceTeam", "a lead team"),
                [
                    global_id(t, f"coHandlerTeamIds[{i}]", "ServiceTeam")
                    for i, t in enumerate(input.co_handler_team_ids)
                ],
                input.instruction,
                input.deadline,
                input.due_on,
            ),
        )

    @strawberry.mutation(description="The lead team accepts the dispatch order; the work starts (IN_PROGRESS).")
    async def accept_dispatch(self, info: Info, input: AcceptDispatchInput) -> AcceptDispatchPayload:
        return await issue_change(
            info, AcceptDispatchPayload, lambda wf: wf.accept(issue_pk(input), input.version, input.note)
        )

    @strawberry.mutation(description="The lead team returns the dispatch order with a reason (RETURNED).")
    async def return_dispatch(self, info: Info, input: ReturnDispatchInput) -> ReturnDispatchPayload:
        return await issue_change(
            info, ReturnDispatchPayload, lambda wf: wf.return_(issue_pk(input), input.version, input.reason)
        )

    @strawberry.mutation(description="Add a note to the issue's timeline.")
    async def add_issue_note(self, info: Info, input: AddIssueNoteInput) -> AddIssueNotePayload:
        return await issue_change(
            info, AddIssueNotePayload, lambda wf: wf.add_note(issue_pk(input), input.note, input.version)
        )

    @strawberry.mutation(description="The lead team reports the issue resolved, with a summary (RESOLVED).")
    async def resolve_issue(self, info: Info, input: ResolveIssueInput) -> ResolveIssuePayload:
        return await issue_change(
            info, ResolveIssuePayload, lambda wf: wf.resolve(issue_pk(input), input.version, input.summary)
        )

    @strawberry.mutation(description="Record the enterprise's satisfaction: CLOSED, or REOPENED when unsatisfied.")
    async def confirm_issue(self, info: Info, input: ConfirmIssueInput) -> ConfirmIssuePayload:
        return await issue_change(
            info,
            ConfirmIssuePayload,
            lambda wf: wf.confirm(issue_pk(input), input.version, input.satisfaction, input.comment),
        )

    @strawberry.mutation(description="Reopen a resolved or closed issue, with a reason (REOPENED).")
    async def reopen_issue(self, info: Info, input: ReopenIssueInput) -> ReopenIssuePayload:
        return await issue_change(
            info, ReopenIssuePayload, lambda wf: wf.reopen(issue_pk(input), input.version, input.reason)
        )

    @strawberry.mutation(description="Ask for a later deadline; it moves only once a dispatcher approves.")
    async def request_extension(self, info: Info, input: RequestExtensionInput) -> RequestExtensionPayload:
        return await extension_change(
            info,
            RequestExtensionPayload,
            lambda wf: wf.request_extension(issue_pk(input), input.version, input.requested_deadline, input.reason),
        )

    @strawberry.mutation(description="Approve or reject an extension request; approval moves the deadline.")
    async def decide_extension(self, info: Info, input: DecideExtensionInput) -> DecideExtensionPayload:
        return await extension_change(
            info,
            DecideExtensionPayload,
            lambda wf: wf.decide_extension(
                global_id(input.extension_request_id, "extensionRequestId", "ExtensionRequest"),
                input.version,
                input.approve,
                input.note,
            ),
        )

    @strawberry.mutation(description="Escalate an open issue (督办), with a reason.")
    async def escalate_issue(self, info: Info, input: EscalateIssueInput) -> EscalateIssuePayload:
        return await issue_change(
            info, EscalateIssuePayload, lambda wf: wf.escalate(issue_pk(input), input.version, input.reason)
        )
