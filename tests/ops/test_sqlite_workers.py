"""SQLite shared by several processes (server workers, the CLI): a write waits for another process's
write lock instead of failing at once, and one that waits too long gets "try again" (HTTP 503), not
an unexpected error."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.servers import ROOT, LiveServer, yimi_serve
from yimi.common.ids import to_global_id

pytestmark = pytest.mark.timeout(90)

PASSWORD = "sqlite workers test password"
HOLD_SECONDS = 2.0
SIGN_IN = "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } userErrors { message } } }"
REPORT = """
mutation($enterpriseId: ID!, $title: String!) {
  reportIssue(input: {enterpriseId: $enterpriseId, category: LABOUR, title: $title, source: HOTLINE}) {
    issue { title } userErrors { field code message }
  }
}
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    base = tmp_path_factory.mktemp("sqlite-workers")
    (base / "dist").mkdir()
    (base / "dist" / "index.html").write_text("<!doctype html><title>test</title>", encoding="utf-8")
    path = base / "yimi.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "tests.ops.seed", PASSWORD],
        env=os.environ | {"YIMI_DATABASE_URL": f"sqlite://{path}"},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return path, base / "dist", json.loads(done.stdout)


@asynccontextmanager
async def write_lock_held(path, seconds: float):
    """Another process's write transaction on ``path`` (as `yimi import` or another worker holds it)."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            taken.set()
            time.sleep(seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    holder = asyncio.create_task(asyncio.to_thread(hold))
    await asyncio.to_thread(taken.wait, 5)
    try:
        yield
    finally:
        await holder


async def report(server: LiveServer, seed: dict, title: str) -> httpx.Response:
    async with httpx.AsyncClient(
        base_url=server.url, timeout=15, trust_env=False, headers={"X-Yimi-CSRF": "1"}
    ) as http:
        signed_in = await http.post(
            "/graphql", json={"query": SIGN_IN, "variables": {"u": seed["dispatcher"], "p": PASSWORD}}
        )
        assert signed_in.json()["data"]["signIn"]["staff"], signed_in.text
        variables = {"enterpriseId": to_global_id("Enterprise", seed["enterprise"]), "title": title}
        return await http.post("/graphql", json={"query": REPORT, "variables": variables})


async def test_a_write_waits_for_another_processs_write_lock(seeded):
    path, dist, seed = seeded
    with yimi_serve(f"sqlite://{path}", dist) as server:
        async with write_lock_held(path, HOLD_SECONDS):
            started = time.monotonic()
            response = await report(server, seed, "等写锁")
            waited = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json()["data"]["reportIssue"]["issue"] == {"title": "等写锁"}, response.text
    assert waited >= HOLD_SECONDS - 0.5  # it waited for the lock rather than failing


async def test_a_write_that_waits_too_long_is_told_to_try_again(seeded):
    path, dist, seed = seeded
    with yimi_serve(f"sqlite://{path}?busy_timeout=300", dist) as server:
        async with write_lock_held(path, HOLD_SECONDS):
            refused = await report(server, seed, "等不到写锁")
        assert refused.status_code == 503 and refused.headers["Retry-After"], refused.text
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
        assert error["message"] == "The database is unavailable; try again shortly."
        retried = await report(server, seed, "再试一次")
        assert retried.json()["data"]["reportIssue"]["issue"] == {"title": "再试一次"}, retried.text
    with sqlite3.connect(path) as conn:  # nothing half-written by the refused one
        assert conn.execute("SELECT count(*) FROM issue WHERE title = '等不到写锁'").fetchone() == (0,)
