from __future__ import annotations

import strawberry

from yimi.accounts.read_rules import Grant
from yimi.common.enums import OrderDirection
from yimi.common.pagination import Connection, paginate
from yimi.graphql.context import Info
from yimi.graphql.field_rules import needs
from yimi.issues.filters import IssueCriteria, issue_queryset, ordered
from yimi.issues.summary import issue_summary
from yimi.issues.types import Issue, IssueFigures, IssueFilter, IssueOrder, IssueSummary, TownshipIssueFigures


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
            issue_queryset(criteria, info.context.at, info.context.access),
            order.field,
            order.direction == OrderDirection.DESC,
            criteria.statuses,
        )
        return await paginate(qs, order_of_list, first, after, Issue.from_model)

    @strawberry.field(
        description="Figures over the issues the filter selects, counted as the `issues` query lists them (the "
        "same filter, and only the issues you may read): the county's open, overdue, due this week, on-time "
        "and satisfaction figures, and each township's (byTownship). Open: reported, dispatched, in progress, "
        "returned or reopened; overdue: open past its deadline; due this week: open, not overdue, due before "
        "Sunday 24:00 county time; on-time rate: resolved (or closed) no later than the deadline, of those "
        "resolved; satisfaction rate: satisfied or basically satisfied, of those rated.",
        extensions=needs(Grant.ISSUES),
    )
    async def issue_summary(self, info: Info, filter: IssueFilter | None = None) -> IssueSummary:
        c = info.context
        criteria = filter.to_criteria(c.settings.timezone) if filter else IssueCriteria()
        county, by_township = await issue_summary(criteria, c.now, c.access, c.settings.timezone)
        townships = [TownshipIssueFigures(township_id=tid, **IssueFigures.values(f)) for tid, f in by_township.items()]
        return IssueSummary(by_township=townships, **IssueFigures.values(county))
