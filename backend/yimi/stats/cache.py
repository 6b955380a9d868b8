"""Public figures, computed once per data version and served from memory.

The database keeps a data version (table ``stats_data_version``, one row) that triggers bump in the
transaction of every write the figures depend on: issues inserted or deleted, or updated in a column
the figures read; visits; an enterprise moving township; townships (migration 0008). Every server
process reads it (one primary-key query) before answering, so a write made anywhere is seen at once,
whichever code path made it (the web app, the API, the CLI, the demo loader, plain SQL).

An answer is reused while the version is the same, until the next instant its figures change by
themselves (an open issue's deadline passing changes the overdue counts; a month beginning) and for
at most ``MAX_AGE_SECONDS`` (a safety net should a database be swapped under a running server, as
``yimi restore --force`` does). Readers arriving while a year is being computed wait for that one
computation instead of starting their own.

Whole GraphQL answers made only of these figures are cached on top of this (``yimi.graphql.response_cache``):
``validity_token`` and ``tracking`` tell that cache when such an answer stops holding.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yimi.stats import service
from yimi.stats.types import IssueStatistics, PublicCount, StatisticsRow

MAX_AGE_SECONDS = 300
CSV_TABLES = (("total", "total"), ("township", "by_township"), ("category", "by_category"), ("month", "by_month"))
CSV_COLUMNS = ["table", "key", "label", "reported", "open", "resolved", "overdue", "onTimeRate", "satisfactionRate"]
COUNT_FIELDS = ("reported", "open", "resolved", "overdue")


@dataclass
class Entry:
    version: int
    computed_at: datetime
    valid_until: datetime | None
    stored: float
    data: service.Statistics
    answer: IssueStatistics
    _json: bytes | None = None
    _csv: bytes | None = None

    def fresh(self, version: int, now: datetime) -> bool:
        return (
            version == self.version
            and self.computed_at <= now
            and (self.valid_until is None or now < self.valid_until)
            and time.monotonic() - self.stored < MAX_AGE_SECONDS
        )

    @property
    def json(self) -> bytes:
        if self._json is None:
            self._json = json.dumps(to_json(self.answer), ensure_ascii=False, separators=(",", ":")).encode()
        return self._json

    @property
    def csv(self) -> bytes:
        if self._csv is None:
            self._csv = to_csv(self.answer)
        return self._csv


@dataclass
class Used:
    """What an answer was built from holds until the earliest ``until`` (county events: a deadline, a
    month beginning) and, as the entries themselves, for at most ``MAX_AGE_SECONDS`` (monotonic clock)."""

    until: datetime | None = None
    stale_after: float = math.inf

    def add(self, valid_until: datetime | None, stored: float) -> None:
        if valid_until is not None and (self.until is None or valid_until < self.until):
            self.until = valid_until
        self.stale_after = min(self.stale_after, stored + MAX_AGE_SECONDS)


_used: ContextVar[Used | None] = ContextVar("yimi_stats_used", default=None)


@contextmanager
def tracking() -> Iterator[Used]:
    """Collects the limits of every entry read while the block runs (in this task and the tasks it starts)."""
    used = Used()
    token = _used.set(used)
    try:
        yield used
    finally:
        try:
            _used.reset(token)
        except ValueError:  # left in another context than entered: leave nothing behind here
            _used.set(None)


def _note(valid_until: datetime | None, stored: float) -> None:
    used = _used.get()
    if used is not None:
        used.add(valid_until, stored)


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
        **{name: _count_json(getattr(row, name)) for name in COUNT_FIELDS},
        "onTimeRate": row.on_time_rate,
        "satisfactionRate": row.satisfaction_rate,
    }


def to_json(answer: IssueStatistics) -> dict[str, Any]:
    """What GraphQL answers for ``statistics(year)`` with every field asked for (camelCase names)."""
    return {
        "year": answer.year,
        "threshold": answer.threshold,
        "total": _row_json(answer.total),
        "byTownship": [_row_json(r) for r in answer.by_township],
        "byCategory": [_row_json(r) for r in answer.by_category],
        "byMonth": [_row_json(r) for r in answer.by_month],
        "medianWorkingDaysToResolve": answer.median_working_days_to_resolve,
        "enterprisesServed": _count_json(answer.enterprises_served),
        "visits": _count_json(answer.visits),
    }


def csv_count(count: PublicCount) -> str:
    """The exact value, or the range low–high (an en dash, so that spreadsheets do not read a date)."""
    return str(count.value) if count.value is not None else f"{count.low}–{count.high}"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def to_csv(answer: IssueStatistics) -> bytes:
    """One table: a ``table`` column (total, township, category, month), the figures, and ``withheld``
    naming the counts given as a range; UTF-8 with a byte order mark, so that Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, "withheld"])
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
                ]
            )
    return ("\ufeff" + out.getvalue()).encode()


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class PublicStatistics:
    """The process's cache of public figures, one entry per (year, threshold, time zone)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, int, str], Entry] = {}
        self._locks: dict[tuple[int, int, str], asyncio.Lock] = {}
        self._years: tuple[int, float, tuple[int, str], list[int]] | None = None
        self.generation = 0  # moves on clear(): answers cached from the figures before it are dropped

    def clear(self) -> None:
        self._entries.clear()
        self._years = None
        self.generation += 1

    async def validity_token(self) -> tuple[int, int]:
        """What an answer built from these figures is valid for: the data version (one primary-key
        query) and this cache's generation. Deadlines, months and the maximum age are per answer:
        read them with ``tracking`` while building it."""
        return await service.data_version(), self.generation

    async def get(self, year: int, now: datetime, timezone: str, threshold: int, version: int | None = None) -> Entry:
        """The figures of ``year``; ``version`` is the data version when the caller has just read it."""
        key = (year, threshold, timezone)
        if version is None:
            version = await service.data_version()
        if (entry := self._fresh(key, version, now)) is not None:
            return entry
        async with self._locks.setdefault(key, asyncio.Lock()):
            if (entry := self._fresh(key, version, now)) is not None:
                return entry  # computed by the reader we waited for
            # The version is read before the figures: an entry is never older than its version says.
            version = await service.data_version()
            data = await service.statistics(year, now, timezone, threshold)
            entry = Entry(version, now, data.valid_until, time.monotonic(), data, IssueStatistics.from_data(data))
            self._entries[key] = entry
            _note(entry.valid_until, entry.stored)
            return entry

    def _fresh(self, key: tuple[int, int, str], version: int, now: datetime) -> Entry | None:
        """The entry of ``key`` when it still holds (its limits noted for ``tracking``), else None."""
        entry = self._entries.get(key)
        if entry is None or not entry.fresh(version, now):
            return None
        _note(entry.valid_until, entry.stored)
        return entry

    async def years(self, timezone: str, threshold: int, version: int | None = None) -> list[int]:
        if version is None:
            version = await service.data_version()
        cached = self._years
        if (
            cached is not None
            and cached[0] == version
            and cached[2] == (threshold, timezone)
            and time.monotonic() - cached[1] < MAX_AGE_SECONDS
        ):
            _note(None, cached[1])
            return cached[3]
        years = await service.statistics_years(timezone, threshold)
        self._years = (version, time.monotonic(), (threshold, timezone), years)
        _note(None, self._years[1])
        return years


public_statistics = PublicStatistics()
