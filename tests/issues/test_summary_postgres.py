"""issueSummary and the work queues on PostgreSQL (127.0.0.1:5432) and SQLite: each agrees with the
independent figures, and both databases give the same answers (tests/issues/pg_summary_check.py)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

PG = os.environ.get("YIMI_TEST_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
ROOT = Path(__file__).resolve().parents[2]


def answers(database_url: str) -> list[dict]:
    env = {**os.environ, "YIMI_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "tests.issues.pg_summary_check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=400,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture
async def pg_database():
    name = f"yimi_summary_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(f"{PG}/test")
    except OSError as error:
        pytest.fail(f"PostgreSQL is not answering at {PG} ({error}); .ci/run starts it")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.timeout(900)
async def test_summary_and_queues_agree_on_postgres_and_sqlite(pg_database, tmp_path):
    on_postgres = await asyncio.to_thread(answers, pg_database)
    on_sqlite = await asyncio.to_thread(answers, f"sqlite://{tmp_path / 'same.sqlite3'}")
    for answer in on_postgres + on_sqlite:
        assert answer["got"] == answer["expected"], (answer["role"], answer["filter"])
    assert [a["got"] for a in on_postgres] == [a["got"] for a in on_sqlite]
    # Not vacuous: every case counts something.
    assert [(a["role"], a["filter"]) for a in on_postgres if not a["got"]["total"]] == []
