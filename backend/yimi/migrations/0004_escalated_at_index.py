from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("yimi", "0003_partner_tokens")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Issue",
            index=Index(fields=["escalated_at"]),
        ),
    ]
