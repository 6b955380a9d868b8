"""Releases of the public figures (yimi.stats.releases): the public reads these, not the live tables.

A release is data the API reads, so its writes bump the data version like the others (migration 0010).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

EVENTS = ["INSERT", "UPDATE", "DELETE"]
SQLITE_BUMP = "UPDATE data_version SET version = version + 1 WHERE id = 1"


def _name(event: str) -> str:
    return f"data_version_statistics_release_{event.lower()}"


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for event in EVENTS + (["TRUNCATE"] if postgres else []):
        if postgres:
            sql = (
                f"CREATE TRIGGER {_name(event)} AFTER {event} ON statistics_release "
                "FOR EACH STATEMENT EXECUTE FUNCTION yimi_data_version_bump()"
            )
        else:
            sql = f"CREATE TRIGGER {_name(event)} AFTER {event} ON statistics_release FOR EACH ROW BEGIN {SQLITE_BUMP}; END"
        await client.execute_script(sql)


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for event in EVENTS + (["TRUNCATE"] if postgres else []):
        await client.execute_script(
            f"DROP TRIGGER IF EXISTS {_name(event)}" + (" ON statistics_release" if postgres else "")
        )


class Migration(migrations.Migration):
    dependencies = [("yimi", "0011_open_issue_figures")]

    initial = False

    operations = [
        ops.CreateModel(
            name="StatisticsRelease",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("year", fields.IntField()),
                ("slot", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("released_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("final", fields.BooleanField(default=False)),
                ("threshold", fields.IntField()),
                ("body", fields.TextField()),
                ("etag", fields.CharField(max_length=40)),
                ("exact", fields.TextField()),
            ],
            options={
                "table": "statistics_release",
                "app": "yimi",
                "unique_together": (("year", "slot"),),
                "ordering": ["id"],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.RunPython(forward, backward),
    ]
