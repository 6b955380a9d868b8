"""A log of the enterprises each write touched, by data version, so that the map layer built at an older
version can read again only those (a few rows after a workflow step) instead of 100,000 points at
province scale (yimi.enterprises.map_layer).

``enterprise_change(version, enterprise_id)`` gets a row, in the transaction of the write, for each
enterprise inserted, updated or deleted and for each enterprise whose open issues (``open_issue``, kept
by the triggers of migration 0011) changed; ``enterprise_id`` NULL stands for "any enterprise": a
township's code changed (filters name townships by code) or a table was truncated. On PostgreSQL a
statement touching more than ``MANY`` enterprises logs one NULL as well, so that a bulk import leaves
one row, not 100,000.

The version is the one the writing transaction commits: each trigger bumps the data version first (once
per transaction on PostgreSQL, as migration 0010's triggers do; SQLite bumps it on every row already),
then logs it. Versions commit in order (the ``data_version`` row lock), so every write a layer built at
version V has not seen has logged rows with a version above V. Rows more than ``KEEP_VERSIONS`` below
the version being logged are deleted by the same triggers; a layer older than that is built afresh.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

KEEP_VERSIONS = 20_000
MANY = 500

TABLE = "CREATE TABLE enterprise_change (version BIGINT NOT NULL, enterprise_id INT)"
INDEX = "CREATE INDEX enterprise_change_version ON enterprise_change (version)"

# -- SQLite: row triggers ---------------------------------------------------------------------------
_SQLITE_LOG = (
    "UPDATE data_version SET version = version + 1 WHERE id = 1; "
    "INSERT INTO enterprise_change (version, enterprise_id) SELECT version, {id} FROM data_version WHERE id = 1; "
    f"DELETE FROM enterprise_change WHERE version < (SELECT version FROM data_version WHERE id = 1) - {KEEP_VERSIONS}"
)
# (table, event, the enterprise id, a condition)
_SQLITE_EVENTS = [
    ("enterprise", "INSERT", "NEW.id", ""),
    ("enterprise", "UPDATE", "NEW.id", ""),
    ("enterprise", "DELETE", "OLD.id", ""),
    ("open_issue", "INSERT", "NEW.enterprise_id", ""),
    ("open_issue", "UPDATE", "NEW.enterprise_id", ""),
    ("open_issue", "DELETE", "OLD.enterprise_id", ""),
    ("township", "UPDATE OF code", "NULL", "WHEN OLD.code IS NOT NEW.code"),
]
SQLITE_TRIGGERS = {
    f"enterprise_change_{table}_{event.split()[0].lower()}": (
        f"CREATE TRIGGER enterprise_change_{table}_{event.split()[0].lower()} AFTER {event} ON {table} {when} "
        f"BEGIN {_SQLITE_LOG.format(id=enterprise_id)}; "
        + (
            # An enterprise moved between enterprises: the one it left changed as well.
            "INSERT INTO enterprise_change (version, enterprise_id) SELECT version, OLD.enterprise_id "
            "FROM data_version WHERE id = 1 AND OLD.enterprise_id <> NEW.enterprise_id; "
            if (table, event) == ("open_issue", "UPDATE")
            else ""
        )
        + "END"
    )
    for table, event, enterprise_id, when in _SQLITE_EVENTS
}

# -- PostgreSQL: statement triggers over transition tables -----------------------------------------
PG_FUNCTION = f"""
CREATE FUNCTION yimi_enterprise_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v BIGINT;
    touched INT[];
BEGIN
    UPDATE data_version SET version = version + 1, xact = txid_current()
    WHERE id = 1 AND xact IS DISTINCT FROM txid_current();
    SELECT version INTO v FROM data_version WHERE id = 1;
    IF TG_OP = 'TRUNCATE' OR TG_TABLE_NAME = 'township' THEN
        touched := ARRAY[NULL]::INT[];
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows', TG_ARGV[0]) INTO touched;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM old_rows', TG_ARGV[0]) INTO touched;
    ELSE
        EXECUTE format('SELECT array_agg(DISTINCT id) FROM (SELECT %1$I AS id FROM new_rows '
                       'UNION SELECT %1$I FROM old_rows) c', TG_ARGV[0]) INTO touched;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(touched) > {MANY} THEN
        touched := ARRAY[NULL]::INT[];
    END IF;
    INSERT INTO enterprise_change (version, enterprise_id) SELECT v, unnest(touched);
    DELETE FROM enterprise_change WHERE version < v - {KEEP_VERSIONS};
    RETURN NULL;
END $$
"""
# (trigger, table, event, transition tables, the enterprise id column)
PG_TRIGGERS = [
    ("enterprise_change_enterprise_insert", "enterprise", "INSERT", "NEW TABLE AS new_rows", "id"),
    (
        "enterprise_change_enterprise_update",
        "enterprise",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "id",
    ),
    ("enterprise_change_enterprise_delete", "enterprise", "DELETE", "OLD TABLE AS old_rows", "id"),
    ("enterprise_change_open_issue_insert", "open_issue", "INSERT", "NEW TABLE AS new_rows", "enterprise_id"),
    (
        "enterprise_change_open_issue_update",
        "open_issue",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "enterprise_id",
    ),
    ("enterprise_change_open_issue_delete", "open_issue", "DELETE", "OLD TABLE AS old_rows", "enterprise_id"),
]
# Any enterprise: the function logs NULL.
PG_STATEMENT_TRIGGERS = [
    ("enterprise_change_township_code", "township", "UPDATE OF code"),
    ("enterprise_change_enterprise_truncate", "enterprise", "TRUNCATE"),
    ("enterprise_change_open_issue_truncate", "open_issue", "TRUNCATE"),
]


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_script(TABLE)
    await client.execute_script(INDEX)
    if client.capabilities.dialect == "postgres":
        await client.execute_script(PG_FUNCTION)
        for trigger, table, event, tables, column in PG_TRIGGERS:
            await client.execute_script(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION yimi_enterprise_change('{column}')"
            )
        for trigger, table, event in PG_STATEMENT_TRIGGERS:
            await client.execute_script(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION yimi_enterprise_change()"
            )
    else:
        for sql in SQLITE_TRIGGERS.values():
            await client.execute_script(sql)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for trigger, table, *_ in [*PG_TRIGGERS, *PG_STATEMENT_TRIGGERS]:
            await client.execute_script(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        await client.execute_script("DROP FUNCTION IF EXISTS yimi_enterprise_change()")
    else:
        for name in SQLITE_TRIGGERS:
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")
    await client.execute_script("DROP TABLE enterprise_change")


class Migration(migrations.Migration):
    dependencies = [("yimi", "0014_open_issue_threshold_indexes")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
