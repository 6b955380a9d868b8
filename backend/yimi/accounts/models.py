from __future__ import annotations

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
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "yimi.Department", related_name="staff", on_delete=fields.RESTRICT, db_index=True
    )
    department_id: int
    phone = fields.CharField(max_length=20, null=True)
    roles: fields.JSONField[list[str]] = fields.JSONField(default=list)
    password_hash = fields.CharField(max_length=255, null=True)
    is_active = fields.BooleanField(default=True)
    # Empty means the whole county; otherwise only these townships.
    township_scope: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Every session cookie carries the value it was signed in with; bumping it (sign-out, a new
    # password, disabling) ends all of them at once, on every device and server process.
    session_version = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "staff"
        ordering = ["id"]


class PartnerToken(Model):
    # An API token of a partner agency (a bank's SME desk, the tax bureau, a provincial platform).
    # Only a SHA-256 hash of the secret is stored: tokens are long random strings, so a slow hash
    # adds nothing, and a lookup by hash stays one indexed query per request.
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    # The first characters of the token, to recognise it in lists and logs.
    prefix = fields.CharField(max_length=16)
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # Empty lists mean no restriction.
    township_codes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    categories: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "partner_token"
        ordering = ["id"]


class PartnerCall(Model):
    # One line of the partner call log: which token ran which operation at what cost.
    id = fields.IntField(primary_key=True)
    token: fields.ForeignKeyRelation[PartnerToken] = fields.ForeignKeyField(
        "yimi.PartnerToken", related_name="calls", on_delete=fields.CASCADE, db_index=True
    )
    token_id: int
    operation = fields.CharField(max_length=100, default="")
    cost = fields.IntField(default=0)
    called_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "partner_call"
        ordering = ["-called_at", "-id"]
