from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('yimi', '0003_partner_tokens')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Issue',
            index=Index(fields=['escalated_at']),
        ),
    ]
