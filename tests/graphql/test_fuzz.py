"""Schemathesis fuzzes /graphql from schema.graphql: no 500, no internal detail in errors.

The fuzzing runs mutations, so it gets its own database and therefore its own process (the ORM
is global and the session's demo database is shared by every test): see fuzz_run.py. Checks
(and, once the role/field policy exists, leak checks) live in ``fuzz_run.CHECKS``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 30  # per root field and caller: 26 fields, ~680 distinct documents, ~25 s in all
CALLERS = {"anonymous", "dispatcher", "partner"}


@pytest.mark.timeout(300)
def test_schemathesis_fuzzing_finds_no_server_errors():
    # As a module from the repository root: run as a path, tests/graphql would shadow `graphql`.
    run = subprocess.run(
        [sys.executable, "-m", "tests.graphql.fuzz_run", "--examples", str(EXAMPLES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    out = run.stdout
    summary_lines = [line for line in out.splitlines() if line.startswith("FUZZ SUMMARY ")]
    assert summary_lines, f"fuzz_run did not finish (exit {run.returncode}):\n{out[-5000:]}\n{run.stderr[-5000:]}"
    summary = json.loads(summary_lines[-1].removeprefix("FUZZ SUMMARY "))
    failures = out[: out.rfind("FUZZ SUMMARY ")]  # FAIL lines, each with its (multi-line) query
    assert run.returncode == 0 and summary["failures"] == 0, f"fuzzing found {summary['failures']} problems:\n{failures[:20000]}"
    # It really fuzzed: every root field, as every caller.
    assert summary["operations"] >= 26, summary
    assert set(summary["requests"]) == CALLERS, summary
    assert all(n >= summary["operations"] * 5 for n in summary["requests"].values()), summary
