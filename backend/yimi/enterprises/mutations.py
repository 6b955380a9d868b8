"""Visits (走访) and commissioners (服务专员): thin resolvers over EnterpriseService."""

from __future__ import annotations

from datetime import date

import strawberry

from yimi.common.payloads import UserError, global_id, run
from yimi.enterprises.service import MAX_VISIT_ISSUES, EnterpriseService
from yimi.enterprises.types import Enterprise, Visit
from yimi.graphql.context import Info
from yimi.issues.models import IssueCategory, IssuePriority, IssueSource
from yimi.issues.mutations import DESCRIPTION, TITLE, changed
from yimi.issues.service import IssueDraft
from yimi.issues.types import Issue


@strawberry.input(description="An issue the enterprise raised during a visit (reported with source VISIT).")
class VisitIssueInput:
    category: IssueCategory
    title: str = strawberry.field(description=TITLE)
    priority: IssuePriority = IssuePriority.NORMAL
    description: str = strawberry.field(default="", description=DESCRIPTION)


@strawberry.input(description="A visit to an enterprise, by a team or a commissioner.")
class RecordVisitInput:
    enterprise_id: strawberry.ID
    visited_on: date
    team_id: strawberry.ID | None = strawberry.field(default=None, description="The visiting team.")
    commissioner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The visiting commissioner; a commissioner may leave both out for their own visit."
    )
    notes: str = strawberry.field(default="", description=DESCRIPTION)
    issues: list[VisitIssueInput] = strawberry.field(
        default_factory=list,
        description=f"Issues raised during the visit, reported with it; at most {MAX_VISIT_ISSUES}.",
    )


@strawberry.type
class RecordVisitPayload:
    visit: Visit | None = None
    issues: list[Issue] = strawberry.field(default_factory=list, description="The issues reported with the visit.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Assign an enterprise's commissioner (服务专员); null leaves it without one.")
class AssignCommissionerInput:
    enterprise_id: strawberry.ID
    commissioner_id: strawberry.ID | None = None


@strawberry.type
class AssignCommissionerPayload:
    enterprise: Enterprise | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def service(info: Info) -> EnterpriseService:
    c = info.context
    return EnterpriseService(c.user, c.settings, c.now, c.broker)


@strawberry.type
class EnterpriseMutation:
    @strawberry.mutation(description="Record a visit (走访), and report the issues raised during it.")
    async def record_visit(self, info: Info, input: RecordVisitInput) -> RecordVisitPayload:
        async def work():
            visit, issues = await service(info).record_visit(
                global_id(input.enterprise_id, "enterpriseId", "Enterprise"),
                input.visited_on,
                global_id(input.team_id, "teamId", "ServiceTeam") if input.team_id else None,
                global_id(input.commissioner_id, "commissionerId", "Staff") if input.commissioner_id else None,
                input.notes,
                [IssueDraft(i.category, i.title, IssueSource.VISIT, i.priority, i.description) for i in input.issues],
            )
            return RecordVisitPayload(visit=Visit.from_model(visit), issues=[changed(info, i) for i in issues])

        return await run(RecordVisitPayload, work)

    @strawberry.mutation(description="Assign (or remove) an enterprise's commissioner.")
    async def assign_commissioner(self, info: Info, input: AssignCommissionerInput) -> AssignCommissionerPayload:
        async def work():
            enterprise = await service(info).assign_commissioner(
                global_id(input.enterprise_id, "enterpriseId", "Enterprise"),
                global_id(input.commissioner_id, "commissionerId", "Staff") if input.commissioner_id else None,
            )
            info.context.loaders.enterprises.by_id.prime(enterprise.id, enterprise, force=True)
            return AssignCommissionerPayload(enterprise=Enterprise.from_model(enterprise))

        return await run(AssignCommissionerPayload, work)
