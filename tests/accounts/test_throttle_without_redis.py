"""Sign-in throttling and API budgets while Redis does not answer: counted in memory, never off.

The app's ``redis_url`` points at a port where nothing listens; later a ``redis-server`` of the
test's own starts on that very port, as a Redis coming back would.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest
import redis.asyncio as aioredis

from tests.conftest import CSRF_HEADERS, TEST_PASSWORD
from tests.live.redis_server import RedisServer, free_port
from yimi.accounts.models import Staff
from yimi.accounts.service import set_password
from yimi.app import create_app

pytestmark = pytest.mark.timeout(30)

SIGN_IN = """mutation($u: String!, $p: String!) {
  signIn(input: {username: $u, password: $p}) { staff { id } userErrors { code message } } }"""


@asynccontextmanager
async def app_on(settings, redis_url: str, **changes):
    """An app of its own counting in ``redis_url`` and an httpx client for it."""
    app = create_app(
        settings.model_copy(
            update={"redis_url": redis_url, "rate_limit_key_prefix": f"test-{uuid.uuid4().hex[:8]}", **changes}
        ),
        manage_db=False,
    )
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.9.0.1", 40000)),
        base_url="http://testserver",
        headers=CSRF_HEADERS,
    )
    try:
        yield app, http
    finally:
        await http.aclose()
        await app.state.sign_in_throttle.close()
        await app.state.budget.close()
        await app.state.broker.close()


async def _staff() -> Staff:
    staff = (await Staff.filter(is_active=True).order_by("id"))[0]
    if staff.password_hash is None:
        await set_password(staff, TEST_PASSWORD)
    return staff


async def _sign_in(http: httpx.AsyncClient, username: str, password: str) -> str | None:
    """The error code of the attempt, None when it signed in."""
    response = await http.post("/graphql", json={"query": SIGN_IN, "variables": {"u": username, "p": password}})
    assert response.status_code == 200, response.text
    result = response.json()["data"]["signIn"]
    return result["userErrors"][0]["code"] if result["userErrors"] else None


def _counter_lines(caplog, name: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "yimi.common.counters" and r.getMessage().startswith(name)
    ]


async def test_sign_in_is_throttled_in_memory_without_redis_and_in_redis_once_it_is_back(
    settings, demo, tmp_path, caplog
):
    staff = await _staff()
    port = free_port()  # nothing listens there yet
    limits = {"sign_in_max_failures_per_username": 3, "sign_in_max_failures_per_ip": 100}
    async with app_on(settings, f"redis://127.0.0.1:{port}/0", **limits) as (app, http):
        storage = app.state.sign_in_throttle.storage
        # Only the test decides when Redis is asked again, however slow this machine is today.
        storage.retry_seconds = app.state.budget.storage.retry_seconds = 60
        with caplog.at_level(logging.INFO):
            for attempt in range(3):
                assert await _sign_in(http, staff.username, f"wrong-{attempt}") == "UNAUTHENTICATED"
            # Even the right password now: the failures were counted, in this process's memory.
            assert await _sign_in(http, staff.username, TEST_PASSWORD) == "THROTTLED"
            assert await _sign_in(http, staff.username, TEST_PASSWORD) == "THROTTLED"
        assert len(_counter_lines(caplog, "yimi-sign-in counters: Redis does not answer")) == 1, caplog.text
        assert not any(r.exc_info for r in caplog.records), "no traceback per request"
        assert "storage unavailable" not in caplog.text

        server = RedisServer(tmp_path, port)
        server.start()
        raw = aioredis.Redis.from_url(server.url)
        try:
            # Redis is asked again only every so often, not on each request.
            assert await _sign_in(http, "somebody-else", "wrong-again") == "UNAUTHENTICATED"
            assert await raw.dbsize() == 0, "Redis was tried again on the next request"
            storage._retry_at = time.monotonic()  # as if those few seconds had passed
            caplog.clear()
            with caplog.at_level(logging.INFO):
                assert await _sign_in(http, "somebody-else", "wrong-again") == "UNAUTHENTICATED"
                assert await raw.dbsize() > 0, "the failure was not counted in Redis"
                assert await _sign_in(http, "somebody-else", "wrong-again") == "UNAUTHENTICATED"
            assert len(_counter_lines(caplog, "yimi-sign-in counters: Redis answers again")) == 1, caplog.text
            assert not _counter_lines(caplog, "yimi-sign-in counters: Redis does not answer")
        finally:
            await raw.aclose()
            server.kill()


async def test_the_budget_meters_in_memory_without_redis_and_logs_once(settings, demo, caplog):
    query = "{ me { id } rateLimit { cost remaining limit } }"  # 1 point
    async with app_on(settings, f"redis://127.0.0.1:{free_port()}/0", rate_limit_points=3) as (_, http):
        with caplog.at_level(logging.INFO):
            remaining = []
            for _ in range(3):
                body = (await http.post("/graphql", json={"query": query})).json()
                assert "errors" not in body, body
                remaining.append(body["data"]["rateLimit"]["remaining"])
            refused = await http.post("/graphql", json={"query": query})
        assert remaining == [2, 1, 0]
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert refused.headers["X-RateLimit-Remaining"] == "0" and "Retry-After" in refused.headers
        assert len(_counter_lines(caplog, "yimi-budget counters: Redis does not answer")) == 1, caplog.text
        assert not any(r.exc_info for r in caplog.records), "no traceback per request"


async def test_a_restarted_redis_is_not_reported_down(tmp_path, caplog):
    """After a Redis restart, the first use of a pooled connection fails ("Connection closed by
    server"): that is the old connection, not a new outage; the counters stay in Redis."""
    from yimi.common.counters import counter_storage

    server = RedisServer(tmp_path)
    server.start()
    storage = counter_storage(server.url, f"test-{uuid.uuid4().hex[:8]}")
    try:
        with caplog.at_level(logging.INFO):
            assert await storage.incr("k", 60) == 1
            server.kill()
            server.start()  # back on the same port, before anyone asked
            assert await storage.incr("k", 60) == 1  # a new Redis, counted there
            assert await storage.incr("k", 60) == 2
        assert not storage.using_memory
        assert not _counter_lines(caplog, "test-"), caplog.text
    finally:
        await storage.bridge.storage.aclose()
        server.kill()
