from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from yimi.stats import service


@strawberry.enum(description="Why a count is withheld.")
class WithheldReason(Enum):
    WITHHELD = strawberry.enum_value(
        "WITHHELD",
        description="Below the threshold, or withheld so that a count below it cannot be worked out. One reason "
        "for both: telling them apart would say the second kind is at least the threshold, which can pin the "
        "small one (reported 5, open small: resolved would be 5 and open 0).",
    )


@strawberry.type(
    description="A count anyone may read: the exact value, or withheld (不公开) with the range the published "
    "figures already imply."
)
class PublicCount:
    value: int | None = strawberry.field(description="The count; null when withheld.")
    withheld: bool
    low: int = strawberry.field(
        description="Smallest value consistent with everything published (the value when published)."
    )
    high: int = strawberry.field(
        description="Largest value consistent with everything published (the value when published); when "
        "withheld, at least `threshold` values from low."
    )
    reason: WithheldReason | None = strawberry.field(description="Null when published.")


def public_count(value: int | None, low: int, high: int) -> PublicCount:
    if value is not None:
        return PublicCount(value=value, withheld=False, low=value, high=value, reason=None)
    return PublicCount(value=None, withheld=True, low=low, high=high, reason=WithheldReason.WITHHELD)


def _count(cell: service.Cell, measure: str) -> PublicCount:
    low, high = cell.bounds(measure)
    return public_count(cell.published(measure), low, high)


def _figure(figure: service.Figure) -> PublicCount:
    return public_count(figure.published(), figure.low, figure.high)


@strawberry.type(description="Issue figures of a group, withheld where small.")
class StatisticsRow:
    key: str = strawberry.field(description="Township code, category name, month (YYYY-MM), or ALL for the total.")
    label: str = strawberry.field(description="Township name, category name, month (1月..12月), or the county's name.")
    label_zh: str = strawberry.field(description="The label in Chinese: 用电 for POWER, 1月, a township's name.")
    label_en: str = strawberry.field(
        description="The label in English: Power for POWER, January; a township's or the county's name as it is."
    )
    reported: PublicCount = strawberry.field(description="Issues reported.")
    open: PublicCount = strawberry.field(description="Issues not yet resolved or closed.")
    resolved: PublicCount = strawberry.field(description="Issues resolved or closed.")
    overdue: PublicCount = strawberry.field(description="Open issues past their deadline.")
    on_time_rate: float | None = strawberry.field(
        description="Share of resolved issues resolved by their deadline; null over fewer than "
        f"{service.RATE_MIN}, or when resolved is withheld."
    )
    satisfaction_rate: float | None = strawberry.field(
        description="Share of rated issues the enterprise found satisfied or basically satisfied; null over "
        f"fewer than {service.RATE_MIN}, or when reported is withheld."
    )

    @classmethod
    def of(cls, row: service.Row) -> StatisticsRow:
        # Plain fields, built once per cached answer: no resolver runs per field.
        cell = row.cell
        return cls(
            key=row.key,
            label=row.label,
            label_zh=row.label_zh or row.label,
            label_en=row.label_en or row.label,
            reported=_count(cell, "reported"),
            open=_count(cell, "open"),
            resolved=_count(cell, "resolved"),
            overdue=_count(cell, "overdue"),
            on_time_rate=cell.on_time_rate,
            satisfaction_rate=cell.satisfaction_rate,
        )


@strawberry.type(
    description="Public figures of the issues reported in one year (county time), as last released: the "
    "figures are released on a schedule (monthly), never live, and do not change between releases."
)
class IssueStatistics:
    year: int
    released_at: datetime = strawberry.field(
        description="When these figures were released: they are as of this instant (the release's cut-off)."
    )
    next_release_at: datetime | None = strawberry.field(
        description="When the next release is scheduled; null once the year's figures are final (the first "
        "release after the year ended)."
    )
    threshold: int = strawberry.field(
        description="YIMI_PUBLIC_MIN_COUNT: counts below it are withheld, and so is any count that would let "
        "one be worked out."
    )
    total: StatisticsRow
    by_township: list[StatisticsRow]
    by_category: list[StatisticsRow]
    by_month: list[StatisticsRow] = strawberry.field(
        description="12 rows, key YYYY-MM; months that have not begun read 0."
    )
    median_working_days_to_resolve: float | None = strawberry.field(
        description="Median of the Chinese working days (days after the report's date up to and including the "
        "resolution's, county time) from report to resolution of the year's resolved or closed issues; null "
        f"over fewer than {service.RATE_MIN} of them."
    )
    enterprises_served: PublicCount = strawberry.field(
        description="Distinct enterprises that reported an issue in the year or were visited in it."
    )
    visits: PublicCount = strawberry.field(description="Visits (走访) made in the year.")

    @classmethod
    def from_data(
        cls, data: service.Statistics, released_at: datetime, next_release_at: datetime | None
    ) -> IssueStatistics:
        return cls(
            year=data.year,
            released_at=released_at,
            next_release_at=next_release_at,
            threshold=data.threshold,
            total=StatisticsRow.of(service.Row("ALL", data.county, data.total)),
            by_township=[StatisticsRow.of(r) for r in data.by_township],
            by_category=[StatisticsRow.of(r) for r in data.by_category],
            by_month=[StatisticsRow.of(r) for r in data.by_month],
            median_working_days_to_resolve=data.median_working_days,
            enterprises_served=_figure(data.enterprises_served),
            visits=_figure(data.visits),
        )
