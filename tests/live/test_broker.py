"""The brokers: in memory, and through Redis (JSON on the wire, one connection per subscriber)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from contextlib import aclosing

import pytest
import redis.asyncio as aioredis

from tests.live.conftest import REDIS_URL, eventually, wait_for_subscribers
from yimi.live.broker import RESYNC, BrokerUnavailable, MemoryBroker, RedisBroker, make_broker, split_redis_url
from yimi.settings import Settings

pytestmark = pytest.mark.timeout(30)

CHANGE = {"issueId": 7, "action": "dispatch", "status": "dispatched", "version": 3}


async def _take(broker, channel: str, count: int) -> list[dict]:
    out = []
    async with aclosing(broker.subscribe(channel)) as messages:
        async for message in messages:
            out.append(message)
            if len(out) == count:
                return out
    return out


@pytest.fixture(params=["memory", "redis"])
async def broker(request):
    b = MemoryBroker() if request.param == "memory" else RedisBroker(request.getfixturevalue("redis_url"))
    yield b
    await b.close()


async def test_every_subscriber_gets_every_message_in_order(broker):
    readers = [asyncio.create_task(_take(broker, "issues", 2)) for _ in range(2)]
    await wait_for_subscribers(broker, 2)
    await broker.publish("issues", CHANGE)
    await broker.publish("issues", {**CHANGE, "version": 4})
    results = await asyncio.wait_for(asyncio.gather(*readers), 5)
    assert results == [[CHANGE, {**CHANGE, "version": 4}]] * 2
    await wait_for_subscribers(broker, 0)


async def test_channels_are_separate(broker):
    reader = asyncio.create_task(_take(broker, "issues", 1))
    await wait_for_subscribers(broker, 1)
    await broker.publish("teams", {"teamId": 1})
    await broker.publish("issues", CHANGE)
    assert await asyncio.wait_for(reader, 5) == [CHANGE]


async def test_a_cancelled_subscriber_is_removed(broker):
    reader = asyncio.create_task(_take(broker, "issues", 1))
    await wait_for_subscribers(broker, 1)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    await wait_for_subscribers(broker, 0)


async def test_publishing_without_subscribers_is_fine(broker):
    await broker.publish("issues", CHANGE)


# --- Redis specifics -------------------------------------------------------------------------


async def _clients_named(name: str) -> int:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        return sum(1 for c in await client.client_list() if c.get("name") == name)
    finally:
        await client.aclose()


async def first_message(pubsub, tries: int = 50) -> dict | None:
    """The first message ``pubsub`` receives within ``tries`` tenths of a second, or None."""
    for _ in range(tries):
        message = await pubsub.get_message(timeout=0.1)
        if message:
            return message
    return None


async def test_redis_messages_are_json_on_a_prefixed_channel(redis_url):
    broker = RedisBroker(redis_url)
    raw = aioredis.Redis.from_url(REDIS_URL)
    pubsub = raw.pubsub(ignore_subscribe_messages=True)
    try:
        channel = broker.redis_channel("issues")
        assert channel.startswith("yimi-test-") and channel.endswith(":issues")
        await pubsub.subscribe(channel)
        await broker.publish("issues", CHANGE)
        message = await first_message(pubsub)
        assert message is not None, "nothing arrived on the raw Redis channel"
        assert json.loads(message["data"]) == CHANGE
        assert message["data"] == b'{"issueId":7,"action":"dispatch","status":"dispatched","version":3}'
    finally:
        await pubsub.aclose()
        await raw.aclose()
        await broker.close()


async def test_redis_messages_from_other_publishers_arrive_and_junk_is_skipped(redis_broker, caplog):
    reader = asyncio.create_task(_take(redis_broker, "issues", 1))
    await wait_for_subscribers(redis_broker, 1)
    raw = aioredis.Redis.from_url(REDIS_URL)
    try:
        channel = redis_broker.redis_channel("issues")
        with caplog.at_level(logging.WARNING, "yimi.live.broker"):
            await raw.publish(channel, b"not json")
            await raw.publish(channel, b"[1, 2]")
            await raw.publish(channel, json.dumps(CHANGE))
            assert await asyncio.wait_for(reader, 5) == [CHANGE]
        assert "not JSON" in caplog.text and "not an object" in caplog.text
    finally:
        await raw.aclose()


async def test_each_redis_subscriber_holds_one_connection_and_gives_it_back(redis_url):
    name = f"yimi-test-leak-{uuid.uuid4().hex[:8]}"
    broker = RedisBroker(redis_url, client_name=name)
    try:
        readers = [asyncio.create_task(_take(broker, "issues", 1)) for _ in range(3)]
        await wait_for_subscribers(broker, 3)
        # Three subscriber connections plus the publisher's (NUMSUB went through it).
        assert await _clients_named(name) == 4

        # A subscriber that got its message and left, and two whose clients went away.
        await broker.publish("issues", CHANGE)
        await asyncio.wait_for(asyncio.gather(*readers), 5)

        async def only_publisher_left() -> bool:
            return await _clients_named(name) == 1

        await eventually(only_publisher_left, "the subscriber connections to close")
        await wait_for_subscribers(broker, 0)

        # Closed while waiting for a message (the client unsubscribed mid-wait).
        gen = broker.subscribe("issues")
        waiting = asyncio.create_task(anext(gen))
        await wait_for_subscribers(broker, 1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await gen.aclose()
        await eventually(only_publisher_left, "the cancelled subscriber's connection to close")
    finally:
        await broker.close()

    async def none_left() -> bool:
        return await _clients_named(name) == 0

    await eventually(none_left, "close() to release every connection")


async def test_close_ends_open_subscriptions_quietly(broker):
    readers = [asyncio.create_task(_take(broker, "issues", 1)) for _ in range(2)]
    await wait_for_subscribers(broker, 2)
    await asyncio.wait_for(broker.close(), 3)
    assert await asyncio.wait_for(asyncio.gather(*readers), 3) == [[], []]  # ended, no error
    with pytest.raises(RuntimeError, match="closed"):
        await anext(broker.subscribe("issues"))


async def test_a_failing_publish_is_logged_not_raised(caplog):
    # Nothing listens on port 1: the change was committed, so the caller must not see an error.
    broker = RedisBroker("redis://127.0.0.1:1/0", publish_timeout=0.5)
    try:
        with caplog.at_level(logging.ERROR, "yimi.live.broker"):
            await broker.publish("issues", CHANGE)
            for _ in range(3):  # more writes during the same outage: no line each
                await broker.publish("issues", CHANGE)
        assert "not published" in caplog.text and '"issueId":7' in caplog.text
        assert sum("not published" in r.getMessage() for r in caplog.records) == 1, caplog.text
    finally:
        await broker.close()


def test_channel_prefix_from_the_url():
    assert split_redis_url("redis://h:6379/0") == ("redis://h:6379/0", "yimi:0")
    assert split_redis_url("redis://h:6379/3") == ("redis://h:6379/3", "yimi:3")
    assert split_redis_url("redis://h:6379") == ("redis://h:6379", "yimi:0")
    assert split_redis_url("unix:///run/redis.sock?db=2") == ("unix:///run/redis.sock?db=2", "yimi:2")
    assert split_redis_url("unix:///run/redis.sock?db=2&channel_prefix=x") == ("unix:///run/redis.sock?db=2", "x")
    assert split_redis_url("redis://:pw@h/2?channel_prefix=staging&socket_timeout=5") == (
        "redis://:pw@h/2?socket_timeout=5",
        "staging",
    )


async def test_make_broker_picks_redis_when_a_url_is_set(redis_url):
    assert isinstance(make_broker(Settings(redis_url=None)), MemoryBroker)
    broker = make_broker(Settings(redis_url=redis_url))
    try:
        assert isinstance(broker, RedisBroker)
        assert broker.channel_prefix.startswith("yimi-test-")
    finally:
        await broker.close()


async def test_a_redis_subscriber_survives_a_dropped_connection_and_says_so(redis_url):
    """It reconnects and subscribes again, then yields RESYNC (what was sent in the gap is lost)."""
    name = f"yimi-test-reconnect-{uuid.uuid4().hex[:8]}"
    broker = RedisBroker(redis_url, client_name=name)
    admin = aioredis.Redis.from_url(REDIS_URL)
    try:
        reader = asyncio.create_task(_take(broker, "issues", 2))
        await wait_for_subscribers(broker, 1)
        (victim,) = [c["id"] for c in await admin.client_list() if c.get("name") == name and c.get("flags") == "P"]
        await admin.client_kill_filter(_id=victim)
        # Re-subscribed on a new connection (the count dips to 0 while it reconnects).
        await eventually(lambda: _resubscribed(admin, name, victim), "the subscriber to reconnect and subscribe again")
        await wait_for_subscribers(broker, 1)
        await broker.publish("issues", CHANGE)
        assert await asyncio.wait_for(reader, 5) == [RESYNC, CHANGE]
    finally:
        await admin.aclose()
        await broker.close()


async def test_a_redis_that_stops_answering_is_noticed_by_the_heartbeat(private_redis, caplog):
    """A hung Redis keeps the connection open: the unanswered PING gives it away."""
    broker = RedisBroker(private_redis.url, heartbeat=0.3, publish_timeout=0.5)
    messages = broker.subscribe("issues")
    try:
        first = asyncio.create_task(anext(messages))
        await wait_for_subscribers(broker, 1)
        with caplog.at_level(logging.WARNING, "yimi.live.broker"):
            private_redis.pause()
            await asyncio.sleep(1.5)  # the heartbeat fires, then reconnecting times out against a mute server
            assert not first.done()
            private_redis.resume()
            # Whatever was published before RESYNC may be lost (RESYNC stands for it); nothing after.
            assert await asyncio.wait_for(first, 5) == RESYNC
            await broker.publish("issues", CHANGE)
            assert await asyncio.wait_for(anext(messages), 5) == CHANGE
        assert "no answer from Redis to a PING" in caplog.text and "reconnected to Redis" in caplog.text
    finally:
        private_redis.resume()
        await messages.aclose()
        await broker.close()


async def test_a_redis_gone_for_too_long_ends_the_subscription_with_an_error(private_redis):
    broker = RedisBroker(private_redis.url, reconnect_timeout=0.5)
    try:
        gen = broker.subscribe("issues")
        waiting = asyncio.create_task(anext(gen))
        await wait_for_subscribers(broker, 1)
        private_redis.kill()
        with pytest.raises(BrokerUnavailable, match=r"unreachable for more than 0\.5 s"):
            await asyncio.wait_for(waiting, 5)
        await gen.aclose()
    finally:
        await broker.close()


async def test_a_failed_publish_is_made_up_for_by_a_resync_once_redis_is_back(private_redis, caplog):
    """Subscribers elsewhere may have kept their connections: the lost change reaches them as RESYNC."""
    broker = RedisBroker(private_redis.url, publish_timeout=0.5)
    try:
        private_redis.kill()
        with caplog.at_level(logging.ERROR, "yimi.live.broker"):
            await broker.publish("issues", CHANGE)  # committed already: must not raise
        assert "not published" in caplog.text and '"issueId":7' in caplog.text
        private_redis.start()
        # Another process's subscriber, on a connection of its own that never broke.
        raw = aioredis.Redis.from_url(private_redis.url)
        pubsub = raw.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(broker.redis_channel("issues"))
            message = await first_message(pubsub)
            assert message is not None, "no resync within 5 s of Redis coming back"
            assert json.loads(message["data"]) == RESYNC
        finally:
            await pubsub.aclose()
            await raw.aclose()
    finally:
        await broker.close()


async def _resubscribed(admin, name: str, old_id: str) -> bool:
    return any(c.get("name") == name and c.get("flags") == "P" and c["id"] != old_id for c in await admin.client_list())
