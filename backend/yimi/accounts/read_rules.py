"""Read rules: who may read what, for every domain — the grants and row rules of the three audiences.

(Who may *do* what lives in each domain's ``action_rules``; see ``yimi.accounts.action_rules``.)

An ``Access`` is built for every request from the caller — a member of staff, a partner token, or
nobody (the public) — and carries:

* grants: which kinds of data the caller may read at all (``Grant``). Field rules check them on
  the fields (``yimi.graphql.field_rules.needs``); the querysets below check them too, so that a
  resolver reaching rows through a service or a loader cannot skip them;
* row rules: the querysets of the enterprises and issues the caller may see. Every query, loader
  and subscription starts from ``Access.enterprises()`` / ``Access.issues()``.

The policy (DESIGN.md "Who sees what"):

* public: township names and outlines, team names, and suppressed aggregates (``statistics``);
* staff, whatever their roles: everything the public reads plus enterprises with their contacts,
  exact figures, people's names, issues with their free text. Issue rows: admin, dispatcher and
  viewer see all issues; a team member the issues dispatched to their teams (lead or co-handler,
  now or before) and those raised during their teams' visits; a commissioner the issues of the
  enterprises they are commissioner of. A township scope limits enterprises and issues to those
  townships, whatever the role;
* partner token: the public's reads plus its scopes (``SCOPE_GRANTS``), limited to the token's
  townships and, for issues, categories. Never people's names.

Aggregates (counts on townships, teams and enterprises) are not row-ruled: they are figures, not
records, and staff — and tokens with stats:read, whatever their township limits — see them for
the whole county. Filters and orderings over figures (hasOpenIssues, OPEN_ISSUE_COUNT) need the
figures grant too, and text search looks only into text the caller may read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import reduce
from operator import or_
from typing import cast

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from graphql import GraphQLError
from yimi.accounts.action_rules import roles_of, team_ids_of
from yimi.accounts.models import PartnerToken, Role, Staff
from yimi.enterprises.models import Enterprise, Visit
from yimi.issues.models import DispatchOrder, ExtensionRequest, Issue
from yimi.townships.models import Township


class Grant(str, Enum):
    TOWNSHIPS = "townships"  # names, kinds, seats, outlines
    TEAMS = "teams"  # team names, kinds, specialities, coverage, departments
    STATISTICS = "statistics"  # suppressed aggregates
    FIGURES = "figures"  # exact counts and rates on townships, teams and enterprises
    ENTERPRISES = "enterprises"  # enterprise records, visits, the map layer
    CONTACTS = "contacts"  # an enterprise's contact person and phone
    ISSUES = "issues"  # issue records (row rules apply)
    ISSUE_DETAILS = "issue_details"  # descriptions, resolutions, comments, timelines, notes, reasons
    PEOPLE = "people"  # staff: who they are, who leads, who acted


PUBLIC = frozenset({Grant.TOWNSHIPS, Grant.TEAMS, Grant.STATISTICS})
STAFF = frozenset(Grant)

# What each partner-token scope adds to the public's reads.
SCOPE_GRANTS: dict[str, frozenset[Grant]] = {
    "enterprises:read": frozenset({Grant.ENTERPRISES}),
    "enterprises:contacts": frozenset({Grant.CONTACTS}),
    "issues:read": frozenset({Grant.ISSUES}),
    "issues:details": frozenset({Grant.ISSUE_DETAILS}),
    "issues:report": frozenset(),  # an act, not a read: see yimi.issues.action_rules
    "stats:read": frozenset({Grant.FIGURES}),
}

# What a caller who lacks a grant is told it takes.
NEEDS = {
    Grant.FIGURES: "exact figures need a staff sign-in or a token with the stats:read scope "
    "(the public reads the suppressed `statistics`)",
    Grant.ENTERPRISES: "enterprises need a staff sign-in or a token with the enterprises:read scope",
    Grant.CONTACTS: "contact person and phone need a staff sign-in or a token with the enterprises:contacts scope",
    Grant.ISSUES: "issues need a staff sign-in or a token with the issues:read scope",
    Grant.ISSUE_DETAILS: "issue descriptions, notes and timelines need a staff sign-in or a token "
    "with the issues:details scope",
    Grant.PEOPLE: "people's names and roles are for signed-in staff only",
    Grant.TOWNSHIPS: "townships are public",
    Grant.TEAMS: "teams are public",
    Grant.STATISTICS: "statistics are public",
}

# Scopes that make no sense alone: an issue names its enterprise, contacts belong to enterprises.
SCOPE_REQUIRES = {
    "issues:read": "enterprises:read",
    "enterprises:contacts": "enterprises:read",
    "issues:details": "issues:read",
}

# Roles that read every issue (within a township scope).
ALL_ISSUES_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER, Role.VIEWER})


class AccessDenied(GraphQLError):
    """A read the caller's role does not allow; UNAUTHENTICATED for the public, else FORBIDDEN."""

    def __init__(self, grant: Grant, public: bool):
        super().__init__(
            ("Sign in first: " if public else "Not allowed: ") + NEEDS[grant],
            extensions={"code": "UNAUTHENTICATED" if public else "FORBIDDEN", "needs": grant.value},
        )


