"""What every domain's action rules share: the acting staff member, the scope acted on, refusals.

Rules live in three kinds of module, each named for what it decides:

* read rules — ``yimi.accounts.read_rules``: who reads what, for every domain at once (grants, and
  the row-rule querysets every query and loader starts from);
* action rules — ``<domain>/action_rules.py``: who may do what. ``issues.action_rules`` (the
  workflow steps, partner reports), ``enterprises.action_rules`` (visits, commissioners),
  ``teams.action_rules`` (coverage); this module holds what they share;
* field rules — ``yimi.graphql.field_rules``: the adapter that checks a read rule's grant on a
  GraphQL field (``extensions=needs(Grant.X)``).

An action rule takes the acting staff member (None when nobody is signed in) and the facts about
the thing acted on, and raises ServiceError (UNAUTHENTICATED or FORBIDDEN) when the act is not
allowed. Roles add up: a member of staff with several roles may do what any of them allows.
Whatever the roles, a member of staff with a township scope (a non-empty list of township codes)
acts only on enterprises in those townships.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from yimi.accounts.models import Role, Staff
from yimi.common.errors import ServiceError
from yimi.teams.models import TeamMember


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


def roles_of(actor: Staff) -> set[Role]:
    return {Role(r) for r in actor.roles if r in Role._value2member_map_}


def describe_roles(roles: set[Role]) -> str:
    return ", ".join(sorted(r.value for r in roles)) or "none"


def forbidden(message: str) -> ServiceError:
    return ServiceError(None, "FORBIDDEN", message)


def check_township(actor: Staff, scope: Scope) -> None:
    # Callers look enterprises and issues up within the actor's townships, so that one outside is
    # NOT_FOUND as for a missing ID; this refusal is the backstop for callers without a row rule.
    if actor.township_scope and scope.township_code not in actor.township_scope:
        raise forbidden(f"you act only on enterprises in townships {', '.join(actor.township_scope)}")


async def team_ids_of(actor: Staff) -> set[int]:
    # Tortoise types values_list(flat=True) as tuples; it gives the values themselves.
    return set(cast(list[int], await TeamMember.filter(staff_id=actor.id).values_list("team_id", flat=True)))
