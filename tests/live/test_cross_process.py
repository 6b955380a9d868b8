"""Two server processes sharing one database and one Redis deliver the same events.

Each test module run gets its own database on the run's backend (migrated, demo loaded), its own
Redis channel prefix, and two `uvicorn yimi.app:create_app` processes on free ports, always stopped at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis

from tests.databases import query, scratch_database
from tests.live.conftest import SubscriptionClient, eventually
from tests.servers import free_port
from yimi.app import SESSION_COOKIE
from yimi.common.ids import to_global_id
from yimi.live.broker import RedisBroker

pytestmark = pytest.mark.timeout(120)

PASSWORD = "live-updates test password"
START_TIMEOUT = 20.0

CHANGES = """
subscription($filter: IssueFilter) {
  issueChanged(filter: $filter) {
    action version
    issue { id number title status category enterprise { id name } }
  }
}
"""

PICK_DISPATCHER = """
import asyncio, sys
from yimi import db
from yimi.accounts.models import Staff
from yimi.accounts.service import set_password

async def main():
    await db.init_db()
    try:
        staff = next(s for s in await Staff.filter(is_active=True).order_by("id") if "dispatcher" in s.roles)
        await set_password(staff, sys.argv[1])
        print(staff.username)
    finally:
        await db.close_db()

asyncio.run(main())
"""

SIGN_IN = "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } userErrors { message } } }"


def _run(args: list[str], env: dict, what: str) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)
    return done.stdout


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """Stops it as a process manager would (SIGTERM, then SIGKILL); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


@dataclass
class Cluster:
    env: dict
    database: str
    redis_url: str
    dispatcher: str
    servers: list[Server] = field(default_factory=list)

    def start(self, name: str, log_dir: Path) -> Server:
        port = free_port()
        log = log_dir / f"server-{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "yimi.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "info", "--no-access-log"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        server = Server(name, port, process, log)
        self.servers.append(server)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"server {name} exited with {process.returncode}:\n{server.output()}", pytrace=False)
            try:
                if httpx.get(f"{server.http}/healthz", timeout=1, trust_env=False).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server {name} did not answer within {START_TIMEOUT} s:\n{server.output()}", pytrace=False)
            time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(database_backend, tmp_path_factory, redis_url):
    base = tmp_path_factory.mktemp("cluster")
    with scratch_database(base, "cluster") as database:
        yield from _cluster(base, database, redis_url)


