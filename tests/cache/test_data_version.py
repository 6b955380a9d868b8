"""The data version moves with every write to a table the API reads, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
