"""Who may change a team's coverage: admins and dispatchers (within their township scope, which
``set_team_coverage`` checks against the townships the change touches).

(The shared parts and where the other rules live: ``yimi.accounts.action_rules``.)
"""

from __future__ import annotations

from yimi.accounts.action_rules import roles_of
from yimi.accounts.models import Role, Staff
from yimi.common.errors import ServiceError


def authorize_set_coverage(actor: Staff | None) -> Staff:
    if actor is None:
        raise ServiceError(None, "UNAUTHENTICATED", "sign in to change a team's coverage")
    if not roles_of(actor) & {Role.ADMIN, Role.DISPATCHER}:
        raise ServiceError(None, "FORBIDDEN", "only an admin or a dispatcher may change a team's coverage")
    return actor
