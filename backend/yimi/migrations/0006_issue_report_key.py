from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("yimi", "0005_commissioner_assignment")]

    initial = False

    operations = [
        ops.CreateModel(
            name="IssueReportKey",
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
                        related_name="report_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="staff_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="issue_report_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "partner_token",
                    fields.ForeignKeyField(
                        "yimi.PartnerToken",
                        source_field="partner_token_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="issue_report_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key", fields.CharField(max_length=100)),
                ("fingerprint", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "issue_report_key",
                "app": "yimi",
                "unique_together": (("staff", "key"), ("partner_token", "key")),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
