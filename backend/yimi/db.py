"""Tortoise configuration shared by the app, the CLI and the migration tool."""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

# Imported for its side effect first: it registers SQLite adapters, and ours must replace its
# datetime one.
import tortoise.backends.sqlite.executor  # noqa: F401
from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionalDBClient, TransactionContextPooled
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.sqlite.client import SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.connection import get_connections
from tortoise.exceptions import DBConnectionError, TransactionManagementError

from yimi.settings import Settings, get_settings


def _utc_text(value: datetime) -> str:
    # SQLite compares timestamps as text, so every stored or compared instant must be in one
    # offset: a deadline written as +08:00 would sort eight hours away from a UTC one.
    return (value.astimezone(UTC) if value.tzinfo else value).isoformat(" ")


sqlite3.register_adapter(datetime, _utc_text)


async def _begin_immediate(self) -> None:
    # A deferred BEGIN that reads and then writes cannot wait for another process's write lock:
    # SQLite refuses it at once ("database is locked"). Taking the write lock up front lets it wait
    # (the busy timeout) like any other writer, so several server processes can share one file.
    try:
        await self._connection.commit()
        await self._connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise TransactionManagementError(exc) from exc


SqliteTransactionWrapper.begin = _begin_immediate  # type: ignore[method-assign]


# Tortoise's own __aenter__ of a transaction undoes nothing when BEGIN fails, and __aexit__ never
# runs then. On SQLite it keeps the connection's lock ("database is locked" after the busy timeout,
# or the task cancelled meanwhile): every later query of the process waits forever. On PostgreSQL
# (a BEGIN on a connection the server has just closed) it never returns the pooled connection, so
# each such failure shrinks the pool for good, and leaves the failed transaction in place of the
# pool; measured with PostgreSQL ending its connections: every later query of the process failed.


async def _enter_or_undo(self: SqliteTransactionContext) -> SqliteTransactionWrapper:
    await self._trxlock.acquire()
    try:
        await self.ensure_connection()
        self.token = get_connections().set(self.connection_name, self.connection)
        try:
            await self.connection.begin()
        except BaseException:
            get_connections().reset(self.token)
            # A cancelled BEGIN may still run on the connection's thread: whatever it opens is
            # rolled back after it, before the next user gets the connection.
            with suppress(Exception):
                await self.connection._connection.rollback()
            raise
    except BaseException:
        self._trxlock.release()
        raise
    return self.connection


SqliteTransactionContext.__aenter__ = _enter_or_undo  # type: ignore[method-assign]


async def _enter_pooled_or_undo(self: TransactionContextPooled) -> TransactionalDBClient:
    await self.ensure_connection()
    pool = self.client._parent._pool
    self.client._connection = await pool.acquire()
    self.token = get_connections().set(self.connection_name, self.client)
    try:
        await self.client.begin()
    except BaseException:
        get_connections().reset(self.token)
        with suppress(Exception):
            await pool.release(self.client._connection)
        raise
    return self.client


TransactionContextPooled.__aenter__ = _enter_pooled_or_undo  # type: ignore[method-assign]

MODEL_MODULES = [
    "yimi.townships.models",
    "yimi.accounts.models",
    "yimi.teams.models",
    "yimi.enterprises.models",
    "yimi.issues.models",
    "yimi.stats.models",
]


