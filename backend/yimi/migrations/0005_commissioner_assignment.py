from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("yimi", "0004_escalated_at_index")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CommissionerAssignment",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "enterprise",
                    fields.ForeignKeyField(
                        "yimi.Enterprise",
                        source_field="enterprise_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="commissioner_assignments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "commissioner",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="commissioner_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="commissioner_assignments",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "previous_commissioner",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="previous_commissioner_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="former_commissioner_assignments",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "assigned_by",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="assigned_by_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="commissioner_assignments_made",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("assigned_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "commissioner_assignment",
                "app": "yimi",
                "pk_attr": "id",
                "table_description": "Who made whom an enterprise's commissioner (服务专员), and when: the audit of assignments.",
            },
            bases=["Model"],
        ),
    ]
