"""Staff accounts: passwords, sign-in and roles."""

from __future__ import annotations

from yimi.accounts.models import Role, Staff
from yimi.accounts.passwords import hash_password, verify_password
from yimi.common.errors import ServiceError

MIN_PASSWORD_LENGTH = 10


async def set_password(staff: Staff, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password", "INVALID", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    staff.password_hash = hash_password(password)
    await staff.save(update_fields=["password_hash"])


async def authenticate(username: str, password: str) -> Staff | None:
    staff = await Staff.get_or_none(username=username, is_active=True)
    if not verify_password(password, staff.password_hash if staff else None):
        return None
    return staff


async def active_staff(staff_id: int | None) -> Staff | None:
    if staff_id is None:
        return None
    return await Staff.get_or_none(id=staff_id, is_active=True)


def has_role(staff: Staff | None, *roles: Role) -> bool:
    return staff is not None and any(r.value in staff.roles for r in roles)


async def create_user(
    username: str, name: str, department: str, roles: list[Role], password: str, township_scope: list[str] | None = None
) -> Staff:
    from yimi.accounts.models import Department
    from yimi.townships.models import Township

    if await Staff.exists(username=username):
        raise ServiceError("username", "INVALID", f"'{username}' is taken")
    if not roles:
        raise ServiceError("roles", "INVALID", "at least one role is required")
    scope = township_scope or []
    known = set(await Township.filter(code__in=scope).values_list("code", flat=True))
    if unknown := sorted(set(scope) - known):
        raise ServiceError("townships", "INVALID", f"unknown township codes: {', '.join(unknown)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password", "INVALID", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    dept, _ = await Department.get_or_create(name=department)
    return await Staff.create(
        username=username,
        name=name,
        department=dept,
        roles=[r.value for r in roles],
        township_scope=scope,
        password_hash=hash_password(password),
    )


async def set_active(username: str, active: bool) -> Staff:
    staff = await Staff.get_or_none(username=username)
    if staff is None:
        raise ServiceError("username", "NOT_FOUND", f"no user '{username}'")
    staff.is_active = active
    await staff.save(update_fields=["is_active"])
    return staff
