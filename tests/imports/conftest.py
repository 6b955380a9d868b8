"""Import tests run `yimi` in subprocesses on databases of their own (SQLite files or PostgreSQL
databases, as the run's backend): the ORM of the test process stays on the shared demo database, and
each test starts from a copy of a prepared one. A database is named by its URL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.databases import ON_POSTGRES, create_database, database_name, drop_database, run_sync, scratch_database


def yimi(db: str, *args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "YIMI_DATABASE_URL": db, "COLUMNS": "250", "USER": "tester"}
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


def summary(output: str) -> dict[str, int]:
    """The numbers of the summary table: rows read, created, updated, unchanged, skipped, warnings."""
    out = {}
    for line in output.splitlines():
        for name in ("rows read", "created", "updated", "unchanged", "skipped (rejected)", "warnings"):
            if line.strip().startswith(name):
                out[name.split()[0]] = int(line.split()[-1].replace(",", ""))
    return out


@pytest.fixture(scope="session")
def import_files(tmp_path_factory):
    """A folder for the files the session's databases are made from."""
    return tmp_path_factory.mktemp("import-demo")


@pytest.fixture(scope="session")
def demo_db(database_backend, import_files) -> str:
    """The demo county, loaded by `yimi demo`; exported once to files the tests import."""
    with scratch_database(import_files, "import_demo") as db:
        ok(yimi(db, "migrate"))
        ok(yimi(db, "demo", "--quiet"))
        ok(yimi(db, "export", "townships", import_files / "townships.geojson"))
        ok(yimi(db, "export", "teams", import_files / "teams.xlsx"))
        yield db


@pytest.fixture(scope="session")
def base_db(demo_db, import_files) -> str:
    """A migrated database with the demo's townships and teams and nothing else."""
    with scratch_database(import_files, "import_base") as db:
        ok(yimi(db, "migrate"))
        ok(yimi(db, "import", "townships", import_files / "townships.geojson", "--quiet"))
        ok(yimi(db, "import", "teams", import_files / "teams.xlsx", "--quiet"))
        yield db


@pytest.fixture
def db(base_db, tmp_path) -> str:
    """A fresh copy of the base database for one test (no process has the base open)."""
    if not ON_POSTGRES:
        copy = tmp_path / "yimi.sqlite3"
        shutil.copy(base_db.removeprefix("sqlite://"), copy)
        yield f"sqlite://{copy}"
        return
    url = run_sync(create_database("import", template=database_name(base_db)))
    yield url
    run_sync(drop_database(url))
