from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import strawberry

from yimi.accounts.read_rules import Grant
from yimi.common.errors import UserInputError
from yimi.graphql.context import Info
from yimi.stats.service import statistics
from yimi.stats.types import IssueStatistics

FIRST_YEAR = 2000


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        description="Public issue figures for one year: the county's total, by township and by category. "
        'Anyone may read them; small counts read "<5".'
    )
    async def statistics(
        self,
        info: Info,
        year: Annotated[int | None, strawberry.argument(description="Reporting year; this year by default.")] = None,
    ) -> IssueStatistics:
        ctx = info.context
        ctx.access.require(Grant.STATISTICS)
        this_year = ctx.now.astimezone(ZoneInfo(ctx.settings.timezone)).year
        year = this_year if year is None else year
        if not FIRST_YEAR <= year <= this_year:
            raise UserInputError("year", f"must be between {FIRST_YEAR} and {this_year}")
        return IssueStatistics.from_data(year, await statistics(year, ctx.now, ctx.settings.timezone))
