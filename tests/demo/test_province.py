"""`yimi demo --scale province` at a small size, on SQLite and PostgreSQL (a fresh database each).

Each database is loaded by its own process (tests/demo/province_answers.py), generating everything
itself: the same seed must give the same rows in both, whether the issues were made by worker
processes (PostgreSQL run) or in the loading process (SQLite run).
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.databases import postgres_database
from yimi.demo.generator import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
OPEN = ("reported", "dispatched", "in_progress", "returned", "reopened")


async def _answers(database_url: str, workers: int) -> dict:
    env = {**os.environ, "YIMI_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.demo.province_answers",
        str(workers),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=600)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()[-3000:]
    return json.loads(out)


@pytest.fixture(scope="module")
async def answers(tmp_path_factory):
    """{"sqlite": ..., "postgres": ...}: both loads run side by side."""
    async with postgres_database("province") as pg_url:
        path = tmp_path_factory.mktemp("province") / "province.sqlite3"
        on_sqlite, on_postgres = await asyncio.gather(_answers(f"sqlite://{path}", 0), _answers(pg_url, 2))
        yield {"sqlite": on_sqlite, "postgres": on_postgres}


BACKENDS = ("sqlite", "postgres")


@pytest.mark.parametrize("backend", BACKENDS)
def test_loads_the_sizes_asked_for(answers, backend):
    a = answers[backend]
    counts = a["counts"]
    assert a["summary"] == {"loaded": True, "counts": counts}
    assert counts["townships"] == 2586
    assert counts["teams"] == 300
    assert counts["enterprises"] == 1_200
    assert counts["issues"] == 3_000
    assert counts["dispatch_orders"] > counts["issues"]  # co-handlers and re-dispatches
    assert counts["issue_events"] > 4 * counts["issues"]
    assert 2_000 <= counts["visits"] <= 2_800  # about two per enterprise
    assert set(a["sql"]["by_status"]) == set(OPEN) | {"resolved", "closed"}
    assert sum(a["sql"]["by_status"][s] for s in OPEN) > 0.01 * counts["issues"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_township_of_henan_is_there(answers, backend):
    with open(DATA_DIR / "henan_townships.csv", encoding="utf-8", newline="") as f:
        codes = sorted(r["code"] for r in csv.DictReader(f))
    assert len(codes) == 2586
    assert answers[backend]["township_codes"] == codes
    # Enterprises and seats lie inside their township's outline (mapLayer and the map agree).
    assert answers[backend]["geometry"] == {"enterprises_outside": [], "seats_outside": []}


def test_the_same_seed_gives_the_same_rows(answers):
    assert answers["sqlite"]["digests"] == answers["postgres"]["digests"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_graphql_answers_as_sql_counts(answers, backend):
    a = answers[backend]
    sql, graphql = a["sql"], a["graphql"]
    assert graphql["township_total"] == 2586
    assert graphql["per_township"] == sql["per_township"]
    assert graphql["by_status"] == {s: sql["by_status"].get(s, 0) for s in graphql["by_status"]}
    assert graphql["overdue"] == sum(late for _, _, late in sql["per_township"].values())
    assert graphql["overdue"] > 0
    assert [y for y, n in sql["issues_per_year"].items() if n] == [str(y) for y in range(2020, 2027)]
    assert graphql["map_points"] == a["counts"]["enterprises"]
    # The demo numbers by county: the app's own numbering goes on undisturbed.
    assert graphql["reported"]["userErrors"] == []
    assert graphql["reported"]["issue"]["number"].endswith(f"-{date.today().year}-00001")


@pytest.mark.parametrize("backend", BACKENDS)
def test_refuses_other_data_and_leaves_nothing_half_loaded(answers, backend):
    a = answers[backend]
    r = a["refusals"]
    assert "already holds data (departments: 1)" in r["refused"]
    assert "--reset" in r["refused"]
    assert r["failed"] == "disk full (simulated)"
    for counts in (r["after_refusal"], r["after_failure"]):
        assert counts == dict.fromkeys(counts, 0) | {"departments": counts["departments"]}
    assert r["after_failure"]["departments"] == 0
    assert r["triggers_after_failure"] == a["triggers_after"]  # set aside and rolled back with the rest
    assert a["version_after"] > r["version_before"]  # caches keyed on the data version see the load
    assert a["again_loaded"] is False  # a second run changes nothing
