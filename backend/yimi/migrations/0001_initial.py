import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from yimi.enterprises.models import EnterpriseSize, RiskColor
from yimi.issues.models import DispatchRole, IssueCategory, IssuePriority, IssueSource, IssueStatus, Satisfaction
from yimi.teams.models import TeamKind
from yimi.townships.models import TownshipKind


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Department",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=64)),
            ],
            options={"table": "department", "app": "yimi", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Staff",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("username", fields.CharField(unique=True, max_length=64)),
                ("name", fields.CharField(db_index=True, max_length=32)),
                (
                    "department",
                    fields.ForeignKeyField(
                        "yimi.Department",
                        source_field="department_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="staff",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("phone", fields.CharField(null=True, max_length=20)),
                (
                    "roles",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("password_hash", fields.CharField(null=True, max_length=255)),
                ("is_active", fields.BooleanField(default=True)),
                (
                    "township_scope",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "staff", "app": "yimi", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ServiceTeam",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=64)),
                (
                    "kind",
                    fields.CharEnumField(
                        db_index=True,
                        description="JOINT: joint\nSPECIALISED: specialised",
                        enum_type=TeamKind,
                        max_length=16,
                    ),
                ),
                (
                    "parent",
                    fields.ForeignKeyField(
                        "yimi.ServiceTeam",
                        source_field="parent_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="sub_teams",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "lead_department",
                    fields.ForeignKeyField(
                        "yimi.Department",
                        source_field="lead_department_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="teams",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "leader",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="leader_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="led_teams",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "specialities",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
            ],
            options={"table": "service_team", "app": "yimi", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TeamMember",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "team",
                    fields.ForeignKeyField(
                        "yimi.ServiceTeam",
                        source_field="team_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="staff_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={"table": "team_member", "app": "yimi", "unique_together": (("team", "staff"),), "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Township",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=9)),
                ("name", fields.CharField(db_index=True, max_length=64)),
                (
                    "kind",
                    fields.CharEnumField(
                        db_index=True,
                        description="SUBDISTRICT: subdistrict\nTOWN: town\nTOWNSHIP: township\nPARK: park",
                        enum_type=TownshipKind,
                        max_length=16,
                    ),
                ),
                ("county_code", fields.CharField(db_index=True, max_length=6)),
                ("county_name", fields.CharField(max_length=64)),
                ("seat_lon", fields.FloatField()),
                ("seat_lat", fields.FloatField()),
                (
                    "boundary",
                    fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
            ],
            options={"table": "township", "app": "yimi", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Enterprise",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(db_index=True, max_length=128)),
                ("uscc", fields.CharField(unique=True, max_length=18)),
                ("industry", fields.CharField(db_index=True, max_length=1)),
                (
                    "size",
                    fields.CharEnumField(
                        db_index=True,
                        description="LARGE: large\nMEDIUM: medium\nSMALL: small\nMICRO: micro",
                        enum_type=EnterpriseSize,
                        max_length=8,
                    ),
                ),
                ("above_scale", fields.BooleanField(default=False, db_index=True)),
                (
                    "township",
                    fields.ForeignKeyField(
                        "yimi.Township",
                        source_field="township_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="enterprises",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("address", fields.CharField(default="", max_length=255)),
                ("lon", fields.FloatField(db_index=True)),
                ("lat", fields.FloatField(db_index=True)),
                ("contact_person", fields.CharField(default="", max_length=32)),
                ("contact_phone", fields.CharField(default="", max_length=20)),
                ("chain", fields.CharField(null=True, db_index=True, max_length=32)),
                (
                    "risk_color",
                    fields.CharEnumField(
                        default=RiskColor.GREEN,
                        db_index=True,
                        description="GREEN: green\nBLUE: blue\nYELLOW: yellow\nORANGE: orange\nRED: red",
                        enum_type=RiskColor,
                        max_length=8,
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
                        related_name="enterprises",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={"table": "enterprise", "app": "yimi", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TeamCoverage",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "team",
                    fields.ForeignKeyField(
                        "yimi.ServiceTeam",
                        source_field="team_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="coverage",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "township",
                    fields.ForeignKeyField(
                        "yimi.Township",
                        source_field="township_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="coverage",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "team_coverage",
                "app": "yimi",
                "unique_together": (("team", "township"),),
                "pk_attr": "id",
                "table_description": "A team serves a township.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Visit",
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
                        related_name="visits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "team",
                    fields.ForeignKeyField(
                        "yimi.ServiceTeam",
                        source_field="team_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="visits",
                        on_delete=OnDelete.SET_NULL,
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
                        related_name="visits",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("visited_on", fields.DateField(db_index=True)),
                ("notes", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "visit",
                "app": "yimi",
                "pk_attr": "id",
                "table_description": "A face-to-face visit (走访) by a team or a commissioner.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Issue",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("number", fields.CharField(unique=True, max_length=24)),
                (
                    "enterprise",
                    fields.ForeignKeyField(
                        "yimi.Enterprise",
                        source_field="enterprise_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="issues",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "category",
                    fields.CharEnumField(
                        db_index=True,
                        description="FINANCING: financing\nLABOUR: labour\nLAND: land\nPOWER: power\nPERMITS: permits\nLOGISTICS: logistics\nSALES: sales\nTALENT: talent\nENVIRONMENT: environment\nPOLICY: policy",
                        enum_type=IssueCategory,
                        max_length=16,
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "source",
                    fields.CharEnumField(
                        db_index=True,
                        description="VISIT: visit\nHOTLINE: hotline\nONLINE: online\nCOMMISSIONER: commissioner",
                        enum_type=IssueSource,
                        max_length=16,
                    ),
                ),
                (
                    "priority",
                    fields.CharEnumField(
                        db_index=True,
                        description="URGENT: urgent\nNORMAL: normal\nCOMPLEX: complex",
                        enum_type=IssuePriority,
                        max_length=8,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        db_index=True,
                        description="REPORTED: reported\nDISPATCHED: dispatched\nIN_PROGRESS: in_progress\nRETURNED: returned\nREOPENED: reopened\nRESOLVED: resolved\nCLOSED: closed",
                        enum_type=IssueStatus,
                        max_length=16,
                    ),
                ),
                ("reported_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("deadline", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("yellow_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("orange_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                (
                    "lead_team",
                    fields.ForeignKeyField(
                        "yimi.ServiceTeam",
                        source_field="lead_team_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="lead_issues",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("resolution", fields.TextField(default="", unique=False)),
                ("resolved_at", fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ("closed_at", fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                (
                    "satisfaction",
                    fields.CharEnumField(
                        null=True,
                        db_index=True,
                        description="SATISFIED: satisfied\nBASICALLY_SATISFIED: basically_satisfied\nUNSATISFIED: unsatisfied",
                        enum_type=Satisfaction,
                        max_length=24,
                    ),
                ),
                ("satisfaction_comment", fields.TextField(default="", unique=False)),
                ("escalated_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "visit",
                    fields.ForeignKeyField(
                        "yimi.Visit",
                        source_field="visit_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="issues",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("version", fields.IntField(default=1)),
            ],
            options={
                "table": "issue",
                "app": "yimi",
                "indexes": [Index(fields=["enterprise_id", "status"]), Index(fields=["lead_team_id", "status"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DispatchOrder",
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
                        related_name="dispatches",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "team",
                    fields.ForeignKeyField(
                        "yimi.ServiceTeam",
                        source_field="team_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="dispatches",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "role",
                    fields.CharEnumField(
                        description="LEAD: lead\nCO_HANDLER: co_handler", enum_type=DispatchRole, max_length=16
                    ),
                ),
                ("instruction", fields.TextField(default="", unique=False)),
                ("dispatched_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("due_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("accepted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("returned_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("return_reason", fields.TextField(default="", unique=False)),
                (
                    "dispatched_by",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="dispatched_by_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="dispatch_orders",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={
                "table": "dispatch_order",
                "app": "yimi",
                "pk_attr": "id",
                "table_description": "A dispatch order (派单) sending an issue to one team, as lead or co-handler.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="IssueEvent",
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
                        related_name="events",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "yimi.Staff",
                        source_field="actor_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="issue_events",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("action", fields.CharField(db_index=True, max_length=32)),
                (
                    "from_status",
                    fields.CharEnumField(
                        null=True,
                        description="REPORTED: reported\nDISPATCHED: dispatched\nIN_PROGRESS: in_progress\nRETURNED: returned\nREOPENED: reopened\nRESOLVED: resolved\nCLOSED: closed",
                        enum_type=IssueStatus,
                        max_length=16,
                    ),
                ),
                (
                    "to_status",
                    fields.CharEnumField(
                        null=True,
                        description="REPORTED: reported\nDISPATCHED: dispatched\nIN_PROGRESS: in_progress\nRETURNED: returned\nREOPENED: reopened\nRESOLVED: resolved\nCLOSED: closed",
                        enum_type=IssueStatus,
                        max_length=16,
                    ),
                ),
                ("note", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "issue_event",
                "app": "yimi",
                "pk_attr": "id",
                "table_description": "The append-only timeline of an issue.",
            },
            bases=["Model"],
        ),
    ]
