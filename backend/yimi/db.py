"""Tortoise configuration shared by the app, the CLI and the migration tool."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

# Imported for its side effect first: it registers SQLite adapters, and ours must replace its
# datetime one.
import tortoise.backends.sqlite.executor  # noqa: F401
from tortoise import Tortoise
from tortoise.backends.sqlite.client import SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError

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


SqliteTransactionWrapper.begin = _begin_immediate

MODEL_MODULES = [
    "yimi.townships.models",
    "yimi.accounts.models",
    "yimi.teams.models",
    "yimi.enterprises.models",
    "yimi.issues.models",
]


def tortoise_config(settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    url = settings.database_url
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": url},
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


async def init_db(settings: Settings | None = None) -> None:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


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
