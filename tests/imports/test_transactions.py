"""All or nothing: a failure injected in the middle of a file leaves nothing behind (on the run's
database: SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import query
from tests.imports.fixtures import HEADER, register_rows, write_csv

SCRIPT = Path(__file__).with_name("import_check.py")


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


@pytest.mark.timeout(180)
def test_a_failure_mid_file_leaves_nothing(import_files, base_db, scratch_database_url, tmp_path):
    expect(run(scratch_database_url, import_files / "townships.geojson", register(base_db, tmp_path)))
