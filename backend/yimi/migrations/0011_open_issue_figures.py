"""Figures kept up to date on write, so that pages read them instead of counting issues:

* ``enterprise.open_issue_count``: its open issues;
* ``township.enterprise_count`` and ``township.open_issue_count``: its enterprises and their open
  issues;
* ``open_issue``: one row per open issue with its township and deadlines (indexed by township and
  deadline), for the overdue count of a township, which depends on the clock;
* ``issue_open_deadline``: an index on the deadline of open issues only (closed ones sort last),
  so that "open issues by deadline" walks an index instead of sorting every open issue.

Triggers keep them, in the transaction of every write, whichever code path makes it (as the stats
data version of 0008): issue → enterprise count → township count. None of these columns is a
field of the Tortoise models, so that no ``save()`` ever writes a stale copy back; they are read
through ``yimi.common.figures``. On PostgreSQL the triggers run once per statement over its
transition tables (a bulk insert of a million issues updates each enterprise once); SQLite has
only row triggers.

The open statuses are spelt out here (as they were when this migration was written): a change of
``yimi.issues.models.OPEN_STATUSES`` needs a migration that redefines these triggers.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

OPEN = "('reported','dispatched','in_progress','returned','reopened')"
# Beyond every deadline: where the index puts issues that are not open.
SENTINEL = {"sqlite": "'9999-12-31'", "postgres": "'infinity'::timestamptz"}
OPEN_DEADLINE_SQL = "(CASE WHEN status IN {open} THEN deadline ELSE {sentinel} END)"

COLUMNS = [
    "ALTER TABLE enterprise ADD COLUMN open_issue_count INT NOT NULL DEFAULT 0",
    "ALTER TABLE township ADD COLUMN enterprise_count INT NOT NULL DEFAULT 0",
    "ALTER TABLE township ADD COLUMN open_issue_count INT NOT NULL DEFAULT 0",
]
OPEN_ISSUE_TABLE = """CREATE TABLE open_issue (
    issue_id INT NOT NULL PRIMARY KEY,
    enterprise_id INT NOT NULL,
    township_id INT NOT NULL,
    deadline {ts} NOT NULL,
    yellow_at {ts} NOT NULL,
    orange_at {ts} NOT NULL
)"""
INDEXES = [
    "CREATE INDEX open_issue_township_deadline ON open_issue (township_id, deadline)",
    "CREATE INDEX open_issue_enterprise ON open_issue (enterprise_id)",
    "CREATE INDEX enterprise_open_issue_count ON enterprise (open_issue_count, id)",
    "CREATE INDEX issue_open_deadline ON issue ({open_deadline}, id)",
]
BACKFILL = [
    f"UPDATE enterprise SET open_issue_count = (SELECT COUNT(*) FROM issue "
    f"WHERE issue.enterprise_id = enterprise.id AND issue.status IN {OPEN})",
    "UPDATE township SET enterprise_count = (SELECT COUNT(*) FROM enterprise WHERE enterprise.township_id = township.id), "
    "open_issue_count = (SELECT COALESCE(SUM(open_issue_count), 0) FROM enterprise WHERE enterprise.township_id = township.id)",
    "INSERT INTO open_issue (issue_id, enterprise_id, township_id, deadline, yellow_at, orange_at) "
    "SELECT i.id, i.enterprise_id, e.township_id, i.deadline, i.yellow_at, i.orange_at "
    f"FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE i.status IN {OPEN}",
]

# -- SQLite: row triggers ---------------------------------------------------------------------------
_SQLITE_OPEN_ROW = (
    "INSERT INTO open_issue (issue_id, enterprise_id, township_id, deadline, yellow_at, orange_at) "
    "SELECT NEW.id, NEW.enterprise_id, township_id, NEW.deadline, NEW.yellow_at, NEW.orange_at "
    "FROM enterprise WHERE id = NEW.enterprise_id"
)
# An issue that stays open at the same enterprise keeps its count; only its open_issue row changes.
_SAME_PLACE = f"(OLD.status IN {OPEN} AND NEW.status IN {OPEN} AND OLD.enterprise_id = NEW.enterprise_id)"
SQLITE_TRIGGERS = {
    "figures_issue_insert": f"""CREATE TRIGGER figures_issue_insert AFTER INSERT ON issue
        WHEN NEW.status IN {OPEN} BEGIN
        UPDATE enterprise SET open_issue_count = open_issue_count + 1 WHERE id = NEW.enterprise_id;
        {_SQLITE_OPEN_ROW};
        END""",
    "figures_issue_delete": f"""CREATE TRIGGER figures_issue_delete AFTER DELETE ON issue
        WHEN OLD.status IN {OPEN} BEGIN
        UPDATE enterprise SET open_issue_count = open_issue_count - 1 WHERE id = OLD.enterprise_id;
        DELETE FROM open_issue WHERE issue_id = OLD.id;
        END""",
    "figures_issue_update": f"""CREATE TRIGGER figures_issue_update
        AFTER UPDATE OF status, enterprise_id, deadline, yellow_at, orange_at ON issue
        WHEN OLD.status IN {OPEN} OR NEW.status IN {OPEN} BEGIN
        UPDATE enterprise SET open_issue_count = open_issue_count - 1
            WHERE id = OLD.enterprise_id AND OLD.status IN {OPEN} AND NOT {_SAME_PLACE};
        UPDATE enterprise SET open_issue_count = open_issue_count + 1
            WHERE id = NEW.enterprise_id AND NEW.status IN {OPEN} AND NOT {_SAME_PLACE};
        DELETE FROM open_issue WHERE issue_id = OLD.id;
        {_SQLITE_OPEN_ROW} AND NEW.status IN {OPEN};
        END""",
    "figures_enterprise_insert": """CREATE TRIGGER figures_enterprise_insert AFTER INSERT ON enterprise BEGIN
        UPDATE township SET enterprise_count = enterprise_count + 1,
            open_issue_count = open_issue_count + NEW.open_issue_count WHERE id = NEW.township_id;
        END""",
    "figures_enterprise_delete": """CREATE TRIGGER figures_enterprise_delete AFTER DELETE ON enterprise BEGIN
        UPDATE township SET enterprise_count = enterprise_count - 1,
            open_issue_count = open_issue_count - OLD.open_issue_count WHERE id = OLD.township_id;
        DELETE FROM open_issue WHERE enterprise_id = OLD.id;
        END""",
    "figures_enterprise_count": """CREATE TRIGGER figures_enterprise_count AFTER UPDATE OF open_issue_count ON enterprise
        WHEN OLD.township_id = NEW.township_id AND OLD.open_issue_count <> NEW.open_issue_count BEGIN
        UPDATE township SET open_issue_count = open_issue_count + NEW.open_issue_count - OLD.open_issue_count
            WHERE id = NEW.township_id;
        END""",
    "figures_enterprise_move": """CREATE TRIGGER figures_enterprise_move AFTER UPDATE OF township_id ON enterprise
        WHEN OLD.township_id <> NEW.township_id BEGIN
        UPDATE township SET enterprise_count = enterprise_count - 1,
            open_issue_count = open_issue_count - OLD.open_issue_count WHERE id = OLD.township_id;
        UPDATE township SET enterprise_count = enterprise_count + 1,
            open_issue_count = open_issue_count + NEW.open_issue_count WHERE id = NEW.township_id;
        UPDATE open_issue SET township_id = NEW.township_id WHERE enterprise_id = NEW.id;
        END""",
}

# -- PostgreSQL: statement triggers over transition tables -----------------------------------------
_PG_OPEN_ROWS = (
    "INSERT INTO open_issue (issue_id, enterprise_id, township_id, deadline, yellow_at, orange_at) "
    "SELECT n.id, n.enterprise_id, e.township_id, n.deadline, n.yellow_at, n.orange_at "
    "FROM new_rows n JOIN enterprise e ON e.id = n.enterprise_id"
)
_PG_ISSUE_MOVED = (
    "(o.status, o.enterprise_id, o.deadline, o.yellow_at, o.orange_at) IS DISTINCT FROM "
    "(n.status, n.enterprise_id, n.deadline, n.yellow_at, n.orange_at)"
)
_PG_ENTERPRISE_MOVED = "(o.township_id, o.open_issue_count) IS DISTINCT FROM (n.township_id, n.open_issue_count)"


def _pg_add_open(rows: str, sign: str) -> str:
    return (
        f"UPDATE enterprise e SET open_issue_count = e.open_issue_count {sign} d.n FROM "
        f"(SELECT enterprise_id, COUNT(*) AS n FROM {rows} WHERE status IN {OPEN} GROUP BY enterprise_id) d "
        "WHERE e.id = d.enterprise_id"
    )


def _pg_township_delta(rows: str, sign: str) -> str:
    return (
        f"UPDATE township t SET enterprise_count = t.enterprise_count {sign} d.n, "
        f"open_issue_count = t.open_issue_count {sign} d.open_n FROM "
        f"(SELECT township_id, COUNT(*) AS n, SUM(open_issue_count) AS open_n FROM {rows} GROUP BY township_id) d "
        "WHERE t.id = d.township_id"
    )


PG_FUNCTIONS = {
    "figures_issue_inserted": [_pg_add_open("new_rows", "+"), f"{_PG_OPEN_ROWS} WHERE n.status IN {OPEN}"],
    "figures_issue_deleted": [
        _pg_add_open("old_rows", "-"),
        "DELETE FROM open_issue oi USING old_rows o WHERE oi.issue_id = o.id",
    ],
    "figures_issue_updated": [
        "UPDATE enterprise e SET open_issue_count = e.open_issue_count + d.n FROM (SELECT enterprise_id, SUM(n) AS n "
        f"FROM (SELECT enterprise_id, 1 AS n FROM new_rows WHERE status IN {OPEN} "
        f"UNION ALL SELECT enterprise_id, -1 FROM old_rows WHERE status IN {OPEN}) c "
        "GROUP BY enterprise_id HAVING SUM(n) <> 0) d WHERE e.id = d.enterprise_id",
        f"DELETE FROM open_issue oi USING old_rows o JOIN new_rows n ON n.id = o.id "
        f"WHERE oi.issue_id = o.id AND {_PG_ISSUE_MOVED}",
        f"{_PG_OPEN_ROWS} JOIN old_rows o ON o.id = n.id WHERE n.status IN {OPEN} AND {_PG_ISSUE_MOVED}",
    ],
    "figures_enterprise_inserted": [_pg_township_delta("new_rows", "+")],
    "figures_enterprise_deleted": [
        _pg_township_delta("old_rows", "-"),
        "DELETE FROM open_issue oi USING old_rows o WHERE oi.enterprise_id = o.id",
    ],
    "figures_enterprise_updated": [
        "UPDATE township t SET enterprise_count = t.enterprise_count + d.n, "
        "open_issue_count = t.open_issue_count + d.open_n FROM (SELECT township_id, SUM(n) AS n, SUM(open_n) AS open_n "
        f"FROM (SELECT n.township_id, 1 AS n, n.open_issue_count AS open_n FROM new_rows n JOIN old_rows o "
        f"ON o.id = n.id WHERE {_PG_ENTERPRISE_MOVED} "
        f"UNION ALL SELECT o.township_id, -1, -o.open_issue_count FROM new_rows n JOIN old_rows o "
        f"ON o.id = n.id WHERE {_PG_ENTERPRISE_MOVED}) c GROUP BY township_id) d "
        "WHERE t.id = d.township_id AND (d.n <> 0 OR d.open_n <> 0)",
        "UPDATE open_issue oi SET township_id = n.township_id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE oi.enterprise_id = n.id AND n.township_id <> o.township_id",
    ],
}
# (trigger, table, event, transition tables, function)
PG_TRIGGERS = [
    ("figures_issue_insert", "issue", "INSERT", "NEW TABLE AS new_rows", "figures_issue_inserted"),
    ("figures_issue_delete", "issue", "DELETE", "OLD TABLE AS old_rows", "figures_issue_deleted"),
    ("figures_issue_update", "issue", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "figures_issue_updated"),
    ("figures_enterprise_insert", "enterprise", "INSERT", "NEW TABLE AS new_rows", "figures_enterprise_inserted"),
    ("figures_enterprise_delete", "enterprise", "DELETE", "OLD TABLE AS old_rows", "figures_enterprise_deleted"),
    (
        "figures_enterprise_update",
        "enterprise",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "figures_enterprise_updated",
    ),
]


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = "postgres" if client.capabilities.dialect == "postgres" else "sqlite"
    for sql in COLUMNS:
        await client.execute_script(sql)
    await client.execute_script(OPEN_ISSUE_TABLE.format(ts="TIMESTAMPTZ" if dialect == "postgres" else "TIMESTAMP"))
    # Filled before the triggers exist, so that nothing counts twice.
    for sql in BACKFILL:
        await client.execute_script(sql)
    open_deadline = OPEN_DEADLINE_SQL.format(open=OPEN, sentinel=SENTINEL[dialect])
    for sql in INDEXES:
        await client.execute_script(sql.format(open_deadline=open_deadline))
    if dialect == "postgres":
        for name, statements in PG_FUNCTIONS.items():
            body = "; ".join(statements)
            await client.execute_script(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"
            )
        for trigger, table, event, tables, function in PG_TRIGGERS:
            await client.execute_script(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    else:
        for sql in SQLITE_TRIGGERS.values():
            await client.execute_script(sql)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    if postgres:
        for trigger, table, *_ in PG_TRIGGERS:
            await client.execute_script(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for name in PG_FUNCTIONS:
            await client.execute_script(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")
    for index in ("enterprise_open_issue_count", "issue_open_deadline"):
        await client.execute_script(f"DROP INDEX IF EXISTS {index}")
    await client.execute_script("DROP TABLE open_issue")
    await client.execute_script("ALTER TABLE enterprise DROP COLUMN open_issue_count")
    await client.execute_script("ALTER TABLE township DROP COLUMN enterprise_count")
    await client.execute_script("ALTER TABLE township DROP COLUMN open_issue_count")


class Migration(migrations.Migration):
    dependencies = [("yimi", "0010_data_version")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
