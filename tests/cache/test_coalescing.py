"""Identical requests that arrive while their answer is being computed wait for it (ResponseCache.join):
under load, every request that came while a province's map layer was built encoded and gzipped 17 MB of
its own."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from tests.cache.test_shared_answers import PANEL, _busy_enterprise, _served
from tests.conftest import count_sql, first_with_role, signed_in
from tests.issues.workflow_helpers import gid
from yimi.app import create_app
from yimi.graphql.encoding import encoded
from yimi.graphql.response_cache import Cached, ResponseCache


async def test_identical_requests_arriving_together_are_computed_once(settings, demo):
    app = create_app(settings, manage_db=False)
    client = await signed_in(app, await first_with_role("dispatcher"))
    try:
        await client("query Me { me { id } }")  # the caller known: what is left to count is the answer's
        variables = {"id": gid("Enterprise", (await _busy_enterprise()).id)}
        with count_sql() as alone:
            expected = await client(PANEL, variables)
        computing = [s for s in alone if not _served([s])]
        assert computing, "the panel must be computed, not served"

        app.state.response_cache.clear()
        with count_sql() as together:
            answers = await asyncio.gather(*(client(PANEL, variables) for _ in range(6)))
        assert answers == [expected] * 6
        # The panel's statements once, not six times.
        assert [s for s in together if not _served([s])] == computing
    finally:
        await client.http.aclose()


def _answer(computed_at: datetime) -> Cached:
    data = encoded({"n": 1})
    assert data is not None
    return Cached(data=data, computed_at=computed_at, until=None, stale_after=time.monotonic() + 60, size=10)


async def test_a_flight_without_an_answer_for_the_waiter_leaves_it_to_compute_its_own():
    cache = ResponseCache()
    key = (b"k", 1, 0)
    now = datetime.now(UTC)

    # The leader had nothing to share (an error, or its client went away): the waiter computes alone.
    answer, flight = await cache.join(key, now)
    assert answer is None and flight is not None
    waiter = asyncio.ensure_future(cache.join(key, now))
    await asyncio.sleep(0)
    assert not waiter.done()
    cache.land(key, flight, None)
    assert await waiter == (None, None)

    # An answer computed for a later instant than the waiter's request is not the waiter's.
    answer, flight = await cache.join(key, now)
    assert flight is not None
    early, late = (asyncio.ensure_future(cache.join(key, at)) for at in (now - timedelta(seconds=1), now))
    await asyncio.sleep(0)
    kept = _answer(now)
    cache.land(key, flight, kept)
    assert await early == (None, None)
    assert await late == (kept, None)

    # The flight has landed: the next request leads a new one.
    assert (await cache.join(key, now))[1] is not None
