"""Who may record visits (走访) and assign commissioners (服务专员).

(The shared parts and where the other rules live: ``yimi.accounts.action_rules``.)

- admin and dispatcher: both;
- team member: visits made by a team they belong to, to enterprises in a township it covers;
- commissioner: their own visits to the enterprises they are commissioner of;
- viewer, and anyone else: neither.
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
from yimi.accounts.models import Role, Staff
from yimi.teams.models import TeamCoverage


async def authorize_visit(actor: Staff | None, scope: Scope, team_id: int | None, commissioner_id: int | None) -> Staff:
    """Raises unless ``actor`` may record a visit by ``team_id`` / ``commissioner_id``."""
    actor = require_signed_in(actor)
    check_township(actor, scope)
    roles = roles_of(actor)
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
        raise forbidden(
            "you may record only visits of a team you belong to to a township it covers, or your own "
            "visits to the enterprises you are commissioner of"
        )
    raise forbidden(f"your roles ({describe_roles(roles)}) do not allow you to record visits")


def authorize_assign_commissioner(actor: Staff | None, scope: Scope) -> Staff:
    actor = require_signed_in(actor)
    check_township(actor, scope)
    roles = roles_of(actor)
    if roles & {Role.ADMIN, Role.DISPATCHER}:
        return actor
    raise forbidden(f"your roles ({describe_roles(roles)}) do not allow you to assign commissioners")
