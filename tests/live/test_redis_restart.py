"""A Redis killed and restarted under a live server: no subscriber misses a change without being told.

The server runs in this process (uvicorn, a WebSocket like the web app's) on a Redis of the
test's own, which is killed with SIGKILL, as a crash would, and restarted on the same port.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest

from tests.conftest import first_with_role, signed_in
from tests.live.conftest import (
    ISSUE_CHANGED,
    SubscriptionClient,
    eventually,
    live_subscribers,
    served,
    unique_prefix,
    wait_for_subscribers,
)
from yimi.app import SESSION_COOKIE, create_app
from yimi.common.ids import to_global_id
from yimi.enterprises.models import Enterprise

pytestmark = pytest.mark.timeout(40)

WITH_RESYNC = """
subscription { issueChanged(resync: true) { action version issue { id title } } }
"""
REPORT = """
mutation($enterpriseId: ID!, $title: String!) {
  reportIssue(input: {enterpriseId: $enterpriseId, category: POWER, title: $title, description: "反复跳闸",
                      source: HOTLINE, priority: URGENT}) {
    issue { id } userErrors { message }
  }
}
"""
OUTAGE_SECONDS = 3.5


async def test_a_redis_restart_reaches_the_subscriber_and_later_changes_arrive(settings, demo, private_redis, caplog):
    app = create_app(
        settings.model_copy(
            update={
                "redis_url": f"{private_redis.url}?channel_prefix={unique_prefix()}",
                "rate_limit_key_prefix": f"test-{uuid.uuid4().hex[:8]}",
            }
        ),
        manage_db=False,
    )
    admin = await signed_in(app, await first_with_role("admin"))
    enterprise = await Enterprise.all().order_by("id").first()
    assert enterprise is not None
    enterprise_id = to_global_id("Enterprise", enterprise.id)

    async def report(title: str) -> str:
        payload = (await admin(REPORT, {"enterpriseId": enterprise_id, "title": title}))["reportIssue"]
        assert not payload["userErrors"] and payload["issue"], payload
        return payload["issue"]["id"]

    headers = {"Cookie": f"{SESSION_COOKIE}={admin.http.cookies[SESSION_COOKIE]}"}
    subscribers_before = live_subscribers()

    async def open_subscriptions(count: int) -> None:
        async def counted() -> bool:
            return live_subscribers() == subscribers_before + count

        await eventually(counted, f"yimi_live_subscribers to count {count} more")

    try:
        async with served(app) as url, SubscriptionClient.connect(url, headers=headers) as client:
            resyncing = await client.subscribe(WITH_RESYNC)
            plain = await client.subscribe(ISSUE_CHANGED)  # a client written before resync events
            await wait_for_subscribers(app.state.broker, 2)
            await open_subscriptions(2)

            before = await report(f"before the outage {time.time_ns()}")
            got = {m["id"]: m for m in [await client.receive(), await client.receive()]}
            assert {m["payload"]["data"]["issueChanged"]["issue"]["id"] for m in got.values()} == {before}

            with caplog.at_level(logging.INFO):
                private_redis.kill()
                title = f"during the outage {time.time_ns()}"
                during = await report(title)  # committed; its publish fails
                await asyncio.sleep(OUTAGE_SECONDS)
                private_redis.start()
                back = time.monotonic()

                # The subscriber asking for resync events gets one; the other, its subscription's end
                # (an error result, then complete), as clients written before resync events expect.
                told: dict[str, list[dict]] = {resyncing: [], plain: []}
                while not (told[resyncing] and len(told[plain]) == 2):
                    message = await client.receive(timeout=max(0.1, back + 5 - time.monotonic()))
                    told[message["id"]].append(message)
                    if message["id"] == resyncing:
                        resync_after = time.monotonic() - back
                [resync] = told[resyncing]
                assert resync["type"] == "next" and resync["payload"] == {
                    "data": {"issueChanged": {"action": "resync", "version": None, "issue": None}}
                }, resync
                ended, completed = told[plain]
                assert ended["type"] == "next" and ended["payload"]["data"] is None, ended
                assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == ["LIVE_UPDATES_INTERRUPTED"]
                assert completed["type"] == "complete", completed
                await wait_for_subscribers(app.state.broker, 1)
                await open_subscriptions(1)

                # Every change from now on arrives (the publisher's make-up resync may come between).
                after = [await report(f"after the outage {i} {time.time_ns()}") for i in range(3)]
                delivered = []
                while len(delivered) < len(after):
                    message = await client.next(resyncing, timeout=5)
                    change = message["issueChanged"]
                    if change["action"] != "resync":
                        delivered.append(change["issue"]["id"])
                assert delivered == after

            # What the resync makes the client refetch has the change made during the outage.
            refetched = await admin("query($id: ID!) { node(id: $id) { ... on Issue { title } } }", {"id": during})
            assert refetched["node"] == {"title": title}
        print(f"resync {resync_after:.2f} s after Redis came back")
        assert resync_after < 3, f"the resync came {resync_after:.1f} s after Redis came back"

        broker_lines = [r.getMessage() for r in caplog.records if r.name == "yimi.live.broker"]
        assert sum("lost their Redis connection" in line for line in broker_lines) == 1, broker_lines
        assert sum("reconnected to Redis" in line for line in broker_lines) == 1, broker_lines
        assert sum("not published" in line for line in broker_lines) == 1, broker_lines
        assert not any(r.exc_info for r in caplog.records), "no traceback for a Redis outage"
        await open_subscriptions(0)
    finally:
        await admin.http.aclose()
        await app.state.broker.close()
        await app.state.budget.close()
        await app.state.sign_in_throttle.close()
