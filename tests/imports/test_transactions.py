"""All or nothing: a failure injected in the middle of a file leaves nothing behind, on SQLite and
PostgreSQL (127.0.0.1:5432; set YIMI_TEST_POSTGRES_URL for another server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.imports.conftest import query
from tests.imports.fixtures import HEADER, register_rows, write_csv

SCRIPT = Path(__file__).with_name("import_check.py")
ADMIN_URL = os.environ.get("YIMI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def register(base_db, tmp_path) -> Path:
    seats = query(base_db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    return write_csv(
        tmp_path / "register.csv", HEADER, register_rows([(n, x + k * 1e-4, y) for n, x, y in seats for k in range(2)])
    )


def run(url: str, townships: Path, register: Path) -> dict:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), url, str(townships), str(register)], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def expect(result: dict) -> None:
    assert result["failure"] == "disk full (injected)"
    # Two batches of five were written inside the transaction before the third failed: none stayed.
    assert result["batches_written_before_failure"] == 2
    assert result["after_failure"] == 0
    assert (result["created"], result["committed"], result["count"]) == (30, True, 30)
    assert (result["rerun_created"], result["rerun_unchanged"]) == (0, 30)
    ledger = result["ledger"]
    assert (ledger["created"], ledger["unchanged"]) == (3, 3)
    assert ledger["issues"] == [
        ["WS-2023-00001", "closed", "closed", 5],
        ["WS-2023-00002", "in_progress", "in_progress", 3],
        ["WS-2024-00001", "reported", "reported", 1],
    ]
    assert ledger["later_event_is_last"]


def test_a_failure_mid_file_leaves_nothing_on_sqlite(demo_db, base_db, tmp_path):
    expect(
        run(
            f"sqlite://{tmp_path / 'scratch.sqlite3'}",
            demo_db.parent / "townships.geojson",
            register(base_db, tmp_path),
        )
    )


@pytest.mark.timeout(180)
def test_a_failure_mid_file_leaves_nothing_on_postgresql(demo_db, base_db, tmp_path):
    import asyncio

    import asyncpg

    async def reachable() -> bool:
        try:
            conn = await asyncpg.connect(ADMIN_URL, timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    if not asyncio.run(reachable()):
        pytest.fail(f"no PostgreSQL at {ADMIN_URL}: .ci/run starts it; set YIMI_TEST_POSTGRES_URL to use another")
    result = run(ADMIN_URL, demo_db.parent / "townships.geojson", register(base_db, tmp_path))
    expect(result)

    async def gone() -> bool:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            return not await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", result["database"])
        finally:
            await conn.close()

    assert asyncio.run(gone())
