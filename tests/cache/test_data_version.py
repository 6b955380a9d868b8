"""The data version moves with every write to a table the API reads, and only then."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections

from yimi.accounts.models import PartnerToken
from yimi.accounts.tokens import create_token, token_for_secret
from yimi.common import data_version
from yimi.townships.models import Township

# Tables the API never reads, and the bookkeeping of the database itself.
# open_issue and enterprise_change are written only by the triggers of writes that bump the version;
# deployment_identity names the database for the answers shared through Redis.
NOT_READ = {
    "partner_call",
    "data_version",
    "tortoise_migrations",
    "open_issue",
    "enterprise_change",
    "deployment_identity",
}


async def _tables_and_triggers() -> tuple[set[str], dict[str, set[str]]]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        tables = await conn.execute_query_dict(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        triggers = await conn.execute_query_dict(
            "SELECT event_object_table AS tbl, event_manipulation AS event, action_statement AS body "
            "FROM information_schema.triggers WHERE trigger_name LIKE 'data_version_%'"
        )
        events = [(t["tbl"], t["event"]) for t in triggers if "yimi_data_version_bump" in t["body"]]
    else:
        tables = await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        triggers = await conn.execute_query_dict(
            "SELECT tbl_name AS tbl, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'data_version_%'"
        )
        events = [
            (t["tbl"], event)
            for t in triggers
            if "UPDATE data_version SET version = version + 1" in t["sql"]
            for event in ("INSERT", "UPDATE", "DELETE")
            if f"AFTER {event}" in t["sql"]
        ]
    by_table: dict[str, set[str]] = {}
    for table, event in events:
        by_table.setdefault(table, set()).add(event)
    return {t["name"] for t in tables}, by_table


async def test_every_table_the_api_reads_bumps_the_version_on_every_kind_of_write(demo):
    tables, triggers = await _tables_and_triggers()
    read = tables - NOT_READ
    assert {"issue", "enterprise", "township", "team_member", "staff"} <= read
    missing = {t: {"INSERT", "UPDATE", "DELETE"} - triggers.get(t, set()) for t in read}
    assert not {t: m for t, m in missing.items() if m}, "tables without data_version triggers (add a migration)"


async def test_a_write_moves_the_version_and_a_read_does_not(demo):
    before = await data_version.current()
    await Township.all().count()
    assert await data_version.current() == before
    township = await Township.all().order_by("id").first()
    assert township is not None
    await Township.filter(id=township.id).update(name=township.name)
    assert await data_version.current() > before


async def test_a_token_being_used_does_not_move_the_version_but_revoking_it_does(demo):
    token, secret = await create_token("data version probe", ["enterprises:read"])
    before = await data_version.current()
    await token_for_secret(secret, datetime.now(UTC) + timedelta(hours=1))  # refreshes last_used_at
    assert (await PartnerToken.get(id=token.id)).last_used_at is not None
    assert await data_version.current() == before
    await PartnerToken.filter(id=token.id).update(revoked_at=datetime.now(UTC))
    assert await data_version.current() > before


async def test_requests_asking_together_share_a_reading_made_after_each_arrived(monkeypatch):
    """VersionReads: one query for the requests that ask together, and never one that started before a
    request arrived (a write the request saw committed could be missing from it)."""
    database = {"version": 1}
    queries: list[asyncio.Event] = []

    async def read() -> int:
        at_start = database["version"]  # what a query sees is what was committed when it started
        queries.append(done := asyncio.Event())
        await done.wait()
        if at_start < 0:
            raise ConnectionError("the database does not answer")
        return at_start

    monkeypatch.setattr(data_version, "current", read)
    reads = data_version.VersionReads()
    first = asyncio.ensure_future(reads.current())
    await asyncio.sleep(0.01)
    assert len(queries) == 1
    database["version"] = 2  # a write commits while that query is under way
    later = [asyncio.ensure_future(reads.current()) for _ in range(5)]
    await asyncio.sleep(0.01)
    assert len(queries) == 1  # they wait for the next reading, not this one
    queries[0].set()
    assert await first == 1
    await asyncio.sleep(0.01)
    assert len(queries) == 2
    queries[1].set()
    assert await asyncio.gather(*later) == [2] * 5  # one query for all five, made after they asked

    # A failed reading fails those who waited for it, and the next one is read again.
    database["version"] = -1
    failing = [asyncio.ensure_future(reads.current()) for _ in range(2)]
    await asyncio.sleep(0.01)
    queries[2].set()
    for request in failing:
        with pytest.raises(ConnectionError):
            await request
    database["version"] = 3
    again = asyncio.ensure_future(reads.current())
    await asyncio.sleep(0.01)
    queries[3].set()
    assert await again == 3 and len(queries) == 4


async def test_a_reading_that_hangs_or_is_cancelled_fails_its_requests_and_the_next_one_is_read(monkeypatch):
    hang = asyncio.Event()

    async def stuck() -> int:
        await hang.wait()
        return 1

    monkeypatch.setattr(data_version, "current", stuck)
    monkeypatch.setattr(data_version.VersionReads, "TIMEOUT_SECONDS", 0.05)
    reads = data_version.VersionReads()
    with pytest.raises(TimeoutError):  # an OSError: yimi.app answers "unavailable"
        await reads.current()

    # The reader cancelled (the app stopping) with requests waiting: they fail, and a later one reads again.
    monkeypatch.setattr(data_version.VersionReads, "TIMEOUT_SECONDS", 10.0)
    waiting = [asyncio.ensure_future(reads.current()) for _ in range(2)]
    await asyncio.sleep(0.01)
    assert reads._reader is not None
    reads._reader.cancel()
    for request in waiting:
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(request, 1)

    async def answers() -> int:
        return 7

    monkeypatch.setattr(data_version, "current", answers)
    assert await asyncio.wait_for(reads.current(), 1) == 7
