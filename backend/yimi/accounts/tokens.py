"""Partner tokens: created once and shown once, stored as hashes, scoped, expiring, revocable."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from enum import Enum

from yimi.accounts.models import PartnerCall, PartnerToken
from yimi.accounts.read_rules import SCOPE_REQUIRES
from yimi.common.errors import ServiceError
from yimi.common.filters import fitting
from yimi.issues.models import IssueCategory
from yimi.townships.models import Township

log = logging.getLogger("yimi.tokens")

TOKEN_PREFIX = "yimi_"
# last_used_at is refreshed at most this often, so that reads do not all turn into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenScope(str, Enum):
    """What a token may do beyond the public's reads (townships, teams, statistics); see
    yimi.accounts.read_rules.SCOPE_GRANTS for what each one opens."""

    READ_ENTERPRISES = "enterprises:read"
    READ_CONTACTS = "enterprises:contacts"  # contact person and phone, with enterprises:read
    READ_ISSUES = "issues:read"  # with enterprises:read: an issue names its enterprise
    READ_ISSUE_DETAILS = "issues:details"  # descriptions, resolutions, timelines, with issues:read
    REPORT_ISSUES = "issues:report"
    READ_STATS = "stats:read"  # exact figures on townships, teams and enterprises


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_expiry(value: str | None, now: datetime) -> datetime | None:
    """``90d`` (days from now), an ISO date (end of that day, UTC) or an ISO datetime; None never expires."""
    if not value:
        return None
    if match := re.fullmatch(r"(\d{1,4})d", value.strip()):
        return now + timedelta(days=int(match.group(1)))
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ServiceError("expires", "INVALID", f"'{value}' is neither NNNd nor an ISO date") from None
    if len(value.strip()) == 10:
        parsed = parsed.replace(hour=23, minute=59, second=59)
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if parsed <= now:
        raise ServiceError("expires", "INVALID", "the expiry must be in the future")
    return parsed


async def create_token(
    name: str,
    scopes: list[str],
    township_codes: list[str] | None = None,
    categories: list[str] | None = None,
    expires: str | None = None,
    now: datetime | None = None,
) -> tuple[PartnerToken, str]:
    """The stored token and its secret, which is never stored and cannot be shown again."""
    now = now or datetime.now(UTC)
    if not name.strip():
        raise ServiceError("name", "INVALID", "a name is required")
    if await PartnerToken.exists(name=name):
        raise ServiceError("name", "INVALID", f"a token named '{name}' exists")
    known_scopes = {s.value for s in TokenScope}
    if not scopes or (unknown := sorted(set(scopes) - known_scopes)):
        raise ServiceError(
            "scopes",
            "INVALID",
            f"choose from {', '.join(sorted(known_scopes))}" + (f"; unknown: {', '.join(unknown)}" if scopes else ""),
        )
    for scope, needed in SCOPE_REQUIRES.items():
        if scope in scopes and needed not in scopes:
            raise ServiceError("scopes", "INVALID", f"{scope} needs {needed} as well")
    codes = sorted(set(township_codes or []))
    known_codes = set(await Township.filter(code__in=fitting(codes, Township, "code")).values_list("code", flat=True))
    if missing := [c for c in codes if c not in known_codes]:
        raise ServiceError("townships", "INVALID", f"unknown township codes: {', '.join(missing)}")
    cats = sorted(set(categories or []))
    if bad := [c for c in cats if c not in {x.value for x in IssueCategory}]:
        raise ServiceError("categories", "INVALID", f"unknown categories: {', '.join(bad)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = await PartnerToken.create(
        name=name.strip(),
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        scopes=sorted(set(scopes)),
        township_codes=codes,
        categories=cats,
        expires_at=parse_expiry(expires, now),
    )
    return token, secret


async def revoke_token(name: str, now: datetime | None = None) -> PartnerToken:
    token = await PartnerToken.get_or_none(name=name)
    if token is None:
        raise ServiceError("name", "NOT_FOUND", f"no token named '{name}'")
    if token.revoked_at is None:
        token.revoked_at = now or datetime.now(UTC)
        await token.save(update_fields=["revoked_at"])
    return token


async def token_for_secret(secret: str, now: datetime) -> PartnerToken:
    """The live token behind ``secret``; ServiceError UNAUTHENTICATED when unknown, revoked or expired."""
    token = await PartnerToken.get_or_none(token_hash=hash_token(secret))
    if token is None:
        raise ServiceError(None, "UNAUTHENTICATED", "unknown token")
    await check_in(token, now)
    return token


async def check_in(token: PartnerToken, now: datetime) -> None:
    """Refuses a revoked or expired token (ServiceError UNAUTHENTICATED) and notes its use: the one
    check a token read from a cache of callers (yimi.graphql.context.Callers) still needs."""
    if token.revoked_at is not None:
        raise ServiceError(None, "UNAUTHENTICATED", "this token was revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise ServiceError(None, "UNAUTHENTICATED", "this token has expired")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        await PartnerToken.filter(id=token.id).update(last_used_at=now)


class CallLog:
    """The partner call log, written in batches off the request path: a partner's cached answer
    would otherwise cost an INSERT as well as its one read. Calls wait at most ``FLUSH_SECONDS``
    (or until ``MAX_PENDING`` of them), then go in with one statement; the app flushes what is left
    as it stops. A server killed outright loses at most those seconds of the log; a batch the
    database refuses is one error line with the number of calls lost."""

    FLUSH_SECONDS = 1.0
    MAX_PENDING = 500

    def __init__(self) -> None:
        self._pending: list[PartnerCall] = []
        self._task: asyncio.Task | None = None

    def add(self, token: PartnerToken, operation: str | None, cost: int, now: datetime) -> None:
        self._pending.append(
            PartnerCall(token_id=token.id, operation=(operation or "")[:100], cost=cost, called_at=now)
        )
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush_later())
        elif len(self._pending) >= self.MAX_PENDING:
            self._task.cancel()
            self._task = asyncio.get_running_loop().create_task(self.flush())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        calls, self._pending = self._pending, []
        if not calls:
            return
        try:
            await PartnerCall.bulk_create(calls)
        except Exception as error:
            log.error("Partner call log: %d calls not written: %s: %s", len(calls), type(error).__name__, error)


call_log = CallLog()


def log_call(token: PartnerToken, operation: str | None, cost: int, now: datetime) -> None:
    call_log.add(token, operation, cost, now)
