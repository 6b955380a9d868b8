"""Concurrent transitions and numbering on PostgreSQL (127.0.0.1:5432), in a subprocess.

The check (tests/issues/pg_workflow_check.py) creates and drops its own database, so it needs
only a server that lets ``postgres`` create databases; set YIMI_TEST_POSTGRES_URL to use another
server. Without a reachable server the test fails, saying so.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

ADMIN_URL = os.environ.get("YIMI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
SCRIPT = Path(__file__).with_name("pg_workflow_check.py")


async def reachable(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


@pytest.mark.timeout(120)
async def test_one_of_several_concurrent_changes_wins_on_postgresql():
    if not await reachable(ADMIN_URL):
        pytest.fail(f"no PostgreSQL at {ADMIN_URL}: .ci/run starts it; set YIMI_TEST_POSTGRES_URL to use another")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), ADMIN_URL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 110)
    assert proc.returncode == 0, err.decode()[-3000:]
    result = json.loads(out.decode().strip().splitlines()[-1])
    # Every round: exactly one of the four changes from the same version went through.
    assert all(sorted(r) == ["CONFLICT", "CONFLICT", "CONFLICT", "ok"] for r in result["rounds"])
    assert result["reports"] == 60
    # The scratch database is gone.
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        assert not await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", result["database"])
    finally:
        await conn.close()
