from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("yimi", "0006_issue_report_key")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Staff",
            name="session_version",
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
