"""Public figures served from memory: the latest release of every year (``yimi.stats.releases``).

Every process keeps the latest releases, read again when a release is made (``releases.version``, one
indexed query per request, moves with every release, whichever process made it) and at least every
``MAX_AGE_SECONDS`` (a safety net should a database be swapped under a running server, as
``yimi restore --force`` does). The first reader after a scheduled release instant makes that release.

Whole GraphQL answers made only of these figures are cached on top of this (``yimi.graphql.response_cache``,
keyed on the data version, which a release moves, and on ``generation``); reading them tells that cache
when such an answer stops holding by itself (the next scheduled release instant; ``yimi.common.clock``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from yimi.common import clock
from yimi.settings import Settings
from yimi.stats import releases
from yimi.stats.public_json import to_csv
from yimi.stats.types import IssueStatistics

MAX_AGE_SECONDS = 300
log = logging.getLogger(__name__)


@dataclass
class Entry:
    """A year's latest release, ready to serve."""

    release: releases.Release
    _csv: bytes | None = None

    @property
    def answer(self) -> IssueStatistics:
        return self.release.answer

    @property
    def json(self) -> bytes:
        return self.release.json

    @property
    def csv(self) -> bytes:
        if self._csv is None:
            self._csv = to_csv(self.release.answer)
        return self._csv


@dataclass
class Loaded:
    version: int
    stored: float  # monotonic
    entries: dict[int, Entry]
    newest_slot: datetime | None


class PublicStatistics:
    """The process's latest releases."""

    def __init__(self) -> None:
        self._loaded: Loaded | None = None
        self._lock = asyncio.Lock()
        self._tried_slot: datetime | None = None  # a scheduled release is tried once per process
        self.generation = 0  # moves on clear(): answers cached from the figures before it are dropped

    def clear(self) -> None:
        self._loaded = None
        self._tried_slot = None
        self.generation += 1

    async def _load(self, version: int | None) -> Loaded:
        if version is None:
            version = await releases.version()
        loaded = self._loaded
        if loaded is not None and loaded.version == version and time.monotonic() - loaded.stored < MAX_AGE_SECONDS:
            return loaded
        async with self._lock:
            loaded = self._loaded
            if loaded is not None and loaded.version == version and time.monotonic() - loaded.stored < MAX_AGE_SECONDS:
                return loaded  # read by the reader we waited for
            version = await releases.version()  # before the releases: never older than its version says
            latest = await releases.latest()
            slots = [r.slot for r in latest.values()]
            loaded = Loaded(
                version, time.monotonic(), {y: Entry(r) for y, r in latest.items()}, max(slots, default=None)
            )
            self._loaded = loaded
            return loaded

    async def _current(self, now: datetime, settings: Settings, version: int | None) -> Loaded:
        loaded = await self._load(version)
        slot = releases.last_slot(now, settings)
        if (loaded.newest_slot is None or loaded.newest_slot < slot) and self._tried_slot != slot:
            self._tried_slot = slot
            try:
                if await releases.publish_if_due(now, settings, loaded.newest_slot):
                    loaded = await self._load(None)
            except Exception:  # the figures released before stay served; the next slot tries again
                log.exception("scheduled statistics release of %s failed", slot.isoformat())
        # An answer built from these releases holds until the next scheduled release, and as the releases
        # read, for at most MAX_AGE_SECONDS.
        clock.holds_until(releases.next_slot(now, settings))
        clock.stale_after(loaded.stored + MAX_AGE_SECONDS)
        return loaded

    async def get(self, year: int, now: datetime, settings: Settings, version: int | None = None) -> Entry | None:
        """The latest release of ``year``, or None; ``version`` is the release version when just read."""
        return (await self._current(now, settings, version)).entries.get(year)

    async def years(self, now: datetime, settings: Settings, version: int | None = None) -> list[int]:
        """The years released, ascending."""
        return sorted((await self._current(now, settings, version)).entries)


public_statistics = PublicStatistics()
