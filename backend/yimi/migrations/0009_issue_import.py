from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("yimi", "0008_stats_data_version")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Issue",
            name="ledger_number",
            field=fields.CharField(max_length=64, null=True, unique=True),
        ),
        ops.AddField(
            model_name="IssueEvent",
            name="imported",
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
