"""Instants from clients: a time without an offset is the county's local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from yimi.common.errors import UserInputError

# Instants outside these bounds mean nothing here, and near the ends of Python's range a time zone
# conversion overflows (9999-12-31T23:59:59-14:00 is after datetime.max in UTC).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
BOUNDS = "between 1900-01-01 and 2199-12-31"


def to_utc(value: datetime | None, tz: str) -> datetime | None:
    """``value`` in UTC; None when it lies outside EARLIEST..LATEST (or cannot be converted)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return None
    return utc if EARLIEST <= utc < LATEST else None


def checked_instant(value: datetime | None, argument: str, tz: str) -> datetime | None:
    """``value`` in UTC for a query argument; UserInputError naming ``argument`` when out of bounds."""
    if value is None:
        return None
    utc = to_utc(value, tz)
    if utc is None:
        raise UserInputError(argument, f"must be {BOUNDS}, got {value.isoformat()}")
    return utc
