"""The benchmarks' databases: the demo (county or province scale) generated once, kept under var/bench/
(SQLite) or as a PostgreSQL database, keyed by a hash of the demo generator's code and data, and
copied for each run (the runs write: cold caches are measured after a write).

Generating the province takes minutes: `make bench` regenerates only when backend/yimi/demo/ changed.
The cached copy is migrated (`yimi migrate`) before each run, so new migrations need no new data.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "var" / "bench"
DEMO_DIR = ROOT / "backend" / "yimi" / "demo"
PG = os.environ.get("YIMI_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_PREFIX = "yimi_bench_"
SCALES = ("county", "province")
BACKENDS = ("sqlite", "postgres")
# The benchmarks sign in as the demo's first dispatcher (sees every issue; staff003 in the county, as
# `make run`), with this password set when the data is generated.
PASSWORD = "bench password 1"
DISPATCHER_SQL = (
    "SELECT username FROM staff WHERE is_active AND CAST(roles AS TEXT) LIKE '%\"dispatcher\"%' "
    "AND CAST(township_scope AS TEXT) IN ('[]', '') ORDER BY id LIMIT 1"
)


def generator_key(scale: str) -> str:
    """Changes whenever the demo generator's code or data does."""
    digest = hashlib.sha256(scale.encode())
    for path in sorted(DEMO_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(DEMO_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def yimi(database_url: str, *args: str, timeout: float = 3600) -> str:
    """Runs the `yimi` command line on ``database_url``; its output, or an error with its last lines."""
    exe = Path(sys.executable).parent / "yimi"
    env = os.environ | {"YIMI_DATABASE_URL": database_url}
    result = subprocess.run([str(exe), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"yimi {' '.join(args)} failed: {(result.stdout + result.stderr)[-3000:]}")
    return result.stdout


def _generate(database_url: str, scale: str) -> None:
    started = time.monotonic()
    print(f"generating the {scale} demo in {database_url} (once per generator version) ...", flush=True)
    yimi(database_url, "migrate")
    yimi(database_url, "demo", "--quiet", *(("--scale", scale) if scale != "county" else ()))
    yimi(database_url, "user", "set-password", dispatcher(database_url), "--password", PASSWORD)
    print(f"generated in {time.monotonic() - started:.0f} s", flush=True)


def dispatcher(database_url: str) -> str:
    """The username the benchmarks sign in as."""
    import asyncio

    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as conn:
            row = conn.execute(DISPATCHER_SQL).fetchone()
    else:

        async def fetch():
            conn = await asyncpg.connect(database_url)
            try:
                return await conn.fetchrow(DISPATCHER_SQL)
            finally:
                await conn.close()

        row = asyncio.run(fetch())
    if row is None:
        raise RuntimeError(f"no dispatcher without a township scope in {database_url}")
    return row[0]


async def _pg_admin() -> asyncpg.Connection:
    return await asyncpg.connect(f"{PG}/test")


async def _pg_databases(admin: asyncpg.Connection) -> set[str]:
    return {r["datname"] for r in await admin.fetch("SELECT datname FROM pg_database")}


def _sqlite_cache(scale: str) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"{scale}-{generator_key(scale)}.sqlite3"
    if not path.exists():
        for old in CACHE_DIR.glob(f"{scale}-*.sqlite3*"):
            old.unlink()
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _generate(f"sqlite://{partial}", scale)
        partial.rename(path)
    yimi(f"sqlite://{path}", "migrate")
    return path


async def _pg_cache(scale: str) -> str:
    name = f"{PG_PREFIX}{scale}_{generator_key(scale)}"
    admin = await _pg_admin()
    try:
        existing = await _pg_databases(admin)
        if name not in existing:
            for old in existing:
                if old.startswith(f"{PG_PREFIX}{scale}_") and not old.startswith(f"{PG_PREFIX}{scale}_run"):
                    await admin.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
            partial = f"{name}_partial"
            await admin.execute(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{partial}"')
            _generate(f"{PG}/{partial}", scale)
            await admin.execute(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
    finally:
        await admin.close()
    yimi(f"{PG}/{name}", "migrate")
    return name


@contextmanager
def working_copy(scale: str, backend: str) -> Iterator[str]:
    """A database URL holding a fresh copy of the cached demo (generated first if missing), dropped afterwards."""
    import asyncio

    if backend == "sqlite":
        cache = _sqlite_cache(scale)
        copy = CACHE_DIR / f"run-{uuid.uuid4().hex[:8]}.sqlite3"
        if Path(f"{cache}-wal").exists():  # a copy of the file alone would lose what is in the WAL
            with sqlite3.connect(cache) as src, sqlite3.connect(copy) as dst:
                src.backup(dst)
        else:
            shutil.copyfile(cache, copy)
        try:
            yield f"sqlite://{copy}"
        finally:
            for leftover in CACHE_DIR.glob(f"{copy.name}*"):
                leftover.unlink()
        return

    template = asyncio.run(_pg_cache(scale))
    name = f"{PG_PREFIX}{scale}_run_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        admin = await _pg_admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await admin.close()

    async def drop() -> None:
        admin = await _pg_admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(create())
    try:
        yield f"{PG}/{name}"
    finally:
        asyncio.run(drop())