@dataclass(frozen=True)
class Access:
    grants: frozenset[Grant]
    staff: Staff | None = None
    token: PartnerToken | None = None
    # None: every township; else only enterprises (and their issues) in these.
    township_ids: frozenset[int] | None = None
    # None: every category; else only issues of these (partner tokens).
    categories: frozenset[str] | None = None
    # Issue rows beyond the township and category limits; None: no further limit.
    issue_rule: Q | None = None

    @property
    def is_public(self) -> bool:
        return self.staff is None and self.token is None

    def allows(self, grant: Grant) -> bool:
        return grant in self.grants

    def require(self, grant: Grant) -> None:
        if grant not in self.grants:
            raise AccessDenied(grant, self.is_public)

    # -- rows ---------------------------------------------------------------------------------

    def enterprises(self) -> QuerySet[Enterprise]:
        """The enterprises the caller may read; AccessDenied without the grant."""
        self.require(Grant.ENTERPRISES)
        qs = Enterprise.all()
        if self.township_ids is not None:
            qs = qs.filter(township_id__in=list(self.township_ids))
        return qs

    def visits(self) -> QuerySet[Visit]:
        self.require(Grant.ENTERPRISES)
        qs = Visit.all()
        if self.township_ids is not None:
            qs = qs.filter(enterprise__township_id__in=list(self.township_ids))
        return qs

    def issues(self) -> QuerySet[Issue]:
        """The issues the caller may read; AccessDenied without the grant."""
        self.require(Grant.ISSUES)
        qs = Issue.all()
        if self.township_ids is not None:
            in_townships = Enterprise.filter(township_id__in=list(self.township_ids)).values("id")
            qs = qs.filter(enterprise_id__in=Subquery(in_townships))
        if self.categories is not None:
            qs = qs.filter(category__in=sorted(self.categories))
        if self.issue_rule is not None:
            qs = qs.filter(self.issue_rule)
        return qs

    @property
    def sees_every_issue(self) -> bool:
        return (
            Grant.ISSUES in self.grants
            and self.township_ids is None
            and self.categories is None
            and self.issue_rule is None
        )

    def extension_requests(self) -> QuerySet[ExtensionRequest]:
        qs = ExtensionRequest.all()
        if not self.sees_every_issue:
            qs = qs.filter(issue_id__in=Subquery(self.issues().values("id")))
        return qs


PUBLIC_ACCESS = Access(grants=PUBLIC)
NO_ROWS = Q(id__isnull=True)  # primary keys are never null


async def _township_ids(codes: list[str]) -> frozenset[int] | None:
    if not codes:
        return None
    # Tortoise types values_list(flat=True) as tuples; it gives the values themselves.
    return frozenset(cast(list[int], await Township.filter(code__in=codes).values_list("id", flat=True)))


async def staff_access(staff: Staff) -> Access:
    roles = roles_of(staff)
    if not roles:
        # A login without a role reads what the public reads.
        return Access(grants=PUBLIC, staff=staff)
    rule = None
    if not roles & ALL_ISSUES_ROLES:
        opened = [NO_ROWS]
        if Role.TEAM_MEMBER in roles:
            teams = sorted(await team_ids_of(staff))
            if teams:
                ordered = Subquery(DispatchOrder.filter(team_id__in=teams).values("issue_id"))
                visited = Subquery(Visit.filter(team_id__in=teams).values("id"))
                opened += [Q(lead_team_id__in=teams), Q(id__in=ordered), Q(visit_id__in=visited)]
        if Role.COMMISSIONER in roles:
            opened.append(Q(enterprise_id__in=Subquery(Enterprise.filter(commissioner_id=staff.id).values("id"))))
        rule = reduce(or_, opened)
    return Access(
        grants=STAFF,
        staff=staff,
        township_ids=await _township_ids(list(staff.township_scope or [])),
        issue_rule=rule,
    )


async def token_access(token: PartnerToken) -> Access:
    grants = set(PUBLIC)
    for scope in token.scopes:
        grants |= SCOPE_GRANTS.get(scope, frozenset())
    return Access(
        grants=frozenset(grants),
        token=token,
        township_ids=await _township_ids(list(token.township_codes or [])),
        categories=frozenset(token.categories) if token.categories else None,
    )


def _live_token(token: PartnerToken, now: datetime) -> QuerySet[PartnerToken]:
    return PartnerToken.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), id=token.id, revoked_at=None)


def _live_staff(staff: Staff) -> QuerySet[Staff]:
    # Still at the session version it was signed in with: a sign-out anywhere, a new password or
    # disabling bumps it (yimi.accounts.service.end_sessions).
    return Staff.filter(id=staff.id, is_active=True, session_version=staff.session_version)


async def refreshed(access: Access, now: datetime) -> Access | None:
    """``access`` rebuilt from the stored caller (roles, teams, scopes may have changed since), or
    None when the caller is gone: staff disabled, signed out or given a new password, token
    revoked or expired. For WebSocket connections, whose access was decided when they opened."""
    if access.token is not None:
        token = await _live_token(access.token, now).first()
        return await token_access(token) if token is not None else None
    if access.staff is not None:
        staff = await _live_staff(access.staff).first()
        return await staff_access(staff) if staff is not None else None
    return access


async def still_allowed(access: Access, now: datetime) -> bool:
    """Whether the caller behind ``access`` is still there (see ``refreshed``): one query by primary key."""
    if access.token is not None:
        return await _live_token(access.token, now).exists()
    if access.staff is not None:
        return await _live_staff(access.staff).exists()
    return True


async def access_for(staff: Staff | None, token: PartnerToken | None) -> Access:
    if token is not None:
        return await token_access(token)
    if staff is not None:
        return await staff_access(staff)
    return PUBLIC_ACCESS
