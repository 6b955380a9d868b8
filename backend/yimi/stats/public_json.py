"""The public figures as JSON (what GraphQL answers for ``statistics`` with every field, camelCase) and CSV.

A release is stored as this JSON and served from it (``from_json`` gives GraphQL its answer back)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from yimi.stats.types import IssueStatistics, PublicCount, StatisticsRow, WithheldReason

CSV_TABLES = (("total", "total"), ("township", "by_township"), ("category", "by_category"), ("month", "by_month"))
CSV_COLUMNS = ["table", "key", "label", "reported", "open", "resolved", "overdue", "onTimeRate", "satisfactionRate"]
COUNT_FIELDS = ("reported", "open", "resolved", "overdue")


def _count_json(count: PublicCount) -> dict[str, Any]:
    return {
        "value": count.value,
        "withheld": count.withheld,
        "low": count.low,
        "high": count.high,
        "reason": None if count.reason is None else count.reason.value,
    }


def _row_json(row: StatisticsRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "labelZh": row.label_zh,
        "labelEn": row.label_en,
        **{name: _count_json(getattr(row, name)) for name in COUNT_FIELDS},
        "onTimeRate": row.on_time_rate,
        "satisfactionRate": row.satisfaction_rate,
    }


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def to_json(answer: IssueStatistics) -> dict[str, Any]:
    return {
        "year": answer.year,
        "threshold": answer.threshold,
        "releasedAt": _time(answer.released_at),
        "nextReleaseAt": _time(answer.next_release_at),
        "total": _row_json(answer.total),
        "byTownship": [_row_json(r) for r in answer.by_township],
        "byCategory": [_row_json(r) for r in answer.by_category],
        "byMonth": [_row_json(r) for r in answer.by_month],
        "medianWorkingDaysToResolve": answer.median_working_days_to_resolve,
        "enterprisesServed": _count_json(answer.enterprises_served),
        "visits": _count_json(answer.visits),
    }


def _count(data: dict[str, Any]) -> PublicCount:
    reason = None if data["reason"] is None else WithheldReason(data["reason"])
    return PublicCount(
        value=data["value"], withheld=data["withheld"], low=data["low"], high=data["high"], reason=reason
    )


def _row(data: dict[str, Any]) -> StatisticsRow:
    return StatisticsRow(
        key=data["key"],
        label=data["label"],
        label_zh=data.get("labelZh", data["label"]),  # releases made before the labels were added
        label_en=data.get("labelEn", data["label"]),
        **{name: _count(data[name]) for name in COUNT_FIELDS},
        on_time_rate=data["onTimeRate"],
        satisfaction_rate=data["satisfactionRate"],
    )


def from_json(data: dict[str, Any]) -> IssueStatistics:
    """``to_json`` read back."""
    next_release = data["nextReleaseAt"]
    return IssueStatistics(
        year=data["year"],
        threshold=data["threshold"],
        released_at=datetime.fromisoformat(data["releasedAt"]),
        next_release_at=None if next_release is None else datetime.fromisoformat(next_release),
        total=_row(data["total"]),
        by_township=[_row(r) for r in data["byTownship"]],
        by_category=[_row(r) for r in data["byCategory"]],
        by_month=[_row(r) for r in data["byMonth"]],
        median_working_days_to_resolve=data["medianWorkingDaysToResolve"],
        enterprises_served=_count(data["enterprisesServed"]),
        visits=_count(data["visits"]),
    )


def csv_count(count: PublicCount) -> str:
    """The exact value, or the range low–high (an en dash, so that spreadsheets do not read a date)."""
    return str(count.value) if count.value is not None else f"{count.low}–{count.high}"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def to_csv(answer: IssueStatistics) -> bytes:
    """One table: a ``table`` column (total, township, category, month), the figures, ``withheld`` naming
    the counts given as a range, and the labels in Chinese and English; UTF-8 with a byte order mark, so that
    Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, "withheld", "labelZh", "labelEn"])
    for table, name in CSV_TABLES:
        value = getattr(answer, name)
        for row in value if isinstance(value, list) else [value]:
            counts = [getattr(row, f) for f in COUNT_FIELDS]
            writer.writerow(
                [
                    table,
                    row.key,
                    row.label,
                    *(csv_count(c) for c in counts),
                    _rate(row.on_time_rate),
                    _rate(row.satisfaction_rate),
                    " ".join(f for f, c in zip(COUNT_FIELDS, counts, strict=True) if c.withheld),
                    row.label_zh,
                    row.label_en,
                ]
            )
    return ("\ufeff" + out.getvalue()).encode()
