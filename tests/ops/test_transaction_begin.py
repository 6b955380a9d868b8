"""A transaction whose BEGIN fails leaves the process working, on SQLite and PostgreSQL (yimi.db):
Tortoise alone kept SQLite's connection lock (every later query waited forever) or, on PostgreSQL,
the pooled connection and the transaction in place of the pool (every later query failed)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import asyncpg
import pytest

from tests.servers import ROOT

PG = os.environ.get("YIMI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


@pytest.fixture
async def postgres_url():
    name = f"yimi_begin_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(f"{PG}/test")
    except OSError as error:
        pytest.fail(f"PostgreSQL is not answering at {PG} ({error}); .ci/run starts it", pytrace=False)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def run(database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.ops.begin_failure"],
        env=os.environ | {"YIMI_DATABASE_URL": database_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sqlite_works_on_after_a_failed_begin(tmp_path):
    done = run(f"sqlite://{tmp_path / 'yimi.sqlite3'}")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr[-2000:]


async def test_postgresql_works_on_after_a_failed_begin(postgres_url):
    done = run(postgres_url)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr[-2000:]
