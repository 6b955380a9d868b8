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
from tortoise import connections

from yimi.graphql.encoding import EncodedData
from yimi.graphql.response_cache import MEMORY_PER_JSON_BYTE, Cached
from yimi.graphql.schema import schema
from yimi.live.broker import split_redis_url

log = logging.getLogger(__name__)

MAX_BYTES = 1 << 20
RETRY_SECONDS = 5.0
# A Redis that does not answer delays a request by at most this, then is left alone for RETRY_SECONDS.
TIMEOUT_SECONDS = 0.25
MAX_CONNECTIONS = 32
# Stores under way at most; past it an answer is not shared (it is still cached in its process).
MAX_PENDING = 64


class SharedAnswers:
    def __init__(self, redis_url: str):
        url, prefix = split_redis_url(redis_url)
        self.channel_prefix = prefix
        self.redis: Redis = Redis.from_url(
            url,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            # Once, on a new connection: after a restart of Redis the pooled ones are closed.
            retry=Retry(NoBackoff(), retries=1),
            max_connections=MAX_CONNECTIONS,
        )
        self._prefix: str | None = None
        self._down_until = 0.0
        self._pending: set[asyncio.Task] = set()

    async def prefix(self) -> str:
        """The keys' prefix: the database's identity (migration 0016; two deployments left on one Redis never
        serve each other's answers) and the schema's (processes of two releases side by side neither)."""
        if self._prefix is None:
            rows = await connections.get("default").execute_query_dict("SELECT token FROM deployment_identity")
            schema_hash = hashlib.sha256(str(schema).encode()).hexdigest()[:12]
            self._prefix = f"{self.channel_prefix}:answer:{rows[0]['token']}:{schema_hash}:"
        return self._prefix

    async def key(self, digest: bytes, version: int, generation: int) -> str:
        return f"{await self.prefix()}{digest.hex()}:{version}:{generation}"

    async def get(self, key: str, now: datetime) -> Cached | None:
        """The answer kept under ``key``, if it holds at ``now``."""
        if time.monotonic() < self._down_until:
            return None
        try:
            raw = cast(bytes | None, await asyncio.wait_for(self.redis.get(key), TIMEOUT_SECONDS))
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            return None
        self._answered()
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        data = EncodedData()
        data.body = body
        try:
            computed_at, until, stale_at = orjson.loads(head)
            cached = Cached(
                data=data,
                computed_at=datetime.fromisoformat(computed_at),
                until=None if until is None else datetime.fromisoformat(until),
                stale_after=time.monotonic() + (float(stale_at) - time.time()),
                size=int(len(body) * MEMORY_PER_JSON_BYTE),
            )
        except (ValueError, TypeError):  # not an entry of this code: a miss
            return None
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
