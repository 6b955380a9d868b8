"""PostgreSQL stops accepting connections under a running `yimi serve`, then comes back.

Callers, anonymous and signed in, get HTTP 503 with a JSON GraphQL error (code
SERVICE_UNAVAILABLE, an error id, Retry-After), each logged in one line without a traceback; once the
database is back the same server (and the same session) answers again.
"""

import asyncio
import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.databases import admin_connection, database_name
from tests.servers import free_port

pytestmark = pytest.mark.postgres_only("takes the database away (ALLOW_CONNECTIONS false): a SQLite file has no server")

PASSWORD = "correct horse battery"
CSRF = {"X-Yimi-CSRF": "1"}


def yimi(*args, env):
    result = subprocess.run(
        [sys.executable, "-m", "yimi.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture
async def pg_admin(scratch_database_url):
    """A connection that may take the test's database away: (connection, database name)."""
    admin = await admin_connection()
    try:
        yield admin, database_name(scratch_database_url)
    finally:
        await admin.close()


@pytest.fixture
def server(pg_admin, scratch_database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "YIMI_DATABASE_URL": scratch_database_url, "YIMI_LOG_FORMAT": "json"}
    yimi("migrate", env=env)
    yimi(
        "user",
        "create",
        "opsadmin",
        "--name",
        "运维",
        "--department",
        "县数据局",
        "--role",
        "admin",
        "--password",
        PASSWORD,
        env=env,
    )
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "yimi.cli", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(log_path.read_text())
        yield base, log_path
    finally:
        process.terminate()
        process.wait(timeout=10)


async def set_reachable(admin, name: str, reachable: bool) -> None:
    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(reachable).lower()}')
    if not reachable:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)


def log_entries(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


async def sign_in(client: httpx.AsyncClient) -> None:
    """Signs opsadmin in: the client then holds its session cookie."""
    signed = await client.post(
        "/graphql",
        json={
            "query": f'mutation {{ signIn(input: {{username: "opsadmin", password: "{PASSWORD}"}}) {{ staff {{ id }} }} }}'
        },
        headers=CSRF,
    )
    assert signed.json()["data"]["signIn"]["staff"], signed.text


async def test_database_outage_answers_503_then_recovers(pg_admin, server):
    admin, name = pg_admin
    base, log_path = server
    queries = {"anonymous": "query Towns { townships(first: 1) { totalCount } }", "staff": "query Me { me { name } }"}
    async with httpx.AsyncClient(base_url=base) as anonymous, httpx.AsyncClient(base_url=base) as staff:
        await sign_in(staff)
        callers = {"anonymous": anonymous, "staff": staff}
        assert (await anonymous.get("/readyz")).status_code == 200

        await set_reachable(admin, name, False)
        error_ids = {}
        for kind, http in callers.items():
            response = await http.post(
                "/graphql", json={"query": queries[kind]}, headers={"X-Request-Id": f"outage-{kind}"}
            )
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/json"
            assert int(response.headers["Retry-After"]) > 0
            assert response.headers["X-Request-Id"] == f"outage-{kind}"
            body = response.json()
            assert body["data"] is None and len(body["errors"]) == 1
            error = body["errors"][0]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "database" in error["message"] and "asyncpg" not in error["message"]
            error_ids[kind] = error["extensions"]["errorId"]
        not_ready = await anonymous.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["failed"] == ["database"]

        await set_reachable(admin, name, True)
        assert (await anonymous.post("/graphql", json={"query": queries["anonymous"]})).json() == {
            "data": {"townships": {"totalCount": 0}}
        }
        assert (await staff.post("/graphql", json={"query": queries["staff"]})).json() == {
            "data": {"me": {"name": "运维"}}
        }
        assert (await anonymous.get("/readyz")).status_code == 200

    text = log_path.read_text()
    assert "Traceback" not in text
    entries = log_entries(log_path)
    for kind, error_id in error_ids.items():
        # One error line says why (the request line below refers to it by the same id).
        errors = [e for e in entries if error_id in e["message"] and e["level"] == "ERROR"]
        assert len(errors) == 1 and errors[0]["logger"] == "yimi.errors", errors
        assert errors[0]["message"].startswith(f"Database unavailable [error id {error_id}]: ")
        (line,) = [e for e in entries if e.get("request_id") == f"outage-{kind}"]
        assert line["error_id"] == error_id and line["status"] == 503 and line["outcome"] == "unavailable"
        assert line["caller"] == ("staff" if kind == "staff" else "public")
        # The session lookup fails before GraphQL reads the body: the name comes from the body kept.
        assert line["operation"] == ("Towns" if kind == "anonymous" else "Me")
    # The metrics count the signed-in request under its operation, not as "anonymous".
    async with httpx.AsyncClient(base_url=base) as http:
        metrics_text = (await http.get("/metrics")).text
    assert 'yimi_graphql_requests_total{operation="Me",outcome="unavailable"} 1.0' in metrics_text


SUBSCRIBE = {"query": "subscription Live { issueChanged { action } }"}


async def ws_close_code(url: str, cookie: str, *, subscribe_after_outage=None) -> tuple[int, str]:
    """Opens a graphql-transport-ws socket with the session cookie; the close code and reason it ends with."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with connect(
        url, subprotocols=["graphql-transport-ws"], additional_headers={"Cookie": cookie}, proxy=None, close_timeout=2
    ) as ws:
        try:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
            if subscribe_after_outage is not None:
                await subscribe_after_outage()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": SUBSCRIBE}))
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "closed without a close frame"
            return closed.rcvd.code, closed.rcvd.reason
    raise AssertionError("not closed")


async def test_a_signed_in_websocket_during_an_outage_is_closed_with_a_reason(pg_admin, server):
    admin, name = pg_admin
    base, log_path = server
    url = base.replace("http://", "ws://") + "/graphql"
    async with httpx.AsyncClient(base_url=base) as staff:
        await sign_in(staff)
        cookie = f"yimi_session={staff.cookies['yimi_session']}"

    # Opened during the outage: the session cannot be read, so the socket is closed, saying why.
    await set_reachable(admin, name, False)
    try:
        code, reason = await ws_close_code(url, cookie)
        # Opened before the outage, subscribing during it: the caller's look-up fails the same way.
        await set_reachable(admin, name, True)
        code2, reason2 = await ws_close_code(
            url, cookie, subscribe_after_outage=lambda: set_reachable(admin, name, False)
        )
    finally:
        await set_reachable(admin, name, True)
    error_ids = []
    for got_code, got_reason in ((code, reason), (code2, reason2)):
        assert got_code == 1013 and got_reason.startswith("service unavailable [error id "), (got_code, got_reason)
        error_ids.append(got_reason.removeprefix("service unavailable [error id ").removesuffix("]"))

    await asyncio.sleep(0.3)  # the server's log lines are written by now
    text = log_path.read_text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text[-3000:]
    entries = log_entries(log_path)
    for error_id in error_ids:
        (line,) = [e for e in entries if error_id in e["message"]]
        assert line["level"] == "ERROR" and line["message"].startswith(f"Database unavailable [error id {error_id}]: ")
