"""Instants from clients: a time without an offset is the county's local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def to_utc(value: datetime | None, tz: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)
