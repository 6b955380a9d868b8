"""Import tests run `yimi` in subprocesses on their own SQLite files: the ORM of the test process
stays on the shared demo database, and each test starts from a copy of a prepared one."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def yimi(db: Path, *args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "YIMI_DATABASE_URL": f"sqlite://{db}", "COLUMNS": "250", "USER": "tester"}
    env.pop("YIMI_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "yimi.cli", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def summary(output: str) -> dict[str, int]:
    """The numbers of the summary table: rows read, created, updated, unchanged, skipped, warnings."""
    out = {}
    for line in output.splitlines():
        for name in ("rows read", "created", "updated", "unchanged", "skipped (rejected)", "warnings"):
            if line.strip().startswith(name):
                out[name.split()[0]] = int(line.split()[-1].replace(",", ""))
    return out


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo county, loaded by `yimi demo`; exported once to files the tests import."""
    folder = tmp_path_factory.mktemp("import-demo")
    db = folder / "demo.sqlite3"
    ok(yimi(db, "migrate"))
    ok(yimi(db, "demo", "--quiet"))
    ok(yimi(db, "export", "townships", folder / "townships.geojson"))
    ok(yimi(db, "export", "teams", folder / "teams.xlsx"))
    return db


@pytest.fixture(scope="session")
def base_db(demo_db, tmp_path_factory) -> Path:
    """A migrated database with the demo's townships and teams and nothing else."""
    db = tmp_path_factory.mktemp("import-base") / "base.sqlite3"
    ok(yimi(db, "migrate"))
    ok(yimi(db, "import", "townships", demo_db.parent / "townships.geojson", "--quiet"))
    ok(yimi(db, "import", "teams", demo_db.parent / "teams.xlsx", "--quiet"))
    return db


@pytest.fixture
def db(base_db, tmp_path) -> Path:
    """A fresh copy of the base database for one test (no process has the base open)."""
    copy = tmp_path / "yimi.sqlite3"
    shutil.copy(base_db, copy)
    return copy
