"""The statistics data version: one row, bumped by triggers in the transaction of every write the
public figures read (yimi.stats.cache). Triggers rather than calls in the services: they see every
write, whichever code path makes it (the web app, the CLI, the demo loader, plain SQL)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

# (table, event): the writes the figures depend on. Issue updates only count when a column the
# figures read changes (status, dates, category, enterprise, satisfaction): a note or a version bump
# does not throw the cache away.
ISSUE_COLUMNS = "status, reported_at, deadline, resolved_at, satisfaction, category, enterprise_id"
EVENTS = [
    ("issue", "INSERT"),
    ("issue", "DELETE"),
    ("issue", f"UPDATE OF {ISSUE_COLUMNS}"),
    ("visit", "INSERT"),
    ("visit", "DELETE"),
    ("visit", "UPDATE OF visited_on, enterprise_id"),
    ("enterprise", "UPDATE OF township_id"),
    ("township", "INSERT"),
    ("township", "DELETE"),
    ("township", "UPDATE OF code, name, county_name"),
]
BUMP = "UPDATE stats_data_version SET version = version + 1 WHERE id = 1"


def _name(table: str, event: str) -> str:
    return f"stats_bump_{table}_{event.split()[0].lower()}"


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    await client.execute_script(
        "CREATE TABLE stats_data_version (id INT NOT NULL PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)"
    )
    await client.execute_script("INSERT INTO stats_data_version (id, version) VALUES (1, 1)")
    if postgres:
        # One bump per statement (a bulk insert bumps once); the row lock is held to the commit, which
        # orders writers of the figures, as SQLite's single writer does anyway.
        await client.execute_script(
            f"CREATE FUNCTION stats_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
    for table, event in EVENTS:
        name = _name(table, event)
        if postgres:
            sql = f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION stats_bump()"
        else:
            sql = f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {BUMP}; END"
        await client.execute_script(sql)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for table, event in EVENTS:
        name = _name(table, event)
        await client.execute_script(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        await client.execute_script("DROP FUNCTION IF EXISTS stats_bump()")
    await client.execute_script("DROP TABLE stats_data_version")


class Migration(migrations.Migration):
    dependencies = [("yimi", "0007_staff_session_version")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
