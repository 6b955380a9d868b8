"""Releases: the public figures are released on a schedule and kept, never read live.

Live tables recomputed on every write can be read before and after one new issue, and the difference
gives a withheld count away. So every public reader (GraphQL ``statistics`` and ``statisticsYears``,
the open data, the /public page) reads the latest release of each year, and nothing public changes
between releases.

* Schedule: monthly, on ``YIMI_STATS_RELEASE_DAY`` (default 1) at midnight county time. The first
  reader after that instant makes the release (one process does: a release is unique per year and
  instant); its cut-off is the moment it is computed, in whole seconds, each after the previous
  release's (a release within the same second waits for the next). ``yimi stats publish`` forces one
  (operators, the demo, tests); a forced release's slot is its cut-off.
* A release covers every year with at least the threshold of issues reported that is not final. The
  first release made after a year has ended is its final one: the year stays as it is from then on.
* Each release of a year is audited together with the previous release of that year (see
  ``yimi.stats.service``): when it cannot be published beside it, no release of that year is made and
  the previous one stands, with its own date (a year's final release then repeats it).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from yimi.settings import Settings
from yimi.stats import service
from yimi.stats.models import StatisticsRelease
from yimi.stats.public_json import from_json, to_json
from yimi.stats.types import IssueStatistics

log = logging.getLogger(__name__)


def _slot(year: int, month: int, day: int, zone: ZoneInfo) -> datetime:
    return datetime(year, month, day, tzinfo=zone).astimezone(UTC)


def last_slot(now: datetime, settings: Settings) -> datetime:
    """The latest scheduled release instant at or before ``now``."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    slot = _slot(local.year, local.month, settings.stats_release_day, zone)
    if slot <= now:
        return slot
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return _slot(year, month, settings.stats_release_day, zone)


def next_slot(after: datetime, settings: Settings) -> datetime:
    """The first scheduled release instant after ``after``."""
    zone = ZoneInfo(settings.timezone)
    local = after.astimezone(zone)
    slot = _slot(local.year, local.month, settings.stats_release_day, zone)
    if slot > after:
        return slot
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return _slot(year, month, settings.stats_release_day, zone)


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@dataclass
class Release:
    """A stored release, ready to serve."""

    id: int
    year: int
    slot: datetime
    final: bool
    answer: IssueStatistics
    json: bytes
    etag: str


def _release(row: StatisticsRelease) -> Release:
    body = row.body.encode()
    return Release(row.id, row.year, row.slot, row.final, from_json(json.loads(body)), body, row.etag)


async def version() -> int:
    """Moves with every release (one indexed query): what caches of public answers key on."""
    rows = await connections.get("default").execute_query_dict("SELECT MAX(id) AS id FROM statistics_release")
    return int(rows[0]["id"] or 0) if rows else 0


async def latest() -> dict[int, Release]:
    """The latest release of every year."""
    ids = await StatisticsRelease.all().values_list("year", "id")
    newest: dict[int, int] = {}
    for year, release_id in ids:
        newest[year] = max(newest.get(year, 0), release_id)
    rows = await StatisticsRelease.filter(id__in=list(newest.values())).order_by("year")
    return {row.year: _release(row) for row in rows}


def _previous(row: StatisticsRelease) -> service.Previous:
    """A stored release as the next release's audit reads it: its published figures and its true counts."""
    body = json.loads(row.body)
    tables = [body["byTownship"], body["byCategory"], body["byMonth"]]

    def cell(published: dict[str, Any]) -> service.Cell:
        cell = service.Cell()
        for m in service.MEASURES:
            count = published[m]
            if count["value"] is not None:
                setattr(cell, m, count["value"])
                cell.shown.add(m)
            else:
                cell.low[m], cell.high[m] = count["low"], count["high"]
        return cell

    total = cell(body["total"])
    breakdowns = [[service.Row(r["key"], r["label"], cell(r)) for r in rows] for rows in tables]
    return service.Previous(row.released_at, total, breakdowns, json.loads(row.exact))


def _body(data: service.Statistics, released_at: datetime, next_release: datetime | None) -> bytes:
    answer = IssueStatistics.from_data(data, released_at, next_release)
    return json.dumps(to_json(answer), ensure_ascii=False, separators=(",", ":")).encode()


async def _after_latest(now: datetime) -> datetime:
    """``now``, or, when a release was made within the same second, the next second once it has come.

    Cut-offs are whole seconds: a second release within one second would carry the first one's date with newer
    figures and, forced, take its slot too (refused as made already by another process: never made)."""
    latest = await StatisticsRelease.all().order_by("-released_at").first()
    if latest is None or latest.released_at != now:
        return now
    later = now + timedelta(seconds=1)
    await asyncio.sleep(max(0.0, (later - datetime.now(UTC)).total_seconds()))
    return later


async def publish(now: datetime, settings: Settings, slot: datetime | None = None) -> list[int]:
    """Makes the releases of ``slot`` (``now`` when forced), cut off at ``now``; returns the years released.

    Another process making the same slot's releases first is not an error: its releases stand."""
    now = await _after_latest(now.replace(microsecond=0))
    slot = now if slot is None else slot
    threshold, timezone = settings.public_min_count, settings.timezone
    rows: list[StatisticsRelease] = []
    final_years = set(await StatisticsRelease.filter(final=True).values_list("year", flat=True))
    for year in await service.statistics_years(timezone, threshold):
        if year in final_years:
            continue
        before = await StatisticsRelease.filter(year=year).order_by("-id").first()
        previous = _previous(before) if before is not None and before.threshold == threshold else None
        data = await service.statistics(year, now, timezone, threshold, previous)
        final = now >= service.year_bounds(year, timezone)[1]
        if data.released:
            body = _body(data, now, None if final else next_slot(slot, settings))
            exact = json.dumps(data.exact(), separators=(",", ":"))
        elif final and before is not None:
            # The previous release stands for good: its figures and its date, with no next release.
            stored = json.loads(before.body)
            stored["nextReleaseAt"] = None
            body = json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode()
            exact = before.exact
        else:
            continue
        rows.append(
            StatisticsRelease(
                year=year,
                slot=slot,
                released_at=now,
                final=final,
                threshold=threshold,
                body=body.decode(),
                etag=etag(body),
                exact=exact,
            )
        )
    if not rows:
        return []
    try:
        async with in_transaction():
            for row in rows:
                await row.save()
    except IntegrityError:
        log.info("statistics release of %s already made by another process", slot.isoformat())
        return []
    log.info("statistics released for %s", ", ".join(str(r.year) for r in rows))
    return [r.year for r in rows]


_publishing = asyncio.Lock()


async def publish_if_due(now: datetime, settings: Settings, newest_slot: datetime | None) -> bool:
    """Makes the scheduled release when its instant has come and no release answers it yet."""
    slot = last_slot(now, settings)
    if newest_slot is not None and newest_slot >= slot:
        return False
    async with _publishing:
        newest = await StatisticsRelease.all().order_by("-slot").first()
        if newest is not None and newest.slot >= slot:
            return False  # made while we waited
        await publish(now, settings, slot)
        return True
