"""Who may take which step of the issue workflow, and which partner tokens may report issues.

(The shared parts and where the other rules live: ``yimi.accounts.action_rules``.)

- admin: everything;
- dispatcher: reports, dispatches, notes, confirms (or records dissatisfaction), reopens, decides
  extensions, escalates;
- team member: on issues dispatched to a team they belong to — accepts, returns, resolves and asks
  for extensions as a member of the lead team (主办), adds notes as a member of any team holding a
  live order (lead or co-handler);
- commissioner: reports, notes and confirms issues of the enterprises they are commissioner of;
- viewer: nothing;
- a partner token (no staff member) with the issues:report scope: reports issues, for enterprises
  in its townships and of its categories when the token is limited to some.

Whoever is limited to some townships (a township scope, a token's townships) finds no enterprise
outside them: the lookup answers NOT_FOUND, as for a missing ID, before these rules run.

On an existing issue, ``refusal`` is the one rule: permission as above, then the state machine
(``workflow.py``) and the extension preconditions (one pending request at a time; a decision needs
one). The mutations apply it through ``check``; ``Issue.viewerActions`` lists the actions it
allows (``allowed_actions``), so that the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from yimi.accounts.action_rules import (
    Scope,
    check_township,
    describe_roles,
    forbidden,
    require_signed_in,
    roles_of,
    team_ids_of,
)
from yimi.accounts.models import PartnerToken, Role, Staff
from yimi.common.errors import ErrorCode, ServiceError
from yimi.issues.models import IssueCategory, IssueStatus
from yimi.issues.workflow import Action, IllegalTransition, next_status

A = Action

# Which roles may take each action at all (admin may take every one); the team-member and
# commissioner grants are further limited to their own teams' issues and their own enterprises.
ISSUE_ROLES: dict[Action, frozenset[Role]] = {
    A.REPORT: frozenset({Role.DISPATCHER, Role.COMMISSIONER}),
    A.DISPATCH: frozenset({Role.DISPATCHER}),
    A.ACCEPT: frozenset({Role.TEAM_MEMBER}),
    A.RETURN: frozenset({Role.TEAM_MEMBER}),
    A.NOTE: frozenset({Role.DISPATCHER, Role.TEAM_MEMBER, Role.COMMISSIONER}),
    A.RESOLVE: frozenset({Role.TEAM_MEMBER}),
    A.CONFIRM: frozenset({Role.DISPATCHER, Role.COMMISSIONER}),
    A.REJECT: frozenset({Role.DISPATCHER, Role.COMMISSIONER}),
    A.REOPEN: frozenset({Role.DISPATCHER}),
    A.REQUEST_EXTENSION: frozenset({Role.TEAM_MEMBER}),
    A.DECIDE_EXTENSION: frozenset({Role.DISPATCHER}),
    A.ESCALATE: frozenset({Role.DISPATCHER}),
}
# Team-member actions only the lead team may take; the others (notes) any team with a live order.
LEAD_ONLY = frozenset({A.ACCEPT, A.RETURN, A.RESOLVE, A.REQUEST_EXTENSION})

VERBS = {
    A.REPORT: "report issues",
    A.DISPATCH: "dispatch issues",
    A.ACCEPT: "accept dispatch orders",
    A.RETURN: "return dispatch orders",
    A.NOTE: "add notes to issues",
    A.RESOLVE: "resolve issues",
    A.CONFIRM: "confirm issues",
    A.REJECT: "record an enterprise's dissatisfaction",
    A.REOPEN: "reopen issues",
    A.REQUEST_EXTENSION: "request extensions",
    A.DECIDE_EXTENSION: "decide extension requests",
    A.ESCALATE: "escalate issues",
}


class IssueAction(str, Enum):
    """What a member of staff may do to an existing issue: one per mutation (``Issue.viewerActions``)."""

    DISPATCH = Action.DISPATCH.value
    ACCEPT = Action.ACCEPT.value
    RETURN = Action.RETURN.value
    ADD_NOTE = Action.NOTE.value
    RESOLVE = Action.RESOLVE.value
    # confirmIssue takes either verdict: CONFIRM (satisfied) and REJECT (unsatisfied) share their rules.
    CONFIRM = Action.CONFIRM.value
    REOPEN = Action.REOPEN.value
    REQUEST_EXTENSION = Action.REQUEST_EXTENSION.value
    DECIDE_EXTENSION = Action.DECIDE_EXTENSION.value
    ESCALATE = Action.ESCALATE.value

    @property
    def action(self) -> Action:
        return Action(self.value)


@dataclass(frozen=True)
class Actor:
    """The acting member of staff with what the rules need about them (roles, teams)."""

    staff: Staff
    roles: frozenset[Role]
    team_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class IssueFacts:
    """What the rules look at on an existing issue: its enterprise and teams, status, pending extension."""

    scope: Scope
    status: IssueStatus
    pending_extension: bool = False


def needs_team_ids(staff: Staff) -> bool:
    """Whether the rules look at ``staff``'s teams (only a team member's teams grant anything)."""
    return Role.TEAM_MEMBER in roles_of(staff)


async def actor_of(staff: Staff | None) -> Actor:
    """The ``Actor`` for ``staff`` (one query for a team member's teams); UNAUTHENTICATED for nobody."""
    staff = require_signed_in(staff)
    teams = frozenset(await team_ids_of(staff)) if needs_team_ids(staff) else frozenset()
    return Actor(staff, frozenset(roles_of(staff)), teams)


def permission_refusal(actor: Actor, action: Action, scope: Scope) -> ServiceError | None:
    """Why ``actor`` may not take ``action`` on an issue of the enterprise in ``scope``, or None."""
    try:
        check_township(actor.staff, scope)
    except ServiceError as error:
        return error
    roles = set(actor.roles)
    if Role.ADMIN in roles:
        return None
    granted = roles & ISSUE_ROLES[action]
    verb = VERBS[action]
    if not granted:
        return forbidden(f"your roles ({describe_roles(roles)}) do not allow you to {verb}")
    if Role.DISPATCHER in granted:
        return None
    if Role.COMMISSIONER in granted and scope.commissioner_id == actor.staff.id:
        return None
    if Role.TEAM_MEMBER in granted:
        teams = scope.order_team_ids if action not in LEAD_ONLY else {scope.lead_team_id} - {None}
        if teams & actor.team_ids:
            return None
    if granted == {Role.COMMISSIONER}:
        return forbidden(f"a commissioner may {verb} only for the enterprises they are commissioner of")
    if action in LEAD_ONLY:
        return forbidden(f"only members of the lead team of this issue may {verb}")
    return forbidden(f"only members of a team this issue is dispatched to may {verb}")


def state_refusal(action: Action, facts: IssueFacts) -> ServiceError | None:
    """Why ``action`` does not apply to the issue as it stands, or None."""
    try:
        next_status(action, facts.status)
    except IllegalTransition as error:
        return ServiceError(None, ErrorCode.ILLEGAL_TRANSITION, str(error))
    if action == A.REQUEST_EXTENSION and facts.pending_extension:
        return ServiceError(
            None, ErrorCode.DUPLICATE, "an extension request for this issue is already waiting for a decision"
        )
    if action == A.DECIDE_EXTENSION and not facts.pending_extension:
        return ServiceError(
            "extensionRequestId", ErrorCode.ILLEGAL_TRANSITION, "no extension request of this issue is pending"
        )
    return None


def refusal(actor: Actor, action: Action, facts: IssueFacts) -> ServiceError | None:
    """Why ``actor`` may not take ``action`` on the issue now (permission first, then state), or None.

    The one rule both the mutations (``check``) and ``Issue.viewerActions`` (``allowed_actions``) apply.
    """
    return permission_refusal(actor, action, facts.scope) or state_refusal(action, facts)


def check(actor: Actor, action: Action, facts: IssueFacts) -> None:
    """Raises the ``refusal``, if any."""
    if (error := refusal(actor, action, facts)) is not None:
        raise error


def allowed_actions(actor: Actor | None, facts: IssueFacts) -> list[IssueAction]:
    """What ``actor`` may do to the issue now; nothing for nobody (and for partner tokens)."""
    if actor is None:
        return []
    return [a for a in IssueAction if refusal(actor, a.action, facts) is None]


def may_report(staff: Staff | None, scope: Scope) -> bool:
    """Whether ``staff`` may report an issue for the enterprise in ``scope`` (reportIssue); teams play no part."""
    if staff is None:
        return False
    return permission_refusal(Actor(staff, frozenset(roles_of(staff))), A.REPORT, scope) is None


async def authorize_issue(staff: Staff | None, action: Action, scope: Scope) -> Staff:
    """Raises unless ``staff`` may take ``action`` (e.g. REPORT) on an issue of the enterprise in ``scope``."""
    actor = await actor_of(staff)
    if (error := permission_refusal(actor, action, scope)) is not None:
        raise error
    return actor.staff


def authorize_partner_report(token: PartnerToken, scope: Scope, category: IssueCategory) -> None:
    """Raises unless the partner ``token`` may report an issue of ``category`` for the enterprise in ``scope``.

    The token's townships are applied when the enterprise is looked up (``enterprise_scope``): one
    outside them does not exist for the token, as for reading.
    """
    if "issues:report" not in token.scopes:
        raise forbidden("this token may not report issues (it lacks the issues:report scope)")
    if token.categories and IssueCategory(category).value not in token.categories:
        raise ServiceError(
            "category",
            ErrorCode.FORBIDDEN,
            f"this token reports only issues of categories {', '.join(token.categories)}",
        )
