from __future__ import annotations

import json

import orjson
import strawberry
from starlette.websockets import WebSocket
from strawberry.scalars import JSON

from yimi.common.enums import OrderDirection
from yimi.common.pagination import Connection, paginate
from yimi.enterprises.map_layer import map_cache_of
from yimi.enterprises.service import EnterpriseCriteria, enterprise_queryset, ordering
from yimi.enterprises.types import Enterprise, EnterpriseFilter, EnterpriseOrder
from yimi.graphql.context import Info


@strawberry.type
class EnterpriseQuery:
    @strawberry.field(description="Enterprises matching the filter.")
    async def enterprises(
        self,
        info: Info,
        filter: EnterpriseFilter | None = None,
        order_by: EnterpriseOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Enterprise]:
        criteria = filter.to_criteria() if filter else EnterpriseCriteria()
        order = order_by or EnterpriseOrder()
        access = info.context.access
        order_of_list = ordering(order.field, order.direction == OrderDirection.DESC, access)
        return await paginate(enterprise_queryset(criteria, access), order_of_list, first, after, Enterprise.from_model)

    @strawberry.field(
        description=(
            "Every matching enterprise as one GeoJSON FeatureCollection of points; properties: id, "
            "warningColor (of the worst open issue, null if none) and openIssueCount (both null for "
            "callers without access to figures)."
        )
    )
    async def map_layer(self, info: Info, filter: EnterpriseFilter | None = None) -> JSON:
        criteria = filter.to_criteria() if filter else EnterpriseCriteria()
        context = info.context
        layer = await map_cache_of(context).get(criteria, context.access, context.now, context.data_version)
        if isinstance(context.request, WebSocket):
            # Strawberry's encoder writes WebSocket messages, and it cannot embed JSON text.
            return JSON(json.loads(layer.json))
        # Embedded as it is by the HTTP encoder (orjson, yimi.graphql.encoding): no second encoding.
        return JSON(orjson.Fragment(layer.json))
