"""Where rate-limit counters live: in memory for one process, in Redis for several.

With Redis, counting never stops when Redis does: :class:`RedisOrMemory` counts in this process's
memory while Redis does not answer, and goes back to Redis when it does. A limit is then enforced
per process instead of across processes, which is weaker but not off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from limits.aio.storage import MemoryStorage, MovingWindowSupport, SlidingWindowCounterSupport, Storage
from limits.aio.storage.redis import RedisStorage
from limits.storage import storage_from_string
from redis.exceptions import ConnectionError as RedisConnectionError

from yimi.live.broker import split_redis_url

log = logging.getLogger(__name__)

T = TypeVar("T")


def counter_storage(redis_url: str | None, key_prefix: str) -> Storage:
    """Counters shared by every server process through ``redis_url``, else this process's memory.

    A Redis that does not answer delays a request by at most a second; then the counting goes on
    in memory (see RedisOrMemory).
    """
    if not redis_url:
        return MemoryStorage()
    url, _ = split_redis_url(redis_url)  # drops ?channel_prefix=, which redis-py refuses
    scheme, rest = url.split("://", 1)
    scheme = {"redis": "async+redis", "rediss": "async+rediss", "unix": "async+redis+unix"}.get(scheme, scheme)
    redis = storage_from_string(
        f"{scheme}://{rest}",
        implementation="redispy",
        key_prefix=key_prefix,
        socket_connect_timeout=1.0,
        socket_timeout=1.0,
    )
    assert isinstance(redis, RedisStorage)
    return RedisOrMemory(redis, key_prefix)


class RedisOrMemory(Storage, MovingWindowSupport, SlidingWindowCounterSupport):
    """Redis, or this process's memory while Redis does not answer.

    The first failure logs one line and switches to memory; Redis is tried again at most every
    ``retry_seconds`` (by whichever request comes then: no background task), and the line that it
    answers again switches back. Counts made in memory stay there: a window that spans an outage
    counts only what each side saw.
    """

    STORAGE_SCHEME = None  # not for storage_from_string: built by counter_storage only

    def __init__(self, redis: RedisStorage, name: str, retry_seconds: float = 5.0):
        super().__init__()
        self.redis = redis
        self.memory = MemoryStorage()
        self.name = name
        self.retry_seconds = retry_seconds
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._failures: tuple[type[Exception], ...] = (*_as_tuple(redis.base_exceptions), OSError)

    @property
    def bridge(self) -> Any:
        # Budget.close and SignInThrottle.close find the Redis client here, as on RedisStorage.
        return self.redis.bridge

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return self.redis.base_exceptions

    @property
    def using_memory(self) -> bool:
        return self._down_since is not None

    async def _either(self, on_redis: Callable[[], Awaitable[T]], in_memory: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        if self._down_since is not None and now < self._retry_at:
            return await in_memory()
        # Set before trying: while one request finds out whether Redis is back, the others wait
        # for nobody.
        self._retry_at = now + self.retry_seconds
        try:
            result = await self._twice_if_dropped(on_redis)
        except self._failures as error:
            if self._down_since is None:
                self._down_since = now
                log.warning(
                    "%s counters: Redis does not answer (%s); counting in this process's memory until it does",
                    self.name,
                    error,
                )
            return await in_memory()
        if self._down_since is not None:
            log.warning(
                "%s counters: Redis answers again after %.0f s; counting there again", self.name, now - self._down_since
            )
            self._down_since = None
        return result

    @staticmethod
    async def _twice_if_dropped(on_redis: Callable[[], Awaitable[T]]) -> T:
        # After Redis restarts, the pool's first connection fails ("Connection closed by server"):
        # that is the old server's socket, not a new outage. Once again, on a fresh connection
        # (redis-py drops the broken one); a timeout is not retried (it would double the wait).
        try:
            return await on_redis()
        except RedisConnectionError:
            return await on_redis()

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return await self._either(
            lambda: self.redis.incr(key, expiry, amount), lambda: self.memory.incr(key, expiry, amount)
        )

    async def get(self, key: str) -> int:
        return await self._either(lambda: self.redis.get(key), lambda: self.memory.get(key))

    async def get_expiry(self, key: str) -> float:
        return await self._either(lambda: self.redis.get_expiry(key), lambda: self.memory.get_expiry(key))

    async def check(self) -> bool:
        return await self._either(self.redis.check, self.memory.check)

    async def reset(self) -> int | None:
        return await self._either(self.redis.reset, self.memory.reset)

    async def clear(self, key: str) -> None:
        await self.memory.clear(key)  # both: a cleared count must not come back after an outage
        await self._either(lambda: self.redis.clear(key), _nothing)

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return await self._either(
            lambda: self.redis.acquire_entry(key, limit, expiry, amount),
            lambda: self.memory.acquire_entry(key, limit, expiry, amount),
        )

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        return await self._either(
            lambda: self.redis.get_moving_window(key, limit, expiry),
            lambda: self.memory.get_moving_window(key, limit, expiry),
        )

    async def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return await self._either(
            lambda: self.redis.acquire_sliding_window_entry(key, limit, expiry, amount),
            lambda: self.memory.acquire_sliding_window_entry(key, limit, expiry, amount),
        )

    async def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        return await self._either(
            lambda: self.redis.get_sliding_window(key, expiry),
            lambda: self.memory.get_sliding_window(key, expiry),
        )

    async def clear_sliding_window(self, key: str, expiry: int) -> None:
        await self.memory.clear_sliding_window(key, expiry)
        await self._either(lambda: self.redis.clear_sliding_window(key, expiry), _nothing)


async def _nothing() -> None:
    return None


def _as_tuple(exceptions: type[Exception] | tuple[type[Exception], ...]) -> tuple[type[Exception], ...]:
    return exceptions if isinstance(exceptions, tuple) else (exceptions,)
