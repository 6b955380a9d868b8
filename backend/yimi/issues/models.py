from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from yimi.accounts.models import PartnerToken, Staff
    from yimi.enterprises.models import Enterprise, Visit
    from yimi.teams.models import ServiceTeam


class IssueCategory(str, Enum):
    FINANCING = "financing"  # 融资
    LABOUR = "labour"  # 用工
    LAND = "land"  # 用地
    POWER = "power"  # 用电
    PERMITS = "permits"  # 审批
    LOGISTICS = "logistics"  # 物流
    SALES = "sales"  # 销售
    TALENT = "talent"  # 人才
    ENVIRONMENT = "environment"  # 环保
    POLICY = "policy"  # 政策


class IssueSource(str, Enum):
    VISIT = "visit"
    HOTLINE = "hotline"
    ONLINE = "online"
    COMMISSIONER = "commissioner"


class IssuePriority(str, Enum):
    URGENT = "urgent"
    NORMAL = "normal"
    COMPLEX = "complex"


class IssueStatus(str, Enum):
    REPORTED = "reported"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RETURNED = "returned"
    REOPENED = "reopened"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (
    IssueStatus.REPORTED,
    IssueStatus.DISPATCHED,
    IssueStatus.IN_PROGRESS,
    IssueStatus.RETURNED,
    IssueStatus.REOPENED,
)

OPEN_VALUES = [s.value for s in OPEN_STATUSES]
RESOLVED_VALUES = [IssueStatus.RESOLVED.value, IssueStatus.CLOSED.value]


