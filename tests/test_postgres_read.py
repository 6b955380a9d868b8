"""The PostgreSQL path: the same migrations, demo and read queries give the same answers as SQLite."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

PG = "postgres://postgres@127.0.0.1:5432"
ROOT = Path(__file__).resolve().parents[1]


def answers(database_url: str) -> list:
    env = {**os.environ, "YIMI_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "tests.pg_answers"], capture_output=True, text=True, env=env, timeout=240, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture
async def pg_database():
    name = f"yimi_read_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(f"{PG}/test")
    except OSError as error:
        pytest.fail(f"PostgreSQL is not answering on 127.0.0.1:5432 ({error}); .ci/run starts it")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_postgres_answers_like_sqlite(pg_database, tmp_path):
    on_sqlite = answers(f"sqlite://{tmp_path / 'same.sqlite3'}")
    on_postgres = answers(pg_database)
    for sqlite_answer, pg_answer in zip(on_sqlite, on_postgres, strict=True):
        assert "errors" not in pg_answer, pg_answer
        assert pg_answer == sqlite_answer
    assert on_postgres[0]["data"]["townships"]["totalCount"] == 15
