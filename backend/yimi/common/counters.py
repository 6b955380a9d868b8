"""Where rate-limit counters live: in memory for one process, in Redis for several."""

from __future__ import annotations

from limits.aio.storage import MemoryStorage, Storage
from limits.storage import storage_from_string

from yimi.live.broker import split_redis_url


def counter_storage(redis_url: str | None, key_prefix: str) -> Storage:
    """Counters shared by every server process through ``redis_url``, else this process's memory.

    A Redis that does not answer delays a request by at most a second; callers decide what then.
    """
    if not redis_url:
        return MemoryStorage()
    url, _ = split_redis_url(redis_url)  # drops ?channel_prefix=, which redis-py refuses
    scheme, rest = url.split("://", 1)
    scheme = {"redis": "async+redis", "rediss": "async+rediss", "unix": "async+redis+unix"}.get(scheme, scheme)
    return storage_from_string(
        f"{scheme}://{rest}",
        implementation="redispy",
        key_prefix=key_prefix,
        socket_connect_timeout=1.0,
        socket_timeout=1.0,
    )