class Satisfaction(str, Enum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


# The verdicts counted as content (the satisfaction rate's part).
CONTENT_VALUES = [Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value]


class DispatchRole(str, Enum):
    LEAD = "lead"
    CO_HANDLER = "co_handler"


class Issue(Model):
    id = fields.IntField(primary_key=True)
    # Readable number, e.g. WS-2021-00042: county prefix, year reported, sequence in that year.
    number = fields.CharField(max_length=24, unique=True)
    # The number the county's own ledger (台账) gave the problem, for issues imported from one:
    # re-importing the ledger finds them by it (yimi.imports).
    ledger_number = fields.CharField(max_length=64, null=True, unique=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "yimi.Enterprise", related_name="issues", on_delete=fields.RESTRICT, db_index=True
    )
    enterprise_id: int
    category = fields.CharEnumField(IssueCategory, max_length=16, db_index=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    source = fields.CharEnumField(IssueSource, max_length=16, db_index=True)
    priority = fields.CharEnumField(IssuePriority, max_length=8, db_index=True)
    status = fields.CharEnumField(IssueStatus, max_length=16, db_index=True)
    reported_at = fields.DatetimeField(db_index=True)
    deadline = fields.DatetimeField(db_index=True)
    # When the warning turns yellow / orange: derived from reported_at, deadline and the configured
    # thresholds, stored so that warning filters and counts stay indexed SQL (see issues/warning.py).
    yellow_at = fields.DatetimeField(db_index=True)
    orange_at = fields.DatetimeField(db_index=True)
    lead_team: fields.ForeignKeyNullableRelation[ServiceTeam] = fields.ForeignKeyField(
        "yimi.ServiceTeam", related_name="lead_issues", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    lead_team_id: int | None
    resolution = fields.TextField(default="")
    resolved_at = fields.DatetimeField(null=True, db_index=True)
    closed_at = fields.DatetimeField(null=True, db_index=True)
    satisfaction = fields.CharEnumField(Satisfaction, max_length=24, null=True, db_index=True)
    satisfaction_comment = fields.TextField(default="")
    escalated_at = fields.DatetimeField(null=True)
    visit: fields.ForeignKeyNullableRelation[Visit] = fields.ForeignKeyField(
        "yimi.Visit", related_name="issues", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    visit_id: int | None
    version = fields.IntField(default=1)

    class Meta:
        table = "issue"
        ordering = ["id"]
        # Open-issue counts per enterprise and per team are the hottest aggregate queries.
        indexes = (("enterprise_id", "status"), ("lead_team_id", "status"), ("escalated_at",))


class DispatchOrder(Model):
    """A dispatch order (派单) sending an issue to one team, as lead or co-handler."""

    id = fields.IntField(primary_key=True)
    issue: fields.ForeignKeyRelation[Issue] = fields.ForeignKeyField(
        "yimi.Issue", related_name="dispatches", on_delete=fields.CASCADE, db_index=True
    )
    issue_id: int
    team: fields.ForeignKeyRelation[ServiceTeam] = fields.ForeignKeyField(
        "yimi.ServiceTeam", related_name="dispatches", on_delete=fields.RESTRICT, db_index=True
    )
    team_id: int
    role = fields.CharEnumField(DispatchRole, max_length=16)
    instruction = fields.TextField(default="")
    dispatched_at = fields.DatetimeField(db_index=True)
    due_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    returned_at = fields.DatetimeField(null=True)
    return_reason = fields.TextField(default="")
    dispatched_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="dispatch_orders", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    dispatched_by_id: int | None

    class Meta:
        table = "dispatch_order"
        ordering = ["dispatched_at", "id"]


class IssueEvent(Model):
    """The append-only timeline of an issue."""

    id = fields.IntField(primary_key=True)
    issue: fields.ForeignKeyRelation[Issue] = fields.ForeignKeyField(
        "yimi.Issue", related_name="events", on_delete=fields.CASCADE, db_index=True
    )
    issue_id: int
    actor: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="issue_events", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    actor_id: int | None
    action = fields.CharField(max_length=32, db_index=True)
    from_status = fields.CharEnumField(IssueStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(IssueStatus, max_length=16, null=True)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(db_index=True)
    # Written by an import from a ledger row (the note says which file, row and importer), not by
    # someone acting in Yimi: the times are what the row implies.
    imported = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "issue_event"
        ordering = ["created_at", "id"]


class ExtensionStatus(str, Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ExtensionRequest(Model):
    """A request to move the deadline of an issue (延期申请). Only an approved one moves it."""

    # (No semicolon or quote in this docstring: it becomes the table comment, and Tortoise's
    # migration runner splits SQL on semicolons.)

    id = fields.IntField(primary_key=True)
    issue: fields.ForeignKeyRelation[Issue] = fields.ForeignKeyField(
        "yimi.Issue", related_name="extension_requests", on_delete=fields.CASCADE, db_index=True
    )
    issue_id: int
    requested_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="extension_requests", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    requested_by_id: int | None
    requested_at = fields.DatetimeField()
    requested_deadline = fields.DatetimeField()
    # The deadline when the request was made, so that the record shows what it would move.
    previous_deadline = fields.DatetimeField()
    reason = fields.TextField()
    status = fields.CharEnumField(ExtensionStatus, max_length=16, default=ExtensionStatus.PENDING, db_index=True)
    decided_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="extension_decisions", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    decided_by_id: int | None
    decided_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="")

    class Meta:
        table = "extension_request"
        ordering = ["requested_at", "id"]


class IssueReportKey(Model):
    # A reporter's idempotency key (as Stripe's Idempotency-Key): a retried reportIssue with the
    # same key gets the issue the first call made. Keys belong to one reporter (a member of staff
    # or a partner token), so that two callers never collide on, or find, each other's keys. The
    # fingerprint (SHA-256 of the report) tells a retry from a different report under a reused key.
    # A row of its own rather than columns on the issue: deleting a token drops its keys with it.
    id = fields.IntField(primary_key=True)
    issue: fields.ForeignKeyRelation[Issue] = fields.ForeignKeyField(
        "yimi.Issue", related_name="report_keys", on_delete=fields.CASCADE, db_index=True
    )
    issue_id: int
    # Exactly one of the two is set. No index of their own: the unique pairs below start with them.
    staff: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="issue_report_keys", null=True, on_delete=fields.CASCADE
    )
    staff_id: int | None
    partner_token: fields.ForeignKeyNullableRelation[PartnerToken] = fields.ForeignKeyField(
        "yimi.PartnerToken", related_name="issue_report_keys", null=True, on_delete=fields.CASCADE
    )
    partner_token_id: int | None
    key = fields.CharField(max_length=100)
    fingerprint = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "issue_report_key"
        # NULLs are distinct in unique indexes (SQLite and PostgreSQL): a staff key and a token key
        # never meet.
        unique_together = (("staff", "key"), ("partner_token", "key"))
