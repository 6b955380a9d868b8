"""Helpers for live updates: a graphql-transport-ws client, Redis, a served app, waiting with a deadline."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import uvicorn
from prometheus_client import REGISTRY
from websockets.asyncio.client import connect

from tests.live.redis_server import RedisServer
from yimi.live.broker import RedisBroker

REDIS_URL = os.environ.get("YIMI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

ISSUE_CHANGED = """
subscription Changes($filter: IssueFilter) {
  issueChanged(filter: $filter) {
    action
    version
    issue { id number title status category version enterprise { name } }
  }
}
"""


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0) -> None:
    """Polls ``check`` until it holds; fails naming ``what`` after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_subscribers(broker, count: int, channel: str = "issues", timeout: float = 5.0) -> None:
    async def ready() -> bool:
        return await broker.subscriber_count(channel) == count

    await eventually(ready, f"{count} subscriber(s) on {channel!r}", timeout)


def live_subscribers() -> float:
    """The metric yimi_live_subscribers (issueChanged subscriptions open in this process)."""
    return REGISTRY.get_sample_value("yimi_live_subscribers") or 0.0


def unique_prefix() -> str:
    return f"yimi-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis, with a channel prefix of its own; fails (never skips) when Redis is down."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis is not answering at {REDIS_URL} ({error}). The live-update tests need it: start "
            "`redis-server` (.ci/run does) or point YIMI_TEST_REDIS_URL at one.",
            pytrace=False,
        )
    finally:
        client.close()
    return f"{REDIS_URL}?channel_prefix={unique_prefix()}"


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own, which it may kill and restart on the same port."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@asynccontextmanager
async def served(app):
    """``app`` served by uvicorn on a free port, in this event loop: gives its WebSocket URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        if task.done():
            task.result()
        return server.started

    try:
        await eventually(started, "uvicorn to start")
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


@pytest.fixture
async def redis_broker(redis_url):
    broker = RedisBroker(redis_url, client_name=f"yimi-test-{uuid.uuid4().hex[:8]}")
    yield broker
    await broker.close()


class SubscriptionClient:
    """A minimal graphql-transport-ws client with a deadline on every wait."""

    def __init__(self, ws):
        self.ws = ws
        self._ids = 0

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str, *, headers: dict | None = None, timeout: float = 5.0):
        async with connect(
            url,
            subprotocols=["graphql-transport-ws"],
            additional_headers=headers,
            open_timeout=timeout,
            close_timeout=2,
            proxy=None,
        ) as ws:
            client = cls(ws)
            await client.send({"type": "connection_init", "payload": {}})
            ack = await client.receive(timeout)
            assert ack["type"] == "connection_ack", ack
            yield client

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> dict:
        """The next message other than a ping (which it answers)."""
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout)
            except TimeoutError:
                pytest.fail(f"no WebSocket message within {timeout} s")
            message = json.loads(raw)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def subscribe(self, query: str = ISSUE_CHANGED, variables: dict | None = None) -> str:
        self._ids += 1
        op_id = str(self._ids)
        await self.send({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
        return op_id

    async def next(self, op_id: str, timeout: float = 5.0) -> dict:
        """The data of the next result of ``op_id``."""
        message = await self.receive(timeout)
        assert message.get("id") == op_id and message["type"] == "next", message
        assert "errors" not in message["payload"], message["payload"]
        return message["payload"]["data"]

    async def complete(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "complete"})
