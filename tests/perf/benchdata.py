"""The benchmarks' databases: the demo (county or province scale) generated once, kept under var/bench/
(SQLite) or as a PostgreSQL database named yimi_bench_<scale>_<generator>_<migrations>, and copied for
each run (the runs write: cold caches are measured after a write).

Generating the province takes minutes, so a cache is reused while the demo generator's code and data
(backend/yimi/demo/) are unchanged, by any checkout whose migrations include those the cache was made
with: the copy is migrated forward (`yimi migrate`), the cache never is. PostgreSQL caches are shared by
every checkout on the server (an advisory lock keeps two from generating the same one) and never dropped
by the benchmarks: drop stale ones by hand (`DROP DATABASE yimi_bench_…`).
"""

from __future__ import annotations

import asyncio
import fcntl
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
MIGRATIONS_DIR = ROOT / "backend" / "yimi" / "migrations"
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
APPLIED_SQL = "SELECT name FROM tortoise_migrations"


def generator_key(scale: str) -> str:
    """Changes whenever the demo generator's code or data does."""
    digest = hashlib.sha256(scale.encode())
    for path in sorted(DEMO_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(DEMO_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def migrations_here() -> set[str]:
    return {p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")}


def migrations_key() -> str:
    return hashlib.sha256(" ".join(sorted(migrations_here())).encode()).hexdigest()[:8]


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
    print(f"generated in {time.monotonic() - started:.0f} s", flush=True)


async def _pg_fetch(database_url: str, sql: str) -> list:
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def _fetch(database_url: str, sql: str) -> list:
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as conn:
            return conn.execute(sql).fetchall()
    return asyncio.run(_pg_fetch(database_url, sql))


def dispatcher(database_url: str) -> str:
    """The username the benchmarks sign in as."""
    rows = _fetch(database_url, DISPATCHER_SQL)
    if not rows:
        raise RuntimeError(f"no dispatcher without a township scope in {database_url}")
    return rows[0][0]


def _usable(database_url: str) -> int | None:
    """How many migrations the cache has, if all of them are migrations of this checkout."""
    try:
        applied = {row[0] for row in _fetch(database_url, APPLIED_SQL)}
    except Exception:  # not a finished cache
        return None
    return len(applied) if applied <= migrations_here() else None


def _best(candidates: dict[str, str]) -> str | None:
    """The name of the usable cache (name → URL) with the most migrations already applied."""
    usable = {name: n for name, url in candidates.items() if (n := _usable(url)) is not None}
    return max(usable, key=lambda name: usable[name]) if usable else None


def _sqlite_cache(scale: str) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    stem = f"{scale}-{generator_key(scale)}-"
    with (CACHE_DIR / f"{scale}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one generator at a time in this checkout
        found = _best({p.name: f"sqlite://{p}" for p in CACHE_DIR.glob(f"{stem}*.sqlite3")})
        if found:
            return CACHE_DIR / found
        for old in CACHE_DIR.glob(f"{scale}-*.sqlite3*"):  # another generator's: never used again
            if not old.name.startswith(stem):
                old.unlink()
        path = CACHE_DIR / f"{stem}{migrations_key()}.sqlite3"
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _generate(f"sqlite://{partial}", scale)
        # The commands may leave their last writes in the WAL: fold them into the file that is kept.
        with sqlite3.connect(partial) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        partial.rename(path)
        return path


async def _pg_cache(scale: str) -> str:
    prefix = f"{PG_PREFIX}{scale}_{generator_key(scale)}_"
    admin = await asyncpg.connect(f"{PG}/test")
    try:
        # Held while looking and generating: another checkout waits, then finds the cache made.
        await admin.execute("SELECT pg_advisory_lock(hashtext($1))", prefix)
        names = [r["datname"] for r in await admin.fetch("SELECT datname FROM pg_database")]
        candidates = {n: f"{PG}/{n}" for n in names if n.startswith(prefix) and not n.endswith("_partial")}
        found = await asyncio.to_thread(_best, candidates)
        if found:
            return found
        name = f"{prefix}{migrations_key()}"
        partial = f"{name}_partial"
        await admin.execute(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{partial}"')
        await asyncio.to_thread(_generate, f"{PG}/{partial}", scale)
        await admin.execute(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
        return name
    finally:
        await admin.close()


async def _pg_copy(template: str, name: str) -> None:
    admin = await asyncpg.connect(f"{PG}/test")
    try:
        for attempt in range(60):
            try:
                await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except asyncpg.ObjectInUseError:  # another run is copying it too, or reading it
                await asyncio.sleep(min(2 + attempt, 10))
        raise RuntimeError(f"{template} stayed in use: cannot copy it")
    finally:
        await admin.close()


async def _pg_drop(name: str) -> None:
    admin = await asyncpg.connect(f"{PG}/test")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextmanager
def working_copy(scale: str, backend: str, source: str | None = None) -> Iterator[str]:
    """A database URL holding a fresh, migrated copy of the cached demo (generated first if missing), or
    of ``source`` (an SQLite file or a PostgreSQL database name, for data made otherwise), with the
    benchmarks' password set; dropped afterwards."""
    if backend == "sqlite":
        cache = Path(source) if source else _sqlite_cache(scale)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        copy = CACHE_DIR / f"run-{uuid.uuid4().hex[:8]}.sqlite3"
        if Path(f"{cache}-wal").exists():  # a copy of the file alone would lose what is in the WAL
            with sqlite3.connect(cache) as src, sqlite3.connect(copy) as dst:
                src.backup(dst)
        else:
            shutil.copyfile(cache, copy)
        try:
            _ready(f"sqlite://{copy}")
            yield f"sqlite://{copy}"
        finally:
            for leftover in CACHE_DIR.glob(f"{copy.name}*"):
                leftover.unlink()
        return

    template = source or asyncio.run(_pg_cache(scale))
    name = f"{PG_PREFIX}run_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_copy(template, name))
    try:
        _ready(f"{PG}/{name}")
        yield f"{PG}/{name}"
    finally:
        asyncio.run(_pg_drop(name))


def _ready(database_url: str) -> None:
    yimi(database_url, "migrate")
    yimi(database_url, "user", "set-password", dispatcher(database_url), "--password", PASSWORD)


def main() -> None:
    """Makes the caches of a scale that are missing, for SQLite and PostgreSQL at once (`make bench` does
    this first: generating the province takes minutes for each)."""
    import argparse
    from concurrent.futures import ThreadPoolExecutor

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--scale", choices=SCALES, default=os.environ.get("BENCH_SCALE", "county"))
    args = parser.parse_args()
    with ThreadPoolExecutor(2) as pool:
        sqlite_cache = pool.submit(_sqlite_cache, args.scale)
        pg_cache = pool.submit(lambda: asyncio.run(_pg_cache(args.scale)))
        print(f"{args.scale} data: {sqlite_cache.result().name} and PostgreSQL {pg_cache.result()}", flush=True)


if __name__ == "__main__":
    main()