# How long a SQLite write waits for another process's (several server workers, the CLI) before it
# fails with "database is locked", which the API answers as unavailable (503, try again). Within
# one process Tortoise queues every query on its one connection, without a limit.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def tortoise_config(settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    url = settings.database_url
    connection: str | dict = url
    if url.startswith("sqlite://"):
        if url != "sqlite://:memory:":
            Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
        connection = expand_db_url(url)  # ?busy_timeout=MS in the URL still wins
        connection["credentials"].setdefault("busy_timeout", SQLITE_BUSY_TIMEOUT_MS)
    elif url.split("://", 1)[0] in ("postgres", "postgresql", "asyncpg"):
        connection = expand_db_url(url)
        connection["credentials"]["reset"] = _keep_session
    return {
        "connections": {"default": connection},
        "apps": {
            "yimi": {
                "models": MODEL_MODULES,
                "migrations": "yimi.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _keep_session(connection) -> None:
    """What a pooled PostgreSQL connection needs when it is released: nothing beyond the rollback of an
    unfinished transaction that asyncpg always does. Its default reset is one more round trip per query
    (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL: 5 % of a worker's time under the dashboard load), for
    session state Yimi never changes: no SET, LISTEN or cursor on a pooled connection, and only
    transaction-scoped advisory locks (pg_advisory_xact_lock)."""


async def init_db(settings: Settings | None = None) -> None:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


class DatabaseNotReady(Exception):
    """The database cannot serve the app: unreachable, or behind the migrations on disk."""


# SQLSTATE classes of a server that cannot be reached or cannot serve now: connection exception,
# insufficient resources (too many connections, disk full), operator intervention (shut down,
# terminated, starting up), and a database that does not exist.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57", "3D000")
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "disk i/o error",
    "readonly database",
    "disk is full",
    "database is locked",  # another process held the write lock past SQLITE_BUSY_TIMEOUT_MS
)


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached, rather than a bug."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        sqlstate = getattr(exc, "sqlstate", None) or ""
        if isinstance(exc, OSError | DBConnectionError) or sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        if sqlstate == "55000" and "accepting connections" in str(exc):  # ALLOW_CONNECTIONS false
            return True
        if type(exc).__name__ == "InternalClientError" and str(exc).startswith("cannot switch to state"):
            # asyncpg, on a pooled connection the server has just terminated (before it notices the
            # socket closing): measured when PostgreSQL ends its backends.
            return True
        if isinstance(exc, sqlite3.OperationalError) and any(m in str(exc).lower() for m in _SQLITE_UNAVAILABLE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def describe(url: str) -> str:
    """The database URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    return f"{scheme}{sep}{credentials.split(':')[0]}{at}{location}" if at else url


async def ping() -> None:
    await connections.get("default").execute_query("SELECT 1")


# What YIMI_DATABASE_URL may name: SQLite files and PostgreSQL (Tortoise knows more, Yimi does not).
SUPPORTED_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg", "psycopg")


async def init_ready_db(settings: Settings) -> None:
    """init_db, unless the database is missing, unreachable, unusable, behind the migrations on disk
    or ahead of them: then DatabaseNotReady says in one line what is wrong and what to do (and
    nothing stays open). Never creates a SQLite file (only ``yimi migrate`` does)."""
    url = settings.database_url
    scheme = url.partition("://")[0]
    if scheme not in SUPPORTED_SCHEMES:
        raise DatabaseNotReady(
            f"YIMI_DATABASE_URL={describe(url)}: Yimi runs on SQLite (sqlite://PATH) or PostgreSQL "
            f"(postgres://USER@HOST:PORT/NAME), not {scheme or 'this'}"
        )
    missing = _missing_sqlite_file(url)
    if missing:
        # Tortoise would create an empty file, which helps no one.
        raise DatabaseNotReady(f"no database at {missing}: run `yimi migrate` (or set YIMI_DATABASE_URL)")
    try:
        await init_db(settings)
    except Exception as exc:  # a malformed URL (port, options), a missing driver
        await _close_quietly()
        raise DatabaseNotReady(f"YIMI_DATABASE_URL={describe(url)} is not usable: {_reason(exc, url)}") from None
    try:
        await _check_ready(settings)
    except BaseException as exc:
        await _close_quietly()
        if isinstance(exc, DatabaseNotReady) or not isinstance(exc, Exception):
            raise
        # Refused credentials, a file that is not a database, …
        message = f"cannot use the database YIMI_DATABASE_URL={describe(url)}: {_reason(exc, url)}"
        raise DatabaseNotReady(message) from None


async def _close_quietly() -> None:
    # After a failed init, closing may fail the same way (Tortoise builds the client again).
    with suppress(Exception):
        await close_db()


def _reason(exc: BaseException, url: str) -> str:
    """``exc`` in one line, without the URL's password should the message quote it."""
    text = (str(exc).strip().splitlines() or [""])[0]
    inner = exc.__cause__ or exc.__context__
    if isinstance(inner, ValueError) and str(inner):  # Tortoise's "Port is not an integer": which value
        text = f"{text} ({str(inner).splitlines()[0]})"
    password = _password(url)
    if password:
        text = text.replace(password, "***")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _password(url: str) -> str | None:
    credentials, at, _ = url.partition("://")[2].rpartition("@")
    _user, colon, password = credentials.partition(":")
    return password if at and colon and password else None


def _missing_sqlite_file(url: str) -> str | None:
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    return path if url.startswith("sqlite://") and path != ":memory:" and not Path(path).exists() else None


def known_migrations() -> list[str]:
    """The names of the migrations this version of Yimi has, in order."""
    import yimi.migrations

    folder = Path(yimi.migrations.__file__).parent
    return sorted(p.stem for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


def unknown_migrations(applied: list[str]) -> list[str]:
    """Applied migrations this code does not have: the data was written by a newer Yimi."""
    known = set(known_migrations())
    return sorted(name for name in applied if name not in known)


def newer_data_message(where: str, unknown: list[str]) -> str:
    return (
        f"{where} was migrated by a newer version of Yimi ({', '.join(unknown)} unknown to this one): "
        "run that version (or restore a backup made by this one); older code must not write newer data"
    )


async def _check_ready(settings: Settings) -> None:
    from tortoise.migrations.executor import MigrationExecutor
    from tortoise.migrations.recorder import MigrationRecorder

    url = settings.database_url
    try:
        await ping()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        raise DatabaseNotReady(
            f"cannot reach the database {describe(url)} ({_reason(exc, url)}): start or create it, "
            "or set YIMI_DATABASE_URL"
        ) from None
    connection = connections.get("default")
    applied = [key.name for key in await MigrationRecorder(connection).applied_migrations() if key.app_label == "yimi"]
    unknown = unknown_migrations(applied)
    if unknown:
        raise DatabaseNotReady(newer_data_message(f"the database {describe(url)}", unknown))
    config = tortoise_config(settings)
    steps = await MigrationExecutor(connection, config["apps"]).plan()
    pending = [step.migration.name for step in steps if not step.backward]
    if pending:
        names = ", ".join(pending)
        raise DatabaseNotReady(f"the database {describe(url)} lacks migrations {names}: run `yimi migrate`")


def pool_connections() -> tuple[int, int, int]:
    """Connections (open, in use, most allowed) to the database, as the driver counts them.

    SQLite has no pool: Tortoise sends every query through its one connection.
    """
    client = connections.get("default")
    pool = getattr(client, "_pool", None)
    if pool is not None:
        size = pool.get_size()
        return size, size - pool.get_idle_size(), pool.get_max_size()
    if getattr(client, "_connection", None) is not None:
        return 1, int(client._lock.locked()), 1
    return 0, 0, 1


async def migrate(settings: Settings | None = None, progress=None) -> None:
    from tortoise.migrations.api import migrate as run_migrations

    try:
        await run_migrations(config=tortoise_config(settings), progress=progress)
    finally:
        await Tortoise.close_connections()


def __getattr__(name: str):
    # `tortoise -c yimi.db.TORTOISE_ORM makemigrations` reads this lazily, with the current env.
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)