def _cluster(base: Path, database: str, redis_url: str):
    (base / "dist").mkdir()
    (base / "dist" / "index.html").write_text("<!doctype html><title>test</title>", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIMI_")}
    env.update(
        YIMI_DATABASE_URL=database,
        YIMI_REDIS_URL=redis_url,
        YIMI_FRONTEND_DIST=str(base / "dist"),
        # Budgets of this run's servers must not linger under the development prefix.
        YIMI_RATE_LIMIT_KEY_PREFIX=f"yimi-test-{uuid.uuid4().hex[:8]}",
        PYTHONUNBUFFERED="1",
    )
    _run([sys.executable, "-m", "yimi.cli", "migrate"], env, "yimi migrate")
    _run([sys.executable, "-m", "yimi.cli", "demo", "--quiet"], env, "yimi demo")
    dispatcher = _run([sys.executable, "-c", PICK_DISPATCHER, PASSWORD], env, "setting a password").strip()
    c = Cluster(env=env, database=database, redis_url=redis_url, dispatcher=dispatcher)
    try:
        c.start("A", base)
        c.start("B", base)
        yield c
    finally:
        for server in c.servers:
            server.stop()


async def sign_in(http: httpx.AsyncClient, username: str) -> dict:
    """Signs ``http`` in; gives the WebSocket headers that carry its session.

    Subscriptions need a caller who may read issues. Both servers share the secret key, so the
    session of one is good on the other, as behind a load balancer.
    """
    response = await http.post("/graphql", json={"query": SIGN_IN, "variables": {"u": username, "p": PASSWORD}})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["signIn"]["staff"], response.text
    return {"Cookie": f"{SESSION_COOKIE}={http.cookies[SESSION_COOKIE]}"}


async def dispatcher_session(cluster: Cluster) -> dict:
    """The cluster's dispatcher (reads every issue) signed in on server A: WebSocket headers."""
    async with httpx.AsyncClient(
        base_url=cluster.servers[0].http, timeout=10, trust_env=False, headers={"X-Yimi-CSRF": "1"}
    ) as http:
        return await sign_in(http, cluster.dispatcher)


@pytest.fixture
async def numsub(cluster):
    """Counts subscribers on the issues channel across both servers (Redis PUBSUB NUMSUB)."""
    broker = RedisBroker(cluster.redis_url)
    yield broker
    await broker.close()


async def wait_for_subscribers(broker: RedisBroker, count: int) -> None:
    async def ready() -> bool:
        return await broker.subscriber_count("issues") == count

    await eventually(ready, f"{count} subscriber(s) across the servers", timeout=10)


def _row(database: str, sql: str, *args):
    return query(database, sql, *args)[0]


async def test_an_event_published_to_redis_reaches_subscribers_on_both_servers(cluster, numsub):
    """Whoever publishes (here: a plain Redis client, as another process would), both deliver it."""
    a, b = cluster.servers
    issue_id, category = _row(
        cluster.database, "SELECT id, category FROM issue WHERE status = 'dispatched' ORDER BY id"
    )
    (other_id,) = _row(cluster.database, "SELECT id FROM issue WHERE category != ? ORDER BY id", category)
    # Changed behind the servers' backs: what they deliver must come from the database now.
    title = f"cross-process {time.time_ns()}"
    query(cluster.database, "UPDATE issue SET title = ? WHERE id = ?", title, issue_id)

    variables = {"filter": {"categories": [category.upper()]}}
    session = await dispatcher_session(cluster)
    async with (
        SubscriptionClient.connect(a.ws, headers=session) as on_a,
        SubscriptionClient.connect(b.ws, headers=session) as on_b,
    ):
        op_a = await on_a.subscribe(CHANGES, variables)
        op_b = await on_b.subscribe(CHANGES, variables)
        await wait_for_subscribers(numsub, 2)

        raw = redis.Redis.from_url(cluster.redis_url.split("?")[0])
        try:
            channel = numsub.redis_channel("issues")
            for message in [
                {"issueId": other_id, "action": "dispatch", "status": "dispatched", "version": 2},  # filtered out
                {"issueId": issue_id, "action": "accept", "status": "in_progress", "version": 9},
            ]:
                assert raw.publish(channel, json.dumps(message)) == 2  # one subscriber per server
        finally:
            raw.close()

        got_a, got_b = await asyncio.gather(on_a.next(op_a, 10), on_b.next(op_b, 10))
    assert got_a == got_b
    change = got_a["issueChanged"]
    assert change["action"] == "accept" and change["version"] == 9
    assert change["issue"]["title"] == title and change["issue"]["category"] == category.upper()
    await wait_for_subscribers(numsub, 0)


async def test_report_issue_on_one_server_reaches_subscribers_on_both(cluster, numsub):
    a, b = cluster.servers
    (enterprise_pk,) = _row(cluster.database, "SELECT id FROM enterprise ORDER BY id")
    async with httpx.AsyncClient(base_url=a.http, timeout=10, trust_env=False, headers={"X-Yimi-CSRF": "1"}) as http:

        async def gql(query: str, variables: dict) -> dict:
            response = await http.post("/graphql", json={"query": query, "variables": variables})
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        session = await sign_in(http, cluster.dispatcher)
        enterprise_id = to_global_id("Enterprise", enterprise_pk)
        assert (await gql("query($id: ID!) { node(id: $id) { id } }", {"id": enterprise_id}))["node"]

        variables = {"filter": {"enterprise": enterprise_id}}
        async with (
            SubscriptionClient.connect(a.ws, headers=session) as on_a,
            SubscriptionClient.connect(b.ws, headers=session) as on_b,
        ):
            op_a = await on_a.subscribe(CHANGES, variables)
            op_b = await on_b.subscribe(CHANGES, variables)
            await wait_for_subscribers(numsub, 2)

            title = f"跨进程测试 {time.time_ns()}"
            # The input inline, so that only the contract's field names matter, not its type name.
            reported = await gql(
                """mutation($enterpriseId: ID!, $title: String!) {
                     reportIssue(input: {enterpriseId: $enterpriseId, category: POWER, title: $title,
                                         description: "反复跳闸", source: HOTLINE, priority: URGENT}) {
                       issue { id number } userErrors { field code message }
                     }
                   }""",
                {"enterpriseId": enterprise_id, "title": title},
            )
            payload = reported["reportIssue"]
            assert not payload["userErrors"] and payload["issue"], payload

            got_a, got_b = await asyncio.gather(on_a.next(op_a, 10), on_b.next(op_b, 10))
    assert got_a == got_b
    change = got_a["issueChanged"]
    assert change["action"] == "report" and change["issue"]["status"] == "REPORTED"
    assert change["issue"]["id"] == payload["issue"]["id"] and change["issue"]["number"] == payload["issue"]["number"]
    assert change["issue"]["title"] == title and change["issue"]["enterprise"]["id"] == enterprise_id
    await wait_for_subscribers(numsub, 0)


async def test_servers_stop_cleanly_with_subscriptions_open(cluster, numsub):
    """SIGTERM with live subscriptions: the server closes them, releases Redis, exits 0."""
    session = await dispatcher_session(cluster)
    async with (
        SubscriptionClient.connect(cluster.servers[0].ws, headers=session) as on_a,
        SubscriptionClient.connect(cluster.servers[1].ws, headers=session) as on_b,
    ):
        await on_a.subscribe(CHANGES)
        await on_b.subscribe(CHANGES)
        await wait_for_subscribers(numsub, 2)
        codes = await asyncio.gather(*(asyncio.to_thread(s.stop) for s in cluster.servers))
    await wait_for_subscribers(numsub, 0)
    for server, code in zip(cluster.servers, codes, strict=False):
        output = server.output()
        # uvicorn shuts down gracefully, then re-raises the signal: -SIGTERM is the clean exit.
        assert code in (0, -signal.SIGTERM), f"server {server.name} exited with {code}:\n{output}"
        assert "Application shutdown complete." in output, output
        assert "Traceback" not in output and "ERROR" not in output, output
