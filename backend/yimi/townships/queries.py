from __future__ import annotations

import strawberry

from yimi.common.pagination import Connection, paginate_queryset
from yimi.graphql.context import Info
from yimi.townships.service import TownshipCriteria, township_queryset
from yimi.townships.types import Township, TownshipFilter


@strawberry.type
class TownshipQuery:
    @strawberry.field(description="Townships with their outlines and figures, by code.")
    async def townships(
        self, info: Info, filter: TownshipFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Township]:
        criteria = filter.to_criteria() if filter else TownshipCriteria()
        return await paginate_queryset(township_queryset(criteria), first, after, Township.from_model)
