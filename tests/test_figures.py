"""Figures kept on write equal the counts on read after every kind of write, on SQLite and on
PostgreSQL, and both answer alike (tests/figures_check.py, in a process per database)."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.figures_check import figures_migration
from yimi.common.figures import OPEN_SQL

ADMIN_URL = os.environ.get("YIMI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]


async def check(url: str) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.figures_check", url, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    out, err = await asyncio.wait_for(proc.communicate(), 400)
    assert proc.returncode == 0, err.decode()[-3000:]
    return json.loads(out.decode())


@pytest.mark.timeout(900)
async def test_figures_equal_counts_after_every_write_on_sqlite_and_postgresql(tmp_path):
    try:
        admin = await asyncpg.connect(ADMIN_URL, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"no PostgreSQL at {ADMIN_URL} ({error}): .ci/run starts it; set YIMI_TEST_POSTGRES_URL")
    name = f"yimi_figures_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = ADMIN_URL.rsplit("/", 1)[0]
        on_postgres = await check(f"{base}/{name}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    on_sqlite = await check(f"sqlite://{tmp_path / 'figures.sqlite3'}")
    assert on_sqlite == on_postgres
    assert on_sqlite["walked"] == 28  # every order of enterprises and issues, keyset = offset
    before = on_sqlite["before"]
    assert before["townships"] == 15 and before["top_enterprises"][0][1] >= 2
    # The demo's overdue issues show in the township figures.
    assert sum(t[3] for t in before["township_figures"]) > 0


def test_the_open_statuses_of_the_migration_are_those_of_the_code():
    # The index issue_open_deadline serves only a query spelling its expression alike.
    module = importlib.import_module(f"yimi.migrations.{figures_migration()[0]}")
    assert module.OPEN == OPEN_SQL
