"""The data version: one row that triggers bump in the transaction of every write to a table the API
reads (yimi.common.data_version). Caches of whole answers (the GraphQL response cache, the map layer)
key on it: a write made anywhere (the web app, the API, the CLI, an import, the demo loader, plain SQL)
is seen by every server process at its next read of the version.

Migration 0008's ``stats_data_version`` stays: it moves only with what the public figures read, so
that the figures are not recomputed after every note. Tables added later need triggers of their own
(tests/cache/test_data_version.py fails for a table the API reads without them).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# Every table the API reads. partner_token only when a column an answer or a read rule uses changes:
# its last_used_at is refreshed as tokens are used, which changes no answer. partner_call (the call
# log) is never read by the API.
TABLES = [
    "township",
    "department",
    "staff",
    "service_team",
    "team_member",
    "team_coverage",
    "enterprise",
    "commissioner_assignment",
    "issue",
    "dispatch_order",
    "issue_event",
    "extension_request",
    "visit",
    "issue_report_key",
]
PARTNER_TOKEN_COLUMNS = "name, token_hash, prefix, scopes, township_codes, categories, expires_at, revoked_at"
EVENTS = [
    *((table, event) for table in TABLES for event in ("INSERT", "UPDATE", "DELETE")),
    ("partner_token", "INSERT"),
    ("partner_token", f"UPDATE OF {PARTNER_TOKEN_COLUMNS}"),
    ("partner_token", "DELETE"),
]
# PostgreSQL only (SQLite has no TRUNCATE): a truncated table is a write as well.
POSTGRES_EVENTS = [(table, "TRUNCATE") for table in [*TABLES, "partner_token"]]
SQLITE_BUMP = "UPDATE data_version SET version = version + 1 WHERE id = 1"
# PostgreSQL: once per transaction (xact remembers which one bumped last), so a transaction of many
# statements dirties the row once. The row lock is held to the commit, so the new version becomes
# visible together with the data it stands for.
POSTGRES_BUMP = """
CREATE FUNCTION yimi_data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_version SET version = version + 1, xact = txid_current()
    WHERE id = 1 AND xact IS DISTINCT FROM txid_current();
    RETURN NULL;
END $$
"""


def _name(table: str, event: str) -> str:
    return f"data_version_{table}_{event.split()[0].lower()}"


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    await client.execute_script(
        "CREATE TABLE data_version (id INT NOT NULL PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL, xact BIGINT)"
    )
    await client.execute_script("INSERT INTO data_version (id, version) VALUES (1, 1)")
    if postgres:
        await client.execute_script(POSTGRES_BUMP)
    for table, event in EVENTS + (POSTGRES_EVENTS if postgres else []):
        name = _name(table, event)
        if postgres:
            sql = f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION yimi_data_version_bump()"
        else:
            sql = f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {SQLITE_BUMP}; END"
        await client.execute_script(sql)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for table, event in EVENTS + (POSTGRES_EVENTS if postgres else []):
        name = _name(table, event)
        await client.execute_script(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        await client.execute_script("DROP FUNCTION IF EXISTS yimi_data_version_bump()")
    await client.execute_script("DROP TABLE data_version")


class Migration(migrations.Migration):
    dependencies = [("yimi", "0009_issue_import")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
