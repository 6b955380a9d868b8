"""Server processes share their answers through Redis: one computes, the others serve it, for as long as it
holds (the data version and the clock), and a Redis that stops answering only makes each process compute."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from tests.cache.test_scopes_and_clock import Clock, thresholds_moved
from tests.conftest import count_sql, first_with_role, signed_in
from tests.issues.workflow_helpers import gid
from tests.live.conftest import private_redis, redis_url  # noqa: F401 (fixtures)
from yimi.app import create_app
from yimi.enterprises.models import Enterprise
from yimi.graphql import shared_answers
from yimi.issues.models import OPEN_VALUES, Issue

PANEL = """query SharedPanel($id: ID!) { node(id: $id) { ... on Enterprise {
  name openIssueCount issues(first: 50) { totalCount nodes { id status warningColor } } } } }"""
ME = "query SharedMe { me { id } }"


@pytest.fixture
async def processes(settings, demo, redis_url):  # noqa: F811
    """Two apps (two server processes) on one Redis, with the dispatcher signed in to each."""
    yield await _processes(settings, f"{redis_url.split('?')[0]}?channel_prefix=shared-{uuid.uuid4().hex[:8]}")


async def _processes(settings, url: str):
    apps = [create_app(settings.model_copy(update={"redis_url": url}), manage_db=False) for _ in range(2)]
    dispatcher = await first_with_role("dispatcher")
    clients = [await signed_in(app, dispatcher) for app in apps]
    for client in clients:
        await client(ME)  # each process knows the caller: what is left to count is the answer's
    return list(zip(apps, clients, strict=True))


async def _close(processes) -> None:
    for app, client in processes:
        await client.http.aclose()
        await app.state.shared_answers.close()
        await app.state.broker.close()
        await app.state.budget.close()
        await app.state.sign_in_throttle.close()


def _served(sent: list[str]) -> bool:
    """Whether the statements are those of a kept answer: the data version, and the caller after a write."""
    return all("FROM data_version" in s or 'FROM "staff"' in s for s in sent)


async def _busy_enterprise() -> Enterprise:
    issue = await Issue.filter(status__in=OPEN_VALUES).order_by("id").first()
    assert issue is not None
    return await Enterprise.get(id=issue.enterprise_id)


async def test_an_answer_one_process_computed_is_served_by_another(processes):
    (a, ask_a), (b, ask_b) = processes
    try:
        enterprise = await _busy_enterprise()
        variables = {"id": gid("Enterprise", enterprise.id)}
        computed = await ask_a(PANEL, variables)
        await a.state.shared_answers.flush()
        with count_sql() as sent:
            served = await ask_b(PANEL, variables)
        assert served == computed
        assert _served(sent), sent
        # A write: b computes the answer again, and a is served b's.
        await Enterprise.filter(id=enterprise.id).update(name=enterprise.name + "（共享）")
        try:
            renamed = await ask_b(PANEL, variables)
            assert renamed["node"]["name"] == enterprise.name + "（共享）"
            await b.state.shared_answers.flush()
            with count_sql() as sent:
                assert await ask_a(PANEL, variables) == renamed
            assert _served(sent), sent
        finally:
            await Enterprise.filter(id=enterprise.id).update(name=enterprise.name)
    finally:
        await _close(processes)


async def test_a_shared_answer_holds_only_until_a_colour_it_shows_changes(processes, monkeypatch):
    import yimi.app

    (a, ask_a), (_, ask_b) = processes
    try:
        enterprise = await _busy_enterprise()
        issue = await Issue.filter(enterprise_id=enterprise.id, status__in=OPEN_VALUES).order_by("id").first()
        assert issue is not None
        start = datetime.now(UTC)
        clock = Clock(start)

        class Moved(datetime):
            @classmethod
            def now(cls, tz=None):
                return clock.now(tz)

        monkeypatch.setattr(yimi.app, "datetime", Moved)
        variables = {"id": gid("Enterprise", enterprise.id)}
        # The issue turns yellow 30 s from now, orange and overdue later: the answer holds 30 s.
        moved = {issue: timedelta(seconds=30)}
        async with thresholds_moved(start, moved):
            raw = aioredis.Redis.from_url(a.state.settings.redis_url.split("?")[0])
            try:
                await a.state.shared_answers.flush()
                for key in await raw.keys(f"{await a.state.shared_answers.prefix()}*"):
                    await raw.delete(key)  # the answers of signing in
                before = await ask_a(PANEL, variables)
                await a.state.shared_answers.flush()
                [key] = await raw.keys(f"{await a.state.shared_answers.prefix()}*")
                assert 0 < await raw.pttl(key) <= 30_000
            finally:
                await raw.aclose()
            clock.now_value = start + timedelta(seconds=31)
            after = await ask_b(PANEL, variables)  # never the entry a stored: it no longer holds
        colours = lambda answer: {n["id"]: n["warningColor"] for n in answer["node"]["issues"]["nodes"]}  # noqa: E731
        assert colours(after)[gid("Issue", issue.id)] == "YELLOW" != colours(before)[gid("Issue", issue.id)]
    finally:
        await _close(processes)


async def test_a_redis_that_stops_answering_only_makes_each_process_compute(
    settings,
    demo,
    private_redis,  # noqa: F811
    monkeypatch,
    caplog,
):
    monkeypatch.setattr(shared_answers, "RETRY_SECONDS", 0.2)
    processes = await _processes(settings, private_redis.url)
    (a, ask_a), (b, ask_b) = processes
    try:
        enterprise = await _busy_enterprise()
        variables = {"id": gid("Enterprise", enterprise.id)}
        expected = await ask_a(PANEL, variables)
        await a.state.shared_answers.flush()
        private_redis.kill()
        caplog.set_level(logging.WARNING, logger="yimi.graphql.shared_answers")
        for _ in range(5):
            with count_sql() as sent:
                assert await ask_b(PANEL, variables) == expected  # computed: b's first time
            assert not _served(sent)
            b.state.response_cache.clear()
        said = [r.getMessage() for r in caplog.records if r.name == shared_answers.__name__]
        assert len(said) == 1 and "does not answer" in said[0], said
        # Back: after the retry interval the processes share again, and say so once.
        private_redis.start()
        await asyncio.sleep(0.3)
        await ask_a(PANEL, variables)  # a still has it in memory; b stores its own next
        b.state.response_cache.clear()
        await ask_b(PANEL, variables)
        await b.state.shared_answers.flush()
        a.state.response_cache.clear()
        with count_sql() as sent:
            assert await ask_a(PANEL, variables) == expected
        assert _served(sent), sent
        said = [r.getMessage() for r in caplog.records if r.name == shared_answers.__name__]
        assert len(said) == 2 and "answers again" in said[1], said
    finally:
        await _close(processes)


async def test_answers_too_large_to_share_stay_in_their_process(processes, monkeypatch):
    monkeypatch.setattr(shared_answers, "MAX_BYTES", 100)
    (a, ask_a), (_, ask_b) = processes
    try:
        variables = {"id": gid("Enterprise", (await _busy_enterprise()).id)}
        await ask_a(PANEL, variables)
        await a.state.shared_answers.flush()
        with count_sql() as sent:
            await ask_b(PANEL, variables)
        assert not _served(sent)
    finally:
        await _close(processes)


async def test_deployments_on_one_redis_never_share_an_answer(processes, settings):
    """Another database (its own identity, migration 0016) on the same Redis and channel prefix: the same data
    version, caller and document, and still it computes its own answer."""
    from tortoise import connections

    (a, ask_a), _ = processes
    db = connections.get("default")
    [row] = await db.execute_query_dict("SELECT token FROM deployment_identity")
    try:
        variables = {"id": gid("Enterprise", (await _busy_enterprise()).id)}
        await ask_a(PANEL, variables)
        await a.state.shared_answers.flush()
        await db.execute_query("UPDATE deployment_identity SET token = 'another database'")
        other = create_app(settings.model_copy(update={"redis_url": a.state.settings.redis_url}), manage_db=False)
        ask_other = await signed_in(other, await first_with_role("dispatcher"))
        processes.append((other, ask_other))
        await ask_other(ME)
        with count_sql() as sent:
            await ask_other(PANEL, variables)
        assert not _served(sent)
        assert await other.state.shared_answers.prefix() != await a.state.shared_answers.prefix()
    finally:
        await db.execute_query(f"UPDATE deployment_identity SET token = '{row['token']}'")
        await _close(processes)


async def test_a_value_that_is_not_an_answer_is_a_miss(processes):
    (a, ask_a), (_, ask_b) = processes
    try:
        variables = {"id": gid("Enterprise", (await _busy_enterprise()).id)}
        expected = await ask_a(PANEL, variables)
        await a.state.shared_answers.flush()
        raw = aioredis.Redis.from_url(a.state.settings.redis_url.split("?")[0])
        try:
            keys = await raw.keys(f"{await a.state.shared_answers.prefix()}*")
            for key in keys:
                await raw.set(key, b"not json\n{}")
        finally:
            await raw.aclose()
        assert keys
        assert await ask_b(PANEL, variables) == expected  # computed: the value was no answer
    finally:
        await _close(processes)
