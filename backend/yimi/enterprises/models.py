from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from yimi.accounts.models import Staff
    from yimi.teams.models import ServiceTeam
    from yimi.townships.models import Township


class EnterpriseSize(str, Enum):
    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


class RiskColor(str, Enum):
    """The five-colour risk watch (五色图) over an enterprise, from the Yiwu practice."""

    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


class Enterprise(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, db_index=True)
    uscc = fields.CharField(max_length=18, unique=True)
    # GB/T 4754 section letter (A–T).
    industry = fields.CharField(max_length=1, db_index=True)
    size = fields.CharEnumField(EnterpriseSize, max_length=8, db_index=True)
    above_scale = fields.BooleanField(default=False, db_index=True)
    township: fields.ForeignKeyRelation[Township] = fields.ForeignKeyField(
        "yimi.Township", related_name="enterprises", on_delete=fields.RESTRICT, db_index=True
    )
    township_id: int
    address = fields.CharField(max_length=255, default="")
    lon = fields.FloatField(db_index=True)
    lat = fields.FloatField(db_index=True)
    contact_person = fields.CharField(max_length=32, default="")
    contact_phone = fields.CharField(max_length=20, default="")
    chain = fields.CharField(max_length=32, null=True, db_index=True)
    risk_color = fields.CharEnumField(RiskColor, max_length=8, default=RiskColor.GREEN, db_index=True)
    commissioner: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="enterprises", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    commissioner_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "enterprise"
        ordering = ["id"]


class Visit(Model):
    """A face-to-face visit (走访) by a team or a commissioner."""

    id = fields.IntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "yimi.Enterprise", related_name="visits", on_delete=fields.CASCADE, db_index=True
    )
    enterprise_id: int
    team: fields.ForeignKeyNullableRelation[ServiceTeam] = fields.ForeignKeyField(
        "yimi.ServiceTeam", related_name="visits", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    team_id: int | None
    commissioner: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="visits", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    commissioner_id: int | None
    visited_on = fields.DateField(db_index=True)
    notes = fields.TextField(default="")

    class Meta:
        table = "visit"
        ordering = ["-visited_on", "id"]


class CommissionerAssignment(Model):
    """Who made whom an enterprise's commissioner (服务专员), and when: the audit of assignments."""

    id = fields.IntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "yimi.Enterprise", related_name="commissioner_assignments", on_delete=fields.CASCADE, db_index=True
    )
    enterprise_id: int
    # None: the enterprise was left without a commissioner.
    commissioner: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="commissioner_assignments", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    commissioner_id: int | None
    previous_commissioner: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff",
        related_name="former_commissioner_assignments",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    previous_commissioner_id: int | None
    assigned_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="commissioner_assignments_made", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    assigned_by_id: int | None
    assigned_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "commissioner_assignment"
        ordering = ["assigned_at", "id"]
