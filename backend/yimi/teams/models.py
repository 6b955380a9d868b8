from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from yimi.accounts.models import Department, Staff
    from yimi.townships.models import Township


class TeamKind(str, Enum):
    JOINT = "joint"  # 联合服务团 and its sub-teams
    SPECIALISED = "specialised"  # 专项服务团


class ServiceTeam(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    kind = fields.CharEnumField(TeamKind, max_length=16, db_index=True)
    parent: fields.ForeignKeyNullableRelation[ServiceTeam] = fields.ForeignKeyField(
        "yimi.ServiceTeam", related_name="sub_teams", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    parent_id: int | None
    lead_department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "yimi.Department", related_name="teams", on_delete=fields.RESTRICT, db_index=True
    )
    lead_department_id: int
    leader: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="led_teams", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    leader_id: int | None
    # Issue categories (yimi.issues.models.IssueCategory values) this team handles.
    specialities: fields.JSONField[list[str]] = fields.JSONField(default=list)

    class Meta:
        table = "service_team"
        ordering = ["id"]


class TeamMember(Model):
    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[ServiceTeam] = fields.ForeignKeyField(
        "yimi.ServiceTeam", related_name="memberships", on_delete=fields.CASCADE, db_index=True
    )
    team_id: int
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "yimi.Staff", related_name="memberships", on_delete=fields.CASCADE, db_index=True
    )
    staff_id: int

    class Meta:
        table = "team_member"
        unique_together = (("team", "staff"),)


class TeamCoverage(Model):
    """A team serves a township."""

    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[ServiceTeam] = fields.ForeignKeyField(
        "yimi.ServiceTeam", related_name="coverage", on_delete=fields.CASCADE, db_index=True
    )
    team_id: int
    township: fields.ForeignKeyRelation[Township] = fields.ForeignKeyField(
        "yimi.Township", related_name="coverage", on_delete=fields.CASCADE, db_index=True
    )
    township_id: int

    class Meta:
        table = "team_coverage"
        unique_together = (("team", "township"),)
