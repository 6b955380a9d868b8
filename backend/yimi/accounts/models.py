from enum import Enum

from tortoise import fields
from tortoise.models import Model


class Role(str, Enum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    TEAM_MEMBER = "team_member"
    COMMISSIONER = "commissioner"
    VIEWER = "viewer"


class Department(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "department"
        ordering = ["id"]


class Staff(Model):
    # A person who works in the programme, and a login once a password is set.

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=32, db_index=True)
    department = fields.ForeignKeyField(
        "yimi.Department", related_name="staff", on_delete=fields.RESTRICT, db_index=True
    )
    phone = fields.CharField(max_length=20, null=True)
    roles = fields.JSONField(default=list)
    password_hash = fields.CharField(max_length=255, null=True)
    is_active = fields.BooleanField(default=True)
    # Empty means the whole county; otherwise only these townships.
    township_scope = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff"
        ordering = ["id"]
