"""Staff accounts: passwords, sign-in and roles."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from limits import RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from tortoise.expressions import F

from yimi.accounts.models import Role, Staff
from yimi.accounts.passwords import hash_password, verify_password
from yimi.common.counters import counter_storage
from yimi.common.errors import ServiceError
from yimi.common.filters import fitting

MIN_PASSWORD_LENGTH = 10
THROTTLED = "THROTTLED"

auth_log = logging.getLogger("yimi.auth")


async def set_password(staff: Staff, password: str) -> None:
    """Sets the password and ends every session signed in with the old one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password", "INVALID", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    staff.password_hash = hash_password(password)
    await Staff.filter(id=staff.id).update(password_hash=staff.password_hash, session_version=F("session_version") + 1)
    await staff.refresh_from_db(fields=["session_version"])


async def end_sessions(staff: Staff) -> None:
    """Ends every session of ``staff``: each cookie, on any device, is refused from its next request,
    and each open WebSocket from its next operation (``yimi.app``) or event (``issueChanged``)."""
    await Staff.filter(id=staff.id).update(session_version=F("session_version") + 1)
    await staff.refresh_from_db(fields=["session_version"])


SESSION_STAFF_ID = "staff_id"
SESSION_VERSION = "session_version"


def start_session(session: dict, staff: Staff) -> None:
    session.clear()
    session[SESSION_STAFF_ID] = staff.id
    session[SESSION_VERSION] = staff.session_version


async def authenticate(username: str, password: str) -> Staff | None:
    staff = await Staff.get_or_none(username=username, is_active=True)
    if not verify_password(password, staff.password_hash if staff else None):
        return None
    return staff


class SignInThrottle:
    """Failed sign-ins per username and per IP address in a moving window (``limits``).

    In memory, or in Redis when ``YIMI_REDIS_URL`` is set, so that several server processes
    share the counts (the same storage choice as the API budgets in :mod:`yimi.graphql.limits`);
    while Redis does not answer, each process counts in its own memory (yimi.common.counters).
    Only failures are counted; a success neither counts nor clears a counter, so that an
    attacker cannot reset an IP's or a username's count by signing in to an account of their own.
    """

    def __init__(self, settings: Any):
        window = settings.sign_in_failure_window_seconds
        self.window = window
        self.per_username = RateLimitItemPerSecond(settings.sign_in_max_failures_per_username, window)
        self.per_ip = RateLimitItemPerSecond(settings.sign_in_max_failures_per_ip, window)
        self.prefix = settings.rate_limit_key_prefix
        self.storage: Storage = counter_storage(settings.redis_url, "yimi-sign-in")
        self.limiter = MovingWindowRateLimiter(self.storage)

    def _counters(self, username: str, ip: str) -> list[tuple[RateLimitItemPerSecond, tuple[str, ...]]]:
        # Usernames are free text of any length: their key is a digest, case-insensitive so that
        # "Admin" and "admin" share one count.
        user_key = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
        return [
            (self.per_username, (self.prefix, "user", user_key)),
            (self.per_ip, (self.prefix, "ip", ip)),
        ]

    async def retry_at(self, username: str, ip: str) -> float | None:
        """The epoch time from which another attempt is allowed, or None if one is allowed now."""
        blocked = []
        for item, ids in self._counters(username, ip):
            if not await self.limiter.test(item, *ids):
                blocked.append((await self.limiter.get_window_stats(item, *ids)).reset_time)
        return max(blocked) if blocked else None

    async def record_failure(self, username: str, ip: str) -> None:
        for item, ids in self._counters(username, ip):
            await self.limiter.hit(item, *ids)

    async def close(self) -> None:
        """Closes the Redis connections, if any (limits' storages have no public close)."""
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()


def _shown(username: str) -> str:
    """The username as logged: repr (no line breaks from user input), at most 64 characters."""
    return repr(username[:64] + ("…" if len(username) > 64 else ""))


async def sign_in_attempt(username: str, password: str, ip: str, throttle: SignInThrottle | None) -> Staff:
    """``authenticate`` behind the failure throttle, logging each failure (never the password).

    Raises ServiceError THROTTLED (without checking the password) while the username or the IP
    address has too many recent failures, and UNAUTHENTICATED for a wrong username or password.
    """
    if throttle is not None:
        retry_at = await throttle.retry_at(username, ip)
        if retry_at is not None:
            wait = max(1, math.ceil(retry_at - time.time()))
            at = datetime.fromtimestamp(retry_at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            auth_log.warning("Throttled sign-in for username %s from %s (until %s)", _shown(username), ip, at)
            raise ServiceError(None, THROTTLED, f"too many failed sign-ins: try again after {at} (in {wait} seconds)")
    staff = await authenticate(username, password)
    if staff is None:
        auth_log.warning("Failed sign-in for username %s from %s", _shown(username), ip)
        if throttle is not None:
            await throttle.record_failure(username, ip)
        raise ServiceError("password", "UNAUTHENTICATED", "wrong username or password")
    auth_log.info("Signed in: username %s from %s", _shown(username), ip)
    return staff


async def session_staff(session: dict) -> Staff | None:
    """The member of staff a session cookie signs in: one query by primary key. None when the
    account is disabled or the session was ended (``end_sessions``) since it started."""
    staff_id, version = session.get(SESSION_STAFF_ID), session.get(SESSION_VERSION)
    if not isinstance(staff_id, int) or not isinstance(version, int):
        return None  # also every cookie from before session versions: signed in again once
    return await Staff.get_or_none(id=staff_id, is_active=True, session_version=version)


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
    known = set(await Township.filter(code__in=fitting(scope, Township, "code")).values_list("code", flat=True))
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
    if not active:
        # So that enabling the account again does not bring its old sessions back.
        await end_sessions(staff)
    return staff
