"""Several server processes on one PostgreSQL database and one Redis share what they must.

Two real servers on a throwaway PostgreSQL database: A is `yimi serve --workers 2`, B `yimi serve`.
A live update made through one reaches subscribers of the other; a partner's budget and failed
sign-ins counted by one are counted by the other; A's /metrics sums what both its workers answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack

import httpx
import pytest

from tests.databases import postgres_database
from tests.live.conftest import SubscriptionClient, eventually, redis_url  # noqa: F401 (a fixture)
from tests.servers import ROOT, LiveServer, yimi_serve
from yimi.app import SESSION_COOKIE
from yimi.common.ids import to_global_id
from yimi.live.broker import RedisBroker

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.postgres_only("several workers share PostgreSQL in production; test_sqlite_workers.py has SQLite's"),
]

PASSWORD = "several workers test password"
POINTS = 100  # each caller's budget: small, so that a partner spends it in a few requests
MAX_FAILED_SIGN_INS = 3
CSRF = {"X-Yimi-CSRF": "1"}

SIGN_IN = "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } userErrors { code message } } }"
REPORT = """
mutation($enterpriseId: ID!, $title: String!) {
  reportIssue(input: {enterpriseId: $enterpriseId, category: LABOUR, title: $title, source: HOTLINE}) {
    issue { id } userErrors { field code message }
  }
}
"""
CHANGES = "subscription($filter: IssueFilter) { issueChanged(filter: $filter) { action issue { id title } } }"
SPEND = "query Spend { enterprises(first: 100) { nodes { issues(first: 10) { totalCount } } } rateLimit { cost remaining } }"
FIGURES = "query Figures { mapLayer townships(first: 10) { nodes { openIssueCount } } issues(first: 1) { totalCount } }"


class Deployment:
    def __init__(self, a: LiveServer, b: LiveServer, redis: str, seed: dict):
        self.a, self.b, self.redis_url, self.seed = a, b, redis, seed

    @staticmethod
    def ws(server: LiveServer) -> str:
        return server.url.replace("http://", "ws://") + "/graphql"


@pytest.fixture(scope="module")
async def deployment(database_backend, tmp_path_factory, redis_url):  # noqa: F811
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<!doctype html><title>test</title>", encoding="utf-8")
    async with postgres_database("workers") as database_url:
        seeded = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "tests.ops.seed", PASSWORD],
            env=os.environ | {"YIMI_DATABASE_URL": database_url},
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        env = {
            "YIMI_REDIS_URL": redis_url,  # a channel prefix of this run's own
            "YIMI_RATE_LIMIT_KEY_PREFIX": f"yimi-test-{uuid.uuid4().hex[:8]}",
            "YIMI_RATE_LIMIT_POINTS": str(POINTS),
            "YIMI_MAX_QUERY_COST": str(POINTS),
            "YIMI_SIGN_IN_MAX_FAILURES_PER_USERNAME": str(MAX_FAILED_SIGN_INS),
        }
        # The workers' metrics in a directory of the test's (a killed server cannot remove its own).
        metrics = str(tmp_path_factory.mktemp("metrics"))
        starting = [
            yimi_serve(database_url, dist, args=["--workers", "2"], PROMETHEUS_MULTIPROC_DIR=metrics, **env),
            yimi_serve(database_url, dist, **env),
        ]
        with ExitStack() as servers:
            # Both start at once (each waits until it answers): half the wait.
            started = await asyncio.gather(*(asyncio.to_thread(s.__enter__) for s in starting), return_exceptions=True)
            for server, outcome in zip(starting, started, strict=True):
                if not isinstance(outcome, BaseException):
                    servers.push(server.__exit__)
            for outcome in started:
                if isinstance(outcome, BaseException):
                    raise outcome
            a, b = started
            yield Deployment(a, b, redis_url, json.loads(seeded.stdout))


def client(server: LiveServer, **headers: str) -> httpx.AsyncClient:
    # A new connection for each request, so that the requests to A spread over its two workers.
    return httpx.AsyncClient(
        base_url=server.url,
        timeout=10,
        trust_env=False,
        headers={**CSRF, "Connection": "close", **headers},
        limits=httpx.Limits(max_keepalive_connections=0),
    )


async def post(server: LiveServer, query: str, variables: dict | None = None, **headers: str) -> dict:
    async with client(server, **headers) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()


async def dispatcher(deployment: Deployment) -> dict[str, str]:
    """The dispatcher signed in (on A): the cookie header, good on B too (one secret key)."""
    async with client(deployment.a) as http:
        signed_in = await http.post(
            "/graphql", json={"query": SIGN_IN, "variables": {"u": deployment.seed["dispatcher"], "p": PASSWORD}}
        )
        assert signed_in.json()["data"]["signIn"]["staff"], signed_in.text
        return {"Cookie": f"{SESSION_COOKIE}={http.cookies[SESSION_COOKIE]}"}


async def report(deployment: Deployment, through: LiveServer, cookie: dict[str, str], title: str) -> dict:
    enterprise = to_global_id("Enterprise", deployment.seed["enterprise"])
    body = await post(through, REPORT, {"enterpriseId": enterprise, "title": title}, **cookie)
    assert body["data"]["reportIssue"]["issue"], body
    return body["data"]["reportIssue"]["issue"]


async def test_a_change_made_through_one_server_reaches_the_subscribers_of_the_other(deployment):
    a, b = deployment.a, deployment.b
    cookie = await dispatcher(deployment)
    enterprise = to_global_id("Enterprise", deployment.seed["enterprise"])
    listeners = RedisBroker(deployment.redis_url)
    try:
        async with (
            SubscriptionClient.connect(deployment.ws(a), headers=cookie) as on_a,
            SubscriptionClient.connect(deployment.ws(b), headers=cookie) as on_b,
        ):
            filter_ = {"filter": {"enterprise": enterprise}}
            op_a, op_b = await on_a.subscribe(CHANGES, filter_), await on_b.subscribe(CHANGES, filter_)

            async def both_listening() -> bool:
                return await listeners.subscriber_count("issues") == 2

            await eventually(both_listening, "a subscriber on each server", timeout=10)
            for through in (a, b):
                title = f"跨进程 {through.port} {time.time_ns()}"
                issue = await report(deployment, through, cookie, title)
                got_a, got_b = await asyncio.gather(on_a.next(op_a, 10), on_b.next(op_b, 10))
                for got in (got_a, got_b):
                    assert got["issueChanged"]["action"] == "report"
                    assert got["issueChanged"]["issue"] == issue | {"title": title}
    finally:
        await listeners.close()


async def test_answers_read_on_one_server_follow_writes_made_through_the_other(deployment):
    """Whatever a server caches (answers, figures, the map) must not outlive a write made elsewhere."""
    cookie = await dispatcher(deployment)

    async def figures(server: LiveServer) -> tuple[int, int, int]:
        data = (await post(server, FIGURES, **cookie))["data"]
        points = data["mapLayer"]["features"]
        return (
            data["issues"]["totalCount"],
            sum(t["openIssueCount"] for t in data["townships"]["nodes"]),
            sum(p["properties"]["openIssueCount"] or 0 for p in points),
        )

    for through, read_on in ((deployment.a, deployment.b), (deployment.b, deployment.a)):
        before = [await figures(read_on) for _ in range(2)]  # read twice: any cache is warm
        assert before[0] == before[1]
        await report(deployment, through, cookie, f"缓存 {time.time_ns()}")
        # Each count one higher, on every answer of the other server (A: on either of its workers).
        for _ in range(2):
            assert await figures(read_on) == tuple(n + 1 for n in before[0])


async def test_a_partner_budget_spent_on_one_server_is_spent_on_the_other(deployment):
    token = {"Authorization": f"Bearer {deployment.seed['token']}"}
    first = await post(deployment.a, SPEND, **token)
    cost = first["data"]["rateLimit"]["cost"]
    assert cost >= 1 and first["data"]["rateLimit"]["remaining"] == POINTS - cost, first
    remaining = POINTS - cost
    servers = [deployment.b, deployment.a]
    turn = 0
    while remaining >= cost:  # alternately on B and A (one of A's two workers, whichever answers)
        body = await post(servers[turn % 2], SPEND, **token)
        remaining -= cost
        assert "errors" not in body, body
        assert body["data"]["rateLimit"]["remaining"] == remaining, (turn, body)
        turn += 1
    for server in (deployment.a, deployment.b):  # spent: refused by every process
        refused = await post(server, SPEND, **token)
        assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED", refused
        assert refused["errors"][0]["extensions"]["remaining"] == remaining


async def test_failed_sign_ins_on_one_server_count_on_the_other(deployment):
    attempt = {"u": f"nobody-{uuid.uuid4().hex[:6]}", "p": "not the password at all"}
    for i in range(MAX_FAILED_SIGN_INS):
        body = await post((deployment.a, deployment.b)[i % 2], SIGN_IN, attempt)
        assert body["data"]["signIn"]["userErrors"][0]["code"] == "UNAUTHENTICATED", body
    for server in (deployment.a, deployment.b):
        body = await post(server, SIGN_IN, attempt)
        assert body["data"]["signIn"]["userErrors"][0]["code"] == "THROTTLED", body


async def test_metrics_sum_what_every_worker_answered(deployment):
    probes = 12
    for _ in range(probes):
        assert (await post(deployment.a, "query WorkersProbe { __typename }"))["data"] == {"__typename": "Query"}
    async with client(deployment.a) as http:
        text = (await http.get("/metrics")).text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("yimi_graphql_requests_total{") and 'operation="WorkersProbe"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) == probes, line
