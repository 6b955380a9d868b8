from __future__ import annotations

from typing import NewType

import strawberry

from yimi.stats import service
from yimi.stats.service import THRESHOLD

SUPPRESSED = f"<{THRESHOLD}"


def _serialize(value: int | str) -> int | str:
    if value == SUPPRESSED or (isinstance(value, int) and not isinstance(value, bool) and value >= THRESHOLD):
        return value
    raise ValueError(f"a count below {THRESHOLD} must not be published")  # a bug, never shown as such


SuppressedCount = NewType("SuppressedCount", object)
# Registered in the schema's scalar_map (yimi.graphql.schema).
SUPPRESSED_COUNT_SCALAR = strawberry.scalar(
    name="SuppressedCount",
    serialize=_serialize,
    parse_value=lambda value: value,
    description=f'A count anyone may read: an Int of at least {THRESHOLD}, or the string "{SUPPRESSED}" '
    "when it is smaller or when publishing it would let a smaller count be worked out.",
)


def _count(cell: service.Cell, measure: str) -> SuppressedCount:
    value = cell.published(measure)
    return SuppressedCount(SUPPRESSED if value is None else value)


@strawberry.type(description="Issue figures of a group, suppressed for publication.")
class StatisticsRow:
    key: str = strawberry.field(description="Township code, category name, or ALL for the total.")
    label: str = strawberry.field(description="Township name, category name, or the county's name.")
    cell: strawberry.Private[service.Cell]

    @strawberry.field(description="Issues reported.")
    def reported(self) -> SuppressedCount:
        return _count(self.cell, "reported")

    @strawberry.field(description="Issues not yet resolved or closed.")
    def open(self) -> SuppressedCount:
        return _count(self.cell, "open")

    @strawberry.field(description="Issues resolved or closed.")
    def resolved(self) -> SuppressedCount:
        return _count(self.cell, "resolved")

    @strawberry.field(description="Open issues past their deadline.")
    def overdue(self) -> SuppressedCount:
        return _count(self.cell, "overdue")

    @strawberry.field(
        description=f"Share of resolved issues resolved by their deadline; null over fewer than {service.RATE_MIN}."
    )
    def on_time_rate(self) -> float | None:
        return self.cell.on_time_rate

    @strawberry.field(
        description="Share of rated issues the enterprise found satisfied or basically satisfied; null over "
        f"fewer than {service.RATE_MIN}."
    )
    def satisfaction_rate(self) -> float | None:
        return self.cell.satisfaction_rate


@strawberry.type(description="Public figures of the issues reported in one year (county time).")
class IssueStatistics:
    year: int
    total: StatisticsRow
    by_township: list[StatisticsRow]
    by_category: list[StatisticsRow]

    @classmethod
    def from_data(cls, year: int, data: service.Statistics) -> IssueStatistics:
        def rows(items: list[service.Row]) -> list[StatisticsRow]:
            return [StatisticsRow(key=r.key, label=r.label, cell=r.cell) for r in items]

        return cls(
            year=year,
            total=StatisticsRow(key="ALL", label=data.county, cell=data.total),
            by_township=rows(data.by_township),
            by_category=rows(data.by_category),
        )
