from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import strawberry

from yimi.accounts.read_rules import Grant
from yimi.common.errors import UserInputError
from yimi.graphql.context import Info
from yimi.stats.cache import public_statistics
from yimi.stats.types import IssueStatistics

FIRST_YEAR = 2000


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        description="Public issue figures for one year: the county's total, by township, by category and by "
        "month, with the year's headline figures, as last released (monthly; see releasedAt). Anyone may read "
        "them; small counts, and counts that would let one be worked out, are withheld and read as the range "
        "the published figures allow."
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
        entry = await public_statistics.get(year, ctx.now, ctx.settings)
        if entry is None:
            raise UserInputError("year", f"no figures have been released for {year}; see statisticsYears")
        return entry.answer

    @strawberry.field(
        description="Years with released figures (released once at least the threshold of issues was reported), "
        "ascending."
    )
    async def statistics_years(self, info: Info) -> list[int]:
        ctx = info.context
        ctx.access.require(Grant.STATISTICS)
        return await public_statistics.years(ctx.now, ctx.settings)
