from __future__ import annotations

import strawberry

from yimi.common.enums import OrderDirection
from yimi.common.pagination import Connection, paginate
from yimi.graphql.context import Info
from yimi.issues.filters import IssueCriteria, issue_queryset, ordered
from yimi.issues.types import Issue, IssueFilter, IssueOrder


@strawberry.type
class IssueQuery:
    @strawberry.field(description="Issues matching the filter; newest first unless ordered otherwise.")
    async def issues(
        self,
        info: Info,
        filter: IssueFilter | None = None,
        order_by: IssueOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Issue]:
        criteria = filter.to_criteria(info.context.settings.timezone) if filter else IssueCriteria()
        order = order_by or IssueOrder()
        qs, order_of_list = ordered(
            issue_queryset(criteria, info.context.now, info.context.access),
            order.field,
            order.direction == OrderDirection.DESC,
            criteria.statuses,
        )
        return await paginate(qs, order_of_list, first, after, Issue.from_model)
