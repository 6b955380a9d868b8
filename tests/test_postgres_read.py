"""The PostgreSQL path: the same migrations, demo and read queries give the same answers as SQLite."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def answers(database_url: str) -> list:
    env = {**os.environ, "YIMI_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "tests.pg_answers"], capture_output=True, text=True, env=env, timeout=240, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.postgres_only("compares PostgreSQL's answers with SQLite's, so it runs once: in the PostgreSQL pass")
def test_postgres_answers_like_sqlite(scratch_database_url, tmp_path):
    on_sqlite = answers(f"sqlite://{tmp_path / 'same.sqlite3'}")
    on_postgres = answers(scratch_database_url)
    for sqlite_answer, pg_answer in zip(on_sqlite, on_postgres, strict=True):
        assert "errors" not in pg_answer, pg_answer
        assert pg_answer == sqlite_answer
    assert on_postgres[0]["data"]["townships"]["totalCount"] == 15
