from __future__ import annotations

import strawberry

from yimi.common.pagination import Connection, paginate
from yimi.graphql.context import Info
from yimi.townships.service import BY_CODE, TownshipCriteria, township_queryset
from yimi.townships.types import Township, TownshipFilter


@strawberry.type
class TownshipQuery:
    @strawberry.field(description="Townships with their outlines and figures, by code.")
    async def townships(
        self, info: Info, filter: TownshipFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Township]:
        criteria = filter.to_criteria() if filter else TownshipCriteria()
        return await paginate(township_queryset(criteria), BY_CODE, first, after, Township.from_model)
