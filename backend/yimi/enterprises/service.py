"""Enterprises: the queries (filtering, ordering, the map layer), visits and commissioners."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from yimi.accounts.action_rules import require_signed_in
from yimi.accounts.models import Role, Staff
from yimi.accounts.read_rules import Access, Grant
from yimi.accounts.service import has_role
from yimi.common.errors import ServiceError
from yimi.common.figures import ENTERPRISE_FIGURES, OPEN_ISSUES
from yimi.common.filters import fitting
from yimi.common.geo import BBox
from yimi.common.pagination import Ordering, SortKey
from yimi.common.text import MAX_DESCRIPTION, checked_field
from yimi.enterprises.action_rules import authorize_assign_commissioner, authorize_visit
from yimi.enterprises.models import CommissionerAssignment, Enterprise, RiskColor, Visit
from yimi.issues.models import Issue, IssueSource
from yimi.issues.service import IssueDraft, IssueWorkflow, enterprise_scope, retry_numbering
from yimi.issues.workflow import Action
from yimi.settings import Settings
from yimi.teams.models import ServiceTeam
from yimi.townships.models import Township


class EnterpriseOrderField(str, Enum):
    NAME = "name"
    USCC = "uscc"
    CREATED_AT = "created_at"
    OPEN_ISSUE_COUNT = "open_issue_count"


@dataclass
class EnterpriseCriteria:
    township_codes: list[str] | None = None
    search: str | None = None
    above_scale: bool | None = None
    industries: list[str] | None = None
    chains: list[str] | None = None
    risk_colors: list[RiskColor] = field(default_factory=list)
    has_open_issues: bool | None = None
    bbox: BBox | None = None
    commissioner_id: int | None = None


def enterprise_queryset(criteria: EnterpriseCriteria, access: Access) -> QuerySet[Enterprise]:
    """The enterprises ``access`` may see that match ``criteria``, each with its open-issue count."""
    qs = access.enterprises().annotate(**ENTERPRISE_FIGURES)
    c = criteria
    if c.township_codes is not None:
        qs = qs.filter(township__code__in=fitting(c.township_codes, Township, "code"))
    if c.search:
        text = c.search.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(uscc__istartswith=text))
    if c.above_scale is not None:
        qs = qs.filter(above_scale=c.above_scale)
    if c.industries is not None:
        qs = qs.filter(industry__in=fitting(c.industries, Enterprise, "industry"))
    if c.chains is not None:
        qs = qs.filter(chain__in=fitting(c.chains, Enterprise, "chain"))
    if c.risk_colors:
        qs = qs.filter(risk_color__in=[r.value for r in c.risk_colors])
    if c.commissioner_id is not None:
        qs = qs.filter(commissioner_id=c.commissioner_id)
    if c.bbox is not None:
        b = c.bbox
        qs = qs.filter(lon__gte=b.west, lon__lte=b.east, lat__gte=b.south, lat__lte=b.north)
    if c.has_open_issues is not None:
        access.require(Grant.FIGURES)  # whether an enterprise has open issues is a figure
        qs = qs.filter(**{f"{OPEN_ISSUES}__gt" if c.has_open_issues else OPEN_ISSUES: 0})
    return qs


# The sort value of each order, as it travels in cursors.
_SORT_KEYS = {
    EnterpriseOrderField.NAME: SortKey("name", "str"),
    EnterpriseOrderField.USCC: SortKey("uscc", "str"),
    EnterpriseOrderField.CREATED_AT: SortKey("created_at", "datetime"),
    EnterpriseOrderField.OPEN_ISSUE_COUNT: SortKey(OPEN_ISSUES, "int"),
}


def ordering(order_field: EnterpriseOrderField, descending: bool, access: Access) -> Ordering:
    """The order of an enterprise list (ties broken by id); an order by a figure needs the figures."""
    if order_field == EnterpriseOrderField.OPEN_ISSUE_COUNT:
        access.require(Grant.FIGURES)
    direction = "desc" if descending else "asc"
    return Ordering(f"enterprises.{order_field.value}.{direction}", (_SORT_KEYS[order_field],), descending)


# ------------------------------------------------------------------------------------------------
# Visits (走访) and commissioners (服务专员)


# Issues raised during one visit: a visit is one conversation across a table.
MAX_VISIT_ISSUES = 20


class EnterpriseService:
    """Changes to enterprises on behalf of ``actor``: visits and commissioner assignments."""

    def __init__(self, actor: Staff | None, settings: Settings, now: datetime | None = None, broker: Any = None):
        self.actor = actor
        self.settings = settings
        self.now = now or datetime.now(UTC)
        self.broker = broker

    async def record_visit(
        self,
        enterprise_id: int,
        visited_on: date,
        team_id: int | None = None,
        commissioner_id: int | None = None,
        notes: str = "",
        issues: Sequence[IssueDraft] = (),
    ) -> tuple[Visit, list[Issue]]:
        """Records a visit by a team or a commissioner, with the issues the enterprise raised
        during it (reported at once, source `visit`), in one transaction.

        Without a team or a commissioner, a commissioner records their own visit.
        """
        actor = require_signed_in(self.actor)
        today = self.now.astimezone(ZoneInfo(self.settings.timezone)).date()
        if visited_on > today:
            raise ServiceError(
                "visitedOn", "OUT_OF_RANGE", f"a visit cannot be recorded ahead of time (today is {today})"
            )
        notes = checked_field(notes, "notes", MAX_DESCRIPTION)
        if len(issues) > MAX_VISIT_ISSUES:
            raise ServiceError("issues", "TOO_MANY", f"at most {MAX_VISIT_ISSUES} issues per visit, got {len(issues)}")
        drafts = [replace(d, source=IssueSource.VISIT).validated(f"issues[{i}].") for i, d in enumerate(issues)]
        scope = await enterprise_scope(enterprise_id, actor.township_scope)
        if scope is None:
            raise ServiceError("enterpriseId", "NOT_FOUND", "no such enterprise")
        if team_id is None and commissioner_id is None:
            if not has_role(actor, Role.COMMISSIONER):
                raise ServiceError(
                    "teamId", "REQUIRED", "a visit is made by a team or a commissioner: give one of them"
                )
            commissioner_id = actor.id
        if team_id is not None and not await ServiceTeam.filter(id=team_id).exists():
            raise ServiceError("teamId", "NOT_FOUND", "no such service team")
        if commissioner_id is not None:
            await self._commissioner(commissioner_id)
        await authorize_visit(actor, scope, team_id, commissioner_id)
        workflow = IssueWorkflow(actor, self.settings, self.now, self.broker)

        async def work() -> tuple[Visit, list[Issue]]:
            async with in_transaction() as conn:
                visit = await Visit.create(
                    using_db=conn,
                    enterprise_id=enterprise_id,
                    team_id=team_id,
                    commissioner_id=commissioner_id,
                    visited_on=visited_on,
                    notes=notes,
                )
                return visit, await workflow.insert_issues(conn, enterprise_id, drafts, visit.id)

        visit, reported = await retry_numbering(work)
        for issue in reported:
            await workflow.publish(issue, Action.REPORT)
        return visit, reported

    async def assign_commissioner(self, enterprise_id: int, commissioner_id: int | None) -> Enterprise:
        """Makes ``commissioner_id`` the enterprise's commissioner (None: nobody)."""
        actor = require_signed_in(self.actor)
        scope = await enterprise_scope(enterprise_id, actor.township_scope)
        if scope is None:
            raise ServiceError("enterpriseId", "NOT_FOUND", "no such enterprise")
        if commissioner_id is not None:
            await self._commissioner(commissioner_id)
        authorize_assign_commissioner(actor, scope)
        async with in_transaction() as conn:
            # The change and its audit line together, or neither.
            enterprise = await Enterprise.filter(id=enterprise_id).using_db(conn).first()
            if enterprise is None:  # deleted since the scope was read
                raise ServiceError("enterpriseId", "NOT_FOUND", "no such enterprise")
            previous = enterprise.commissioner_id
            await Enterprise.filter(id=enterprise_id).using_db(conn).update(commissioner_id=commissioner_id)
            await CommissionerAssignment.create(
                using_db=conn,
                enterprise_id=enterprise_id,
                commissioner_id=commissioner_id,
                previous_commissioner_id=previous,
                assigned_by_id=actor.id,
                assigned_at=self.now,
            )
        return await Enterprise.get(id=enterprise_id)

    async def _commissioner(self, staff_id: int) -> Staff:
        staff = await Staff.get_or_none(id=staff_id)
        if staff is None:
            raise ServiceError("commissionerId", "NOT_FOUND", "no such member of staff")
        if not staff.is_active or not has_role(staff, Role.COMMISSIONER):
            raise ServiceError("commissionerId", "INVALID", f"{staff.name} is not an active commissioner")
        return staff
