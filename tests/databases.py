"""Which database a test run uses, and throwaway PostgreSQL databases.

``make test-python`` runs the suite twice: on SQLite (``YIMI_TEST_DATABASE`` unset or ``sqlite``)
and on PostgreSQL (``YIMI_TEST_DATABASE=postgres``). PostgreSQL databases are created on the server
of ``YIMI_TEST_POSTGRES_URL`` (default: 127.0.0.1:5432, user postgres, trust; the URL's database is
only where the CREATE DATABASE statements run) with unique names, and dropped after use.

No pytest here, so that scripts the tests run in subprocesses may use it too.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

BACKENDS = ("sqlite", "postgres")
BACKEND = os.environ.get("YIMI_TEST_DATABASE", "sqlite") or "sqlite"
POSTGRES_ADMIN_URL = os.environ.get("YIMI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ON_POSTGRES = BACKEND == "postgres"

T = TypeVar("T")


class PostgresUnavailable(Exception):
    """The test PostgreSQL server does not answer (a failure, never a reason to skip)."""


def with_database(url: str, name: str, query: str = "") -> str:
    """``url`` naming database ``name`` instead (and the query string ``query``)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}", query=query))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def unique_name(purpose: str) -> str:
    # PostgreSQL folds unquoted names to lower case and cuts them at 63 bytes: keep them short and lower.
    return f"yimi_test_{purpose.lower()}_{uuid.uuid4().hex[:10]}"[:63]


async def admin_connection() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise PostgresUnavailable(
            f"PostgreSQL is not answering at {POSTGRES_ADMIN_URL} ({error}): .ci/run starts it; "
            "set YIMI_TEST_POSTGRES_URL to use another server"
        ) from error


async def create_database(purpose: str, template: str | None = None) -> str:
    """A new empty PostgreSQL database (or a copy of database ``template``, which nobody may be
    connected to): its URL."""
    name = unique_name(purpose)
    admin = await admin_connection()
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await admin.close()
    return with_database(POSTGRES_ADMIN_URL, name)


async def drop_database(url: str) -> None:
    admin = await admin_connection()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
    finally:
        await admin.close()


async def database_exists(url: str) -> bool:
    admin = await admin_connection()
    try:
        return bool(await admin.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", database_name(url)))
    finally:
        await admin.close()


@asynccontextmanager
async def postgres_database(purpose: str, template: str | None = None) -> AsyncIterator[str]:
    """A throwaway PostgreSQL database for the block: its URL; always dropped."""
    url = await create_database(purpose, template)
    try:
        yield url
    finally:
        await drop_database(url)


@contextmanager
def scratch_database(folder: Path, purpose: str) -> Iterator[str]:
    """An empty database on the run's backend for the block (not even migrated): a SQLite file
    in ``folder`` that does not exist yet, or a new PostgreSQL database, dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite://{folder / f'{purpose}.sqlite3'}"
        return
    url = run_sync(create_database(purpose))
    try:
        yield url
    finally:
        run_sync(drop_database(url))


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs ``coroutine`` to completion from synchronous code, on a thread of its own: the test
    process's event loop (pytest-asyncio's) is neither used nor replaced."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def query(db: str, sql: str, *params: object) -> list[tuple]:
    """The rows of ``sql`` (with ``?`` placeholders) on the database at URL ``db``, as tuples read
    alike on both backends: timestamps as SQLite keeps them (UTC ISO text). JSON comes back as text
    on both, though not spaced alike: parse it to compare."""
    if db.startswith("sqlite://"):
        with sqlite3.connect(db.removeprefix("sqlite://")) as conn:
            rows = conn.execute(sql, params).fetchall()
    else:
        parts = sql.split("?")
        numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
        rows = [tuple(row) for row in run_sync(_pg_fetch(db, numbered, params))]
    return [tuple(_as_sqlite_reads(value) for value in row) for row in rows]


async def _pg_fetch(db: str, sql: str, params: tuple) -> list:
    conn = await asyncpg.connect(db)
    try:
        return await conn.fetch(sql, *params)
    finally:
        await conn.close()


def _as_sqlite_reads(value: object) -> object:
    # yimi.db stores SQLite timestamps as UTC text with isoformat(" ").
    return value.astimezone(UTC).isoformat(" ") if isinstance(value, datetime) else value
