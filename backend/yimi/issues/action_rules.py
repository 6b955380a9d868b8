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
"""

from __future__ import annotations

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
from yimi.common.errors import ServiceError
from yimi.issues.models import IssueCategory
from yimi.issues.workflow import Action

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


async def authorize_issue(actor: Staff | None, action: Action, scope: Scope) -> Staff:
    """Raises unless ``actor`` may take ``action`` on an issue of the enterprise in ``scope``."""
    actor = require_signed_in(actor)
    check_township(actor, scope)
    roles = roles_of(actor)
    if Role.ADMIN in roles:
        return actor
    granted = roles & ISSUE_ROLES[action]
    verb = VERBS[action]
    if not granted:
        raise forbidden(f"your roles ({describe_roles(roles)}) do not allow you to {verb}")
    if Role.DISPATCHER in granted:
        return actor
    if Role.COMMISSIONER in granted and scope.commissioner_id == actor.id:
        return actor
    if Role.TEAM_MEMBER in granted:
        teams = scope.order_team_ids if action not in LEAD_ONLY else {scope.lead_team_id} - {None}
        if teams and teams & await team_ids_of(actor):
            return actor
    if granted == {Role.COMMISSIONER}:
        raise forbidden(f"a commissioner may {verb} only for the enterprises they are commissioner of")
    if action in LEAD_ONLY:
        raise forbidden(f"only members of the lead team of this issue may {verb}")
    raise forbidden(f"only members of a team this issue is dispatched to may {verb}")


def authorize_partner_report(token: PartnerToken, scope: Scope, category: IssueCategory) -> None:
    """Raises unless the partner ``token`` may report an issue of ``category`` for the enterprise in ``scope``.

    The token's townships are applied when the enterprise is looked up (``enterprise_scope``): one
    outside them does not exist for the token, as for reading.
    """
    if "issues:report" not in token.scopes:
        raise forbidden("this token may not report issues (it lacks the issues:report scope)")
    if token.categories and IssueCategory(category).value not in token.categories:
        raise ServiceError(
            "category", "FORBIDDEN", f"this token reports only issues of categories {', '.join(token.categories)}"
        )
