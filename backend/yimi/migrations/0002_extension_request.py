from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from yimi.issues.models import ExtensionStatus


class Migration(migrations.Migration):
    dependencies = [("yimi", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ExtensionRequest",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "issue",
                    fields.ForeignKeyField(
                        "yimi.Issue",
                        source_field="issue_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="extension_requests",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "requested_by",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="requested_by_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="extension_requests",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("requested_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("requested_deadline", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("previous_deadline", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("reason", fields.TextField(unique=False)),
                (
                    "status",
                    fields.CharEnumField(
                        default=ExtensionStatus.PENDING,
                        db_index=True,
                        description="PENDING: pending\nAPPROVED: approved\nREJECTED: rejected",
                        enum_type=ExtensionStatus,
                        max_length=16,
                    ),
                ),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="decided_by_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="extension_decisions",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("note", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "extension_request",
                "app": "yimi",
                "pk_attr": "id",
                "table_description": "A request to move the deadline of an issue (延期申请). Only an approved one moves it.",
            },
            bases=["Model"],
        ),
    ]
