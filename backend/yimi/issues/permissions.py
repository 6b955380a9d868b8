"""Who may do what: the permission rules of the issue workflow, visits and commissioners.

Every rule takes the acting staff member (None when nobody is signed in) and the facts about the
thing acted on (`Scope`), and raises ServiceError (UNAUTHENTICATED or FORBIDDEN) when the act is
not allowed. Roles add up: a member of staff with several roles may do what any of them allows.

- admin: everything;
- dispatcher: reports, dispatches, notes, confirms (or records dissatisfaction), reopens, decides
  extensions, escalates, records visits, assigns commissioners;
- team member: on issues dispatched to a team they belong to — accepts, returns, resolves and asks
  for extensions as a member of the lead team (主办), adds notes as a member of any team holding a
  live order (lead or co-handler); records visits made by their team;
- commissioner: reports, notes and confirms issues of the enterprises they are commissioner of,
  and records their own visits to them;
- viewer: nothing;
- a partner token (no staff member) with the issues:report scope: reports issues, for enterprises
  in its townships and of its categories when the token is limited to some.

Whatever the roles, a member of staff with a township scope (a non-empty list of township codes)
acts only on enterprises in those townships.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from yimi.accounts.models import PartnerToken, Role, Staff
from yimi.common.errors import ServiceError
from yimi.issues.models import IssueCategory
from yimi.issues.workflow import Action
from yimi.teams.models import TeamCoverage, TeamMember

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


@dataclass(frozen=True)
class Scope:
    """What an action touches: the enterprise and, for an issue, the teams holding live orders."""

    township_code: str
    commissioner_id: int | None
    lead_team_id: int | None = None
    order_team_ids: frozenset[int] = field(default_factory=frozenset)


def require_signed_in(actor: Staff | None) -> Staff:
    if actor is None:
        raise ServiceError(None, "UNAUTHENTICATED", "sign in first")
    return actor


def _roles(actor: Staff) -> set[Role]:
    return {Role(r) for r in actor.roles if r in Role._value2member_map_}


def _forbidden(message: str) -> ServiceError:
    return ServiceError(None, "FORBIDDEN", message)


def _check_township(actor: Staff, scope: Scope) -> None:
    if actor.township_scope and scope.township_code not in actor.township_scope:
        raise _forbidden(f"you act only on enterprises in townships {', '.join(actor.township_scope)}")


async def team_ids_of(actor: Staff) -> set[int]:
    # Tortoise types values_list(flat=True) as tuples; it gives the values themselves.
    return set(cast(list[int], await TeamMember.filter(staff_id=actor.id).values_list("team_id", flat=True)))


async def authorize_issue(actor: Staff | None, action: Action, scope: Scope) -> Staff:
    """Raises unless ``actor`` may take ``action`` on an issue of the enterprise in ``scope``."""
    actor = require_signed_in(actor)
    _check_township(actor, scope)
    roles = _roles(actor)
    if Role.ADMIN in roles:
        return actor
    granted = roles & ISSUE_ROLES[action]
    verb = VERBS[action]
    if not granted:
        have = ", ".join(sorted(r.value for r in roles)) or "none"
        raise _forbidden(f"your roles ({have}) do not allow you to {verb}")
    if Role.DISPATCHER in granted:
        return actor
    if Role.COMMISSIONER in granted and scope.commissioner_id == actor.id:
        return actor
    if Role.TEAM_MEMBER in granted:
        teams = scope.order_team_ids if action not in LEAD_ONLY else {scope.lead_team_id} - {None}
        if teams and teams & await team_ids_of(actor):
            return actor
    if granted == {Role.COMMISSIONER}:
        raise _forbidden(f"a commissioner may {verb} only for the enterprises they are commissioner of")
    if action in LEAD_ONLY:
        raise _forbidden(f"only members of the lead team of this issue may {verb}")
    raise _forbidden(f"only members of a team this issue is dispatched to may {verb}")


async def authorize_visit(actor: Staff | None, scope: Scope, team_id: int | None, commissioner_id: int | None) -> Staff:
    """Raises unless ``actor`` may record a visit by ``team_id`` / ``commissioner_id``."""
    actor = require_signed_in(actor)
    _check_township(actor, scope)
    roles = _roles(actor)
    if roles & {Role.ADMIN, Role.DISPATCHER}:
        return actor
    if (
        Role.COMMISSIONER in roles
        and commissioner_id == actor.id
        and scope.commissioner_id == actor.id
        and (team_id is None or team_id in await team_ids_of(actor))
    ):
        return actor
    if Role.TEAM_MEMBER in roles and team_id is not None and team_id in await team_ids_of(actor):
        # A team visits (and reports the issues raised at) enterprises in the townships it covers.
        covers = await TeamCoverage.exists(team_id=team_id, township__code=scope.township_code)
        if covers and (commissioner_id is None or commissioner_id == actor.id):
            return actor
    if roles & {Role.COMMISSIONER, Role.TEAM_MEMBER}:
        raise _forbidden(
            "you may record only visits of a team you belong to to a township it covers, or your own "
            "visits to the enterprises you are commissioner of"
        )
    have = ", ".join(sorted(r.value for r in roles)) or "none"
    raise _forbidden(f"your roles ({have}) do not allow you to record visits")


def authorize_partner_report(token: PartnerToken, scope: Scope, category: IssueCategory) -> None:
    """Raises unless the partner ``token`` may report an issue of ``category`` for the enterprise in ``scope``."""
    if "issues:report" not in token.scopes:
        raise _forbidden("this token may not report issues (it lacks the issues:report scope)")
    if token.township_codes and scope.township_code not in token.township_codes:
        # As for reading: an enterprise outside the token's townships does not exist for it.
        raise ServiceError("enterpriseId", "NOT_FOUND", "no such enterprise in this token's townships")
    if token.categories and IssueCategory(category).value not in token.categories:
        raise ServiceError(
            "category", "FORBIDDEN", f"this token reports only issues of categories {', '.join(token.categories)}"
        )


def authorize_assign_commissioner(actor: Staff | None, scope: Scope) -> Staff:
    actor = require_signed_in(actor)
    _check_township(actor, scope)
    roles = _roles(actor)
    if roles & {Role.ADMIN, Role.DISPATCHER}:
        return actor
    have = ", ".join(sorted(r.value for r in roles)) or "none"
    raise _forbidden(f"your roles ({have}) do not allow you to assign commissioners")
