"""Answers shared by the server processes through Redis (``YIMI_REDIS_URL``): an answer one worker computed
is served by the others, so that each enterprise panel of a dashboard is computed once per deployment
instead of once per worker.

``ResponseCaching`` asks its process's ``ResponseCache`` first; on a miss, Redis (one GET); an answer it
computes is stored there in the background (the response does not wait for it). The key is the in-process
cache's (document, variables, caller scope, data version, figures generation), and an entry holds as the
in-process one does: Redis drops it when its clock limit or ``MAX_AGE_SECONDS`` comes, whichever is first.

Only answers up to ``MAX_BYTES`` are shared: the larger ones (the map layer) are written from per-process
caches of their own, faster than they would come through Redis.

Redis not answering is never an error: the answer is computed as without it. The first failure logs one
line and Redis is then left alone for ``RETRY_SECONDS``; the line that it answers again says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from datetime import datetime
from typing import cast

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from yimi.graphql.encoding import EncodedData
from yimi.graphql.response_cache import MEMORY_PER_JSON_BYTE, Cached
from yimi.live.broker import split_redis_url

log = logging.getLogger(__name__)

MAX_BYTES = 1 << 20
RETRY_SECONDS = 5.0
# A Redis that does not answer delays one request by at most twice this (a retry on a new connection),
# then is left alone for RETRY_SECONDS.
TIMEOUT_SECONDS = 0.5
# Stores under way at most; past it an answer is not shared (it is still cached in its process).
MAX_PENDING = 64


class SharedAnswers:
    def __init__(self, redis_url: str, database_url: str):
        url, prefix = split_redis_url(redis_url)
        # The database in the key as well: two deployments left on one Redis without a channel prefix of their
        # own would otherwise serve each other's answers whenever their data versions meet.
        database = hashlib.sha256(database_url.encode()).hexdigest()[:12]
        self.prefix = f"{prefix}:answer:{database}:"
        self.redis: Redis = Redis.from_url(
            url,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            # Once, on a new connection: after a restart of Redis the pooled ones are closed.
            retry=Retry(NoBackoff(), retries=1),
        )
        self._down_until = 0.0
        self._pending: set[asyncio.Task] = set()

    def key(self, digest: bytes, version: int, generation: int) -> str:
        return f"{self.prefix}{digest.hex()}:{version}:{generation}"

    async def get(self, key: str, now: datetime) -> Cached | None:
        """The answer kept under ``key``, if it holds at ``now``."""
        if time.monotonic() < self._down_until:
            return None
        try:
            raw = cast(bytes | None, await self.redis.get(key))
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        self._answered()
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        computed_at, until, stale_at = orjson.loads(head)
        data = EncodedData()
        data.body = body
        cached = Cached(
            data=data,
            computed_at=datetime.fromisoformat(computed_at),
            until=None if until is None else datetime.fromisoformat(until),
            stale_after=time.monotonic() + (stale_at - time.time()),
            size=int(len(body) * MEMORY_PER_JSON_BYTE),
        )
        # Computed for a later request instant (another process's clock), or past its limit: not for ``now``.
        return cached if cached.fresh(now) else None

    def put(self, key: str, cached: Cached) -> None:
        """Stores the answer in the background, for as long as it holds."""
        body = cached.data.body if isinstance(cached.data, EncodedData) else None
        if (
            body is None
            or len(body) > MAX_BYTES
            or len(self._pending) >= MAX_PENDING
            or time.monotonic() < self._down_until
        ):
            return
        seconds = cached.stale_after - time.monotonic()
        if cached.until is not None:
            seconds = min(seconds, (cached.until - cached.computed_at).total_seconds())
        if seconds < 0.01:
            return
        until = None if cached.until is None else cached.until.isoformat()
        head = orjson.dumps([cached.computed_at.isoformat(), until, time.time() + seconds])
        task = asyncio.ensure_future(self._store(key, head + b"\n" + body, int(seconds * 1000)))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _store(self, key: str, value: bytes, milliseconds: int) -> None:
        try:
            await self.redis.set(key, value, px=milliseconds)
        except (RedisError, OSError) as error:
            self._failed(error)
        else:
            self._answered()

    def _failed(self, error: Exception) -> None:
        if self._down_until == 0.0:
            log.warning(
                "shared answers: Redis does not answer (%s); each process answers from its own cache, "
                "retried every %g s",
                error,
                RETRY_SECONDS,
            )
        self._down_until = time.monotonic() + RETRY_SECONDS

    def _answered(self) -> None:
        if self._down_until:
            self._down_until = 0.0
            log.warning("shared answers: Redis answers again")

    async def flush(self) -> None:
        """Waits for the stores under way."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def close(self) -> None:
        await self.flush()
        await self.redis.aclose()
