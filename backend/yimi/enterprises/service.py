"""Enterprise queries: filtering, ordering and the map layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from yimi.common.geo import BBox, feature_collection, point_feature
from yimi.enterprises.models import Enterprise, RiskColor
from yimi.issues.models import OPEN_STATUSES, Issue
from yimi.issues.warning import SEVERITY, warning_color

OPEN_VALUES = [s.value for s in OPEN_STATUSES]


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


def enterprise_queryset(criteria: EnterpriseCriteria) -> QuerySet[Enterprise]:
    qs = Enterprise.all()
    c = criteria
    if c.township_codes is not None:
        qs = qs.filter(township__code__in=c.township_codes)
    if c.search:
        text = c.search.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(uscc__istartswith=text))
    if c.above_scale is not None:
        qs = qs.filter(above_scale=c.above_scale)
    if c.industries is not None:
        qs = qs.filter(industry__in=c.industries)
    if c.chains is not None:
        qs = qs.filter(chain__in=c.chains)
    if c.risk_colors:
        qs = qs.filter(risk_color__in=[r.value for r in c.risk_colors])
    if c.commissioner_id is not None:
        qs = qs.filter(commissioner_id=c.commissioner_id)
    if c.bbox is not None:
        b = c.bbox
        qs = qs.filter(lon__gte=b.west, lon__lte=b.east, lat__gte=b.south, lat__lte=b.north)
    if c.has_open_issues is not None:
        with_open = Subquery(Issue.filter(status__in=OPEN_VALUES).values("enterprise_id"))
        qs = qs.filter(id__in=with_open) if c.has_open_issues else qs.exclude(id__in=with_open)
    return qs


def ordered(qs: QuerySet[Enterprise], order_field: EnterpriseOrderField, descending: bool) -> QuerySet[Enterprise]:
    sign = "-" if descending else ""
    if order_field == EnterpriseOrderField.OPEN_ISSUE_COUNT:
        qs = qs.annotate(open_issue_count=Count("issues", _filter=Q(issues__status__in=OPEN_VALUES)))
    return qs.order_by(f"{sign}{order_field.value}", f"{sign}id")


async def map_layer(criteria: EnterpriseCriteria, now: datetime, global_id) -> dict:
    """All matching enterprises as one GeoJSON FeatureCollection of points.

    Two queries whatever the size: the points, and the open issues of the matching enterprises.
    """
    qs = enterprise_queryset(criteria)
    points = await qs.order_by("id").values_list("id", "lon", "lat")
    worst: dict[int, int] = {}
    counts: dict[int, int] = {}
    open_issues = await Issue.filter(status__in=OPEN_VALUES, enterprise_id__in=Subquery(qs.values("id"))).values_list(
        "enterprise_id", "status", "yellow_at", "orange_at", "deadline"
    )
    for enterprise_id, status, yellow_at, orange_at, deadline in open_issues:
        color = warning_color(status, yellow_at, orange_at, deadline, now)
        counts[enterprise_id] = counts.get(enterprise_id, 0) + 1
        worst[enterprise_id] = max(worst.get(enterprise_id, -1), SEVERITY[color])
    by_severity = {v: k.name for k, v in SEVERITY.items()}  # the GraphQL enum names
    return feature_collection(
        [
            point_feature(
                lon,
                lat,
                {
                    "id": global_id(enterprise_id),
                    "warningColor": by_severity.get(worst.get(enterprise_id, -1)),
                    "openIssueCount": counts.get(enterprise_id, 0),
                },
            )
            for enterprise_id, lon, lat in points
        ]
    )
