"""Publish/subscribe for live updates: in memory within one process, through Redis across several.

Messages are small JSON-able dicts (ids, not objects): a subscriber loads whatever it needs from
the database when a message arrives, so every process sees the committed state.

Publishing is best effort: it is called after a change has been committed, so a broker that is
down must not turn a successful change into an error. ``publish`` logs such failures and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

log = logging.getLogger(__name__)

# The issues service publishes {"issueId": int, "action": str, "status": str, "version": int} here
# after each committed change of an issue.
ISSUES_CHANNEL = "issues"


class Broker(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]: ...

    async def subscriber_count(self, channel: str) -> int:
        """Subscribers listening on ``channel`` (for Redis: in every process sharing it)."""
        ...

    async def close(self) -> None: ...


_CLOSED = object()


class MemoryBroker:
    """One process: every subscriber gets its own queue."""

    def __init__(self, max_queue: int = 1000):
        self._subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._max_queue = max_queue
        self._closed = False

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            self._put(queue, message)

    @staticmethod
    def _put(queue: asyncio.Queue, item: Any) -> None:
        if queue.full():
            # A subscriber that stopped reading loses its oldest message, never blocks publishers.
            queue.get_nowait()
        queue.put_nowait(item)

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        if self._closed:
            raise RuntimeError("the broker is closed")
        queue: asyncio.Queue = asyncio.Queue(self._max_queue)
        self._subscribers[channel].add(queue)
        try:
            while (message := await queue.get()) is not _CLOSED:
                yield message
        finally:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[channel]

    async def subscriber_count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))

    async def close(self) -> None:
        """Ends every subscription (its generator returns)."""
        self._closed = True
        for queues in list(self._subscribers.values()):
            for queue in list(queues):
                self._put(queue, _CLOSED)


CHANNEL_PREFIX_PARAM = "channel_prefix"


def split_redis_url(url: str) -> tuple[str, str]:
    """``(url for redis-py, channel prefix)`` from ``YIMI_REDIS_URL``.

    Redis pub/sub ignores the database number: a message published while on ``/1`` reaches
    subscribers on ``/0``. So that deployments sharing one Redis on different database numbers
    stay apart, the default prefix carries the number (``yimi:0``); ``?channel_prefix=NAME`` in
    the URL sets it explicitly (and is removed before redis-py sees the URL).
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == CHANNEL_PREFIX_PARAM), None)
    rest = [(k, v) for k, v in query if k != CHANNEL_PREFIX_PARAM]
    if not prefix:
        # redis://host:port/<db>, or ?db=<db> (the only way for unix:///path/to/redis.sock).
        path_db = parts.path.strip("/") if parts.scheme != "unix" else ""
        db = path_db or next((v for k, v in rest if k == "db"), "") or "0"
        prefix = f"yimi:{db}"
    if len(rest) == len(query):
        return url, prefix
    base = url.split("?", 1)[0]  # not urlunsplit: it would turn unix:///path into unix:/path
    return (f"{base}?{urlencode(rest)}" if rest else base), prefix


class RedisBroker:
    """Several processes: messages travel as JSON through Redis pub/sub.

    Each subscriber holds its own pub/sub connection for as long as its generator runs; closing
    the generator (the client unsubscribed or went away) or ``close()`` releases it. A dropped
    connection is re-established and re-subscribed by redis-py's retry; messages published in
    the gap are lost, as with any pub/sub.
    """

    def __init__(
        self,
        url: str,
        *,
        channel_prefix: str | None = None,
        client_name: str = "yimi-live",
        health_check_interval: float = 15.0,
        publish_timeout: float = 2.0,
    ):
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialWithJitterBackoff

        redis_url, default_prefix = split_redis_url(url)
        self.channel_prefix = channel_prefix or default_prefix
        self._health_check_interval = health_check_interval
        # Publishing runs inside a mutation: a Redis that hangs must not hang the mutation. One
        # retry replaces a pooled connection that died since its last use (Redis restarted).
        self._publisher = Redis.from_url(
            redis_url,
            client_name=client_name,
            socket_timeout=publish_timeout,
            socket_connect_timeout=publish_timeout,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=1),
        )
        # Subscribers block on reads, so no socket timeout; the health check (a PING every
        # interval while idle) finds a dead connection instead. A lost connection is
        # re-established and re-subscribed (a Redis restart of a few seconds goes unnoticed,
        # apart from the messages published meanwhile); beyond the retries the error ends the
        # subscription. (from_url does not apply Redis()'s default retry: it is set here.)
        self._subscriber_pool = Redis.from_url(
            redis_url,
            client_name=client_name,
            socket_connect_timeout=publish_timeout,
            socket_keepalive=True,
            health_check_interval=health_check_interval,
            retry=Retry(ExponentialWithJitterBackoff(base=0.2, cap=5), retries=6),
        )
        self._pubsubs: set[Any] = set()
        self._closed = False

    def redis_channel(self, channel: str) -> str:
        return f"{self.channel_prefix}:{channel}"

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        from redis.exceptions import RedisError

        data = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)
        try:
            await self._publisher.publish(self.redis_channel(channel), data)
        except (RedisError, OSError) as error:
            log.error("live update on %r not published (%s): %s", channel, error, data)

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        if self._closed:
            raise RuntimeError("the broker is closed")
        pubsub = self._subscriber_pool.pubsub(ignore_subscribe_messages=True)
        self._pubsubs.add(pubsub)
        try:
            await pubsub.subscribe(self.redis_channel(channel))
            while not self._closed:
                try:
                    # A bounded wait, so that the health check runs while the channel is quiet.
                    item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=self._health_check_interval)
                except Exception:
                    if self._closed:
                        return  # close() took the connection away: shutdown, not an error
                    raise
                if item is None or item.get("type") != "message":
                    continue  # quiet, or close()'s unsubscribe confirmation
                try:
                    message = json.loads(item["data"])
                except (TypeError, ValueError):
                    log.warning("ignored a live update that is not JSON on %r: %r", channel, item["data"][:200])
                    continue
                if not isinstance(message, dict):
                    log.warning("ignored a live update that is not an object on %r: %r", channel, message)
                    continue
                yield message
        finally:
            self._pubsubs.discard(pubsub)
            # Shielded: the generator is usually closed by a cancelled task, and the connection
            # must go back even then.
            await asyncio.shield(pubsub.aclose())

    async def subscriber_count(self, channel: str) -> int:
        name = self.redis_channel(channel)
        counts = dict(await self._publisher.pubsub_numsub(name))
        return int(counts.get(name.encode(), counts.get(name, 0)))

    async def close(self, grace: float = 2.0) -> None:
        """Ends every subscription (its generator returns) and closes every connection."""
        self._closed = True
        # Unsubscribing wakes each reader with a confirmation: it sees the broker is closed,
        # stops, and gives its connection back. (Closing the connection under it instead would
        # make redis-py reconnect it.)
        for pubsub in list(self._pubsubs):
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while self._pubsubs and loop.time() < deadline:  # noqa: ASYNC110 (readers leave one by one)
            await asyncio.sleep(0.01)
        for pubsub in list(self._pubsubs):  # readers that are not reading (a stalled consumer)
            await pubsub.aclose()
        self._pubsubs.clear()
        await self._publisher.aclose()
        await self._subscriber_pool.aclose()


def make_broker(settings) -> Broker:
    """Redis when ``YIMI_REDIS_URL`` is set (several server processes), else in memory."""
    if settings.redis_url:
        return RedisBroker(settings.redis_url)
    return MemoryBroker()
