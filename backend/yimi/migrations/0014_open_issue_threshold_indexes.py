"""Indexes on each warning threshold of ``open_issue`` (yellow, orange, deadline): the next instant any
colour changes (``yimi.common.figures.next_colour_change``) is then three index seeks instead of a scan of
every open issue, and the colours that changed between two instants (the map layer's clock-only update)
three index ranges. Asked after every write (a new data version) and every few seconds at province scale."""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = {
    "open_issue_yellow_at": "yellow_at",
    "open_issue_orange_at": "orange_at",
    "open_issue_deadline": "deadline",
}


async def forward(apps, schema_editor) -> None:
    for name, column in INDEXES.items():
        await schema_editor.client.execute_script(f"CREATE INDEX {name} ON open_issue ({column})")


async def backward(apps, schema_editor) -> None:
    for name in INDEXES:
        await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("yimi", "0013_drop_stats_data_version")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
