"""Township queries."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from yimi.common.figures import TOWNSHIP_FIGURES
from yimi.common.filters import fitting
from yimi.common.pagination import Ordering, SortKey
from yimi.townships.models import Township, TownshipKind


@dataclass
class TownshipCriteria:
    codes: list[str] | None = None
    county_codes: list[str] | None = None
    kinds: list[TownshipKind] | None = None
    search: str | None = None


def township_queryset(criteria: TownshipCriteria) -> QuerySet[Township]:
    qs = Township.all()
    c = criteria
    if c.codes is not None:
        qs = qs.filter(code__in=fitting(c.codes, Township, "code"))
    if c.county_codes is not None:
        qs = qs.filter(county_code__in=fitting(c.county_codes, Township, "county_code"))
    if c.kinds:
        qs = qs.filter(kind__in=[k.value for k in c.kinds])
    if c.search:
        qs = qs.filter(Q(name__icontains=c.search.strip()) | Q(code__startswith=c.search.strip()))
    return qs.only(*Township.LIGHT_FIELDS).annotate(**TOWNSHIP_FIGURES).order_by("code")


# Townships are listed by code, as people know them.
BY_CODE = Ordering("townships.code.asc", (SortKey("code", "str"),))


def township_kind(code: str) -> TownshipKind:
    """From the last three digits of a statistical township code (GB/T 10114 practice)."""
    n = int(code[-3:])
    if n < 100:
        return TownshipKind.SUBDISTRICT
    if n < 200:
        return TownshipKind.TOWN
    if n < 400:
        return TownshipKind.TOWNSHIP
    return TownshipKind.PARK
