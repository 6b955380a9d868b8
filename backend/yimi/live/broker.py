"""Publish/subscribe for live updates: in memory within one process, through Redis across several.

Messages are small JSON-able dicts (ids, not objects): a subscriber loads whatever it needs from
the database when a message arrives, so every process sees the committed state.

Publishing is best effort: it is called after a change has been committed, so a broker that is
down must not turn a successful change into an error. ``publish`` logs such failures and returns.
A subscriber that may have missed messages (the Redis broker lost its connection, or a publish
failed) gets ``RESYNC`` instead: reload what you show. The memory broker never loses a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

log = logging.getLogger(__name__)

# The issues service publishes {"issueId": int, "action": str, "status": str, "version": int} here
# after each committed change of an issue.
ISSUES_CHANNEL = "issues"

# What a subscriber gets in place of the messages it may have missed. On the wire too: a process
# whose publish failed sends it to the subscribers of every process once Redis takes it again.
RESYNC: dict[str, Any] = {"resync": True}


def is_resync(message: Mapping[str, Any]) -> bool:
    return message.get("resync") is True


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


class BrokerUnavailable(Exception):
    """The broker could not be reached (at subscribe time, or for longer than a reconnect allows)."""


class RedisBroker:
    """Several processes: messages travel as JSON through Redis pub/sub.

    Each subscriber holds its own pub/sub connection for as long as its generator runs; closing
    the generator (the client unsubscribed or went away) or ``close()`` releases it.

    Pub/sub keeps nothing for a subscriber that is not connected, so a gap must never go unnoticed
    (redis-py's own retry reconnects and re-subscribes silently, dropping what was published
    meanwhile: it is turned off here). A subscriber that loses its connection, or hears nothing,
    not even the answer to a PING, for a ``heartbeat``, reconnects itself and, once Redis has
    confirmed the subscription again, yields ``RESYNC``: whatever was published in the gap is
    lost, and the consumer must reload. After ``reconnect_timeout`` without Redis it raises
    BrokerUnavailable. A publish that fails is logged and owed: ``RESYNC`` goes out on its
    channel as soon as Redis takes it, so that subscribers in every process hear of the change
    they missed even when their own connections held.
    """

    def __init__(
        self,
        url: str,
        *,
        channel_prefix: str | None = None,
        client_name: str = "yimi-live",
        heartbeat: float = 10.0,
        reconnect_timeout: float = 20.0,
        publish_timeout: float = 2.0,
    ):
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialWithJitterBackoff, NoBackoff

        redis_url, default_prefix = split_redis_url(url)
        self.channel_prefix = channel_prefix or default_prefix
        self._heartbeat = heartbeat
        self._reconnect_timeout = reconnect_timeout
        self._confirm_timeout = publish_timeout
        # Publishing runs inside a mutation: a Redis that hangs must not hang the mutation. One
        # retry replaces a pooled connection that died since its last use (Redis restarted).
        self._publisher = Redis.from_url(
            redis_url,
            client_name=client_name,
            socket_timeout=publish_timeout,
            socket_connect_timeout=publish_timeout,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=1),
        )
        # Subscribers block on reads, so no socket timeout (the heartbeat finds a dead peer), and
        # no retry: subscribe() reconnects itself so that the gap is reported, not hidden.
        self._subscriber_pool = Redis.from_url(
            redis_url,
            client_name=client_name,
            socket_connect_timeout=publish_timeout,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), retries=0),
        )
        self._pubsubs: set[Any] = set()
        self._closed = False
        self._outage_since: float | None = None  # for one log line per outage, not one per subscriber
        self._owed: set[str] = set()  # channels owed a RESYNC: a publish on them failed
        self._resyncer: asyncio.Task | None = None

    def redis_channel(self, channel: str) -> str:
        return f"{self.channel_prefix}:{channel}"

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        from redis.exceptions import RedisError

        data = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)
        try:
            await self._publisher.publish(self.redis_channel(channel), data)
        except (RedisError, OSError) as error:
            # One line per outage (the first change lost), not one per write made during it.
            (log.debug if self._owed else log.error)(
                "live update on %r not published (%s); its subscribers will be told to resync (so will those of "
                "every channel written until Redis takes them again): %s",
                channel,
                error,
                data,
            )
            self._owed.add(channel)
            if not self._closed and (self._resyncer is None or self._resyncer.done()):
                self._resyncer = asyncio.create_task(self._pay_resyncs())

    async def _pay_resyncs(self, interval: float = 1.0) -> None:
        from redis.exceptions import RedisError

        data = json.dumps(RESYNC)
        told: list[str] = []
        while self._owed:
            await asyncio.sleep(interval)
            for channel in sorted(self._owed):
                try:
                    await self._publisher.publish(self.redis_channel(channel), data)
                except (RedisError, OSError):
                    break  # still down: the next round tries again
                self._owed.discard(channel)
                told.append(channel)
        if told:
            channels = ", ".join(map(repr, told))
            log.warning("Redis takes live updates again: told the subscribers of %s to resync", channels)

    def _lost(self, error: BaseException) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.warning("live updates lost their Redis connection (%s); reconnecting, subscribers will resync", error)

    def _regained(self) -> None:
        if self._outage_since is not None:
            log.warning(
                "live updates reconnected to Redis after %.1f s; subscribers told to resync",
                time.monotonic() - self._outage_since,
            )
            self._outage_since = None

    async def _confirmed(self, pubsub: Any, name: str) -> None:
        """Subscribes ``pubsub`` to ``name`` and waits for Redis to confirm: from then on, nothing
        published on it is missed."""
        # Bounded as a whole: the connection's handshake has no socket timeout, and a Redis that
        # accepts connections without answering (stopped, overloaded) would hold it forever.
        async with asyncio.timeout(self._confirm_timeout):
            await pubsub.subscribe(name)
            while True:
                item = await pubsub.get_message(timeout=None)
                if item is not None and item["type"] == "subscribe":
                    return

    async def _reconnected(self, pubsub: Any, name: str) -> bool:
        """Reconnects ``pubsub`` to ``name``; False if the broker was closed meanwhile. Raises
        BrokerUnavailable when Redis stays away for longer than ``reconnect_timeout``."""
        from redis.exceptions import RedisError

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._reconnect_timeout
        delay = 0.05
        while not self._closed:
            await pubsub.aclose()  # a fresh connection each time: no half-subscribed leftovers
            try:
                await self._confirmed(pubsub, name)
            except (RedisError, OSError) as error:
                if loop.time() + delay > deadline:
                    raise BrokerUnavailable(
                        f"Redis unreachable for more than {self._reconnect_timeout:g} s: {error}"
                    ) from error
                # Short waits: the sooner a subscriber is back, the less its consumer reloads for nothing.
                await asyncio.sleep(delay)
                delay = min(0.5, delay * 2)
            else:
                return not self._closed
        return False

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        from redis.exceptions import ConnectionError, RedisError

        if self._closed:
            raise RuntimeError("the broker is closed")
        name = self.redis_channel(channel)
        pubsub = self._subscriber_pool.pubsub()
        self._pubsubs.add(pubsub)
        loop = asyncio.get_running_loop()
        try:
            try:
                await self._confirmed(pubsub, name)
            except (RedisError, OSError) as error:
                raise BrokerUnavailable(f"Redis unreachable: {error}") from error
            heard_at, pinged = loop.time(), False
            while not self._closed:
                try:
                    item = await pubsub.get_message(timeout=self._heartbeat)
                    if item is not None:
                        heard_at, pinged = loop.time(), False
                    elif loop.time() - heard_at >= self._heartbeat:
                        if pinged:
                            raise ConnectionError(f"no answer from Redis to a PING within {self._heartbeat:g} s")
                        await pubsub.ping()
                        heard_at, pinged = loop.time(), True
                        continue
                except (RedisError, OSError) as error:
                    if self._closed:
                        return  # close() took the connection away: shutdown, not an error
                    self._lost(error)
                    if not await self._reconnected(pubsub, name):
                        return
                    self._regained()
                    heard_at, pinged = loop.time(), False
                    yield dict(RESYNC)
                    continue
                if item is None or item["type"] != "message":
                    continue  # quiet, a PONG, or close()'s unsubscribe confirmation
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
        if self._resyncer is not None:
            self._resyncer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._resyncer
        # Unsubscribing wakes each reader with a confirmation: it sees the broker is closed,
        # stops, and gives its connection back.
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
