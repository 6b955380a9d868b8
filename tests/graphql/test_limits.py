"""API limits: depth, aliases, tokens, batching, query cost, budgets (memory and Redis), error ids,
introspection. Apps with changed limit settings are fresh instances, so the session app keeps its own."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from graphql import parse
from tests.conftest import TEST_PASSWORD, count_sql
from yimi.app import create_app
from yimi.graphql.cost import query_cost
from yimi.graphql.list_bounds import STATISTICS, read_sizes
from yimi.graphql.schema import schema
from yimi.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"
PRODUCTION_KEY = "k3J9-qX2vB7mN4pL8rT1wY6zC5dF0gH-e8uA"


@pytest.fixture
def fresh(settings, demo):
    """``async with fresh(**settings) as post:`` — ``await post(query, variables)`` gives the httpx response."""

    @asynccontextmanager
    async def make(*, username: str | None = None, app=None, **changes):
        owned = app is None
        app = app or create_app(settings.model_copy(update=changes), manage_db=False)
        scheme = "https" if app.state.settings.env == "production" else "http"  # Secure cookies
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"{scheme}://testserver", headers={"X-Yimi-CSRF": "1"}
        ) as http:

            async def post(query: str, variables: dict | None = None, **kwargs) -> httpx.Response:
                return await http.post("/graphql", json={"query": query, "variables": variables or {}}, **kwargs)

            post.app = app
            if username:
                await _sign_in(post, username)
            try:
                yield post
            finally:
                if owned:
                    await app.state.budget.close()

    return make


async def _sign_in(post, username: str) -> None:
    from yimi.accounts.models import Staff
    from yimi.accounts.service import set_password

    staff = await Staff.get(username=username)
    if staff.password_hash is None:
        await set_password(staff, TEST_PASSWORD)
    body = (
        await post(
            "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } } }",
            {"u": username, "p": TEST_PASSWORD},
        )
    ).json()
    assert body["data"]["signIn"]["staff"], body


async def _a_username() -> str:
    from yimi.accounts.models import Staff

    return (await Staff.filter(is_active=True).order_by("id").first()).username


async def _a_reader() -> str:
    """A member of staff who reads every enterprise and issue (the queries below read both)."""
    from yimi.accounts.models import Staff

    staff = await Staff.filter(is_active=True).order_by("id")
    return next(s for s in staff if "admin" in s.roles and not s.township_scope).username


# Figures of a small county, for the lists bounded by the data (and the weights of large scalars).
SIZES = dict.fromkeys(STATISTICS, 10) | {"townships": 15, "enterprises": 600, "boundary_bytes": 1_000}


def cost_of(query: str, variables: dict | None = None, operation_name: str | None = None) -> int:
    return query_cost(schema._schema, parse(query), operation_name, variables, SIZES).points


def _error(response: httpx.Response) -> dict:
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert body.get("errors"), body
    return body["errors"][0]


def _nothing_ran(statements: list[str]) -> bool:
    """No resolver ran: at most the data version and the lookup of the signed-in caller (whose budget
    it is; yimi.app reads the version first and looks the caller up only when it moved)."""
    lookups = ("SELECT version FROM data_version WHERE id = 1", ' FROM "staff" WHERE "id"=? ')
    return len(statements) <= 2 and all(any(lookup in s for lookup in lookups) for s in statements)


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


# --- depth, aliases, tokens, batching ---------------------------------------------------------

DEPTH_3 = "{ enterprises(first: 1) { nodes { township { name } } } }"  # depth 3: nodes > township > name
DEPTH_4 = "{ enterprises(first: 1) { nodes { township { seat { lat } } } } }"


async def test_depth_limit(fresh):
    async with fresh(max_query_depth=3, username=await _a_reader()) as post:
        assert _ok(await post(DEPTH_3))["enterprises"]["nodes"][0]["township"]["name"]
        err = _error(await post(DEPTH_4))
        assert "exceeds maximum operation depth of 3" in err["message"]
        # Fragments count where they are spread.
        spread = "{ enterprises(first: 1) { nodes { ...T } } } fragment T on Enterprise { township { seat { lat } } }"
        err = _error(await post(spread))
        assert "maximum operation depth" in err["message"]


async def test_alias_limit(fresh):
    async with fresh(max_query_aliases=2) as post:
        assert _ok(await post("{ a: me { id } b: me { id } }")) == {"a": None, "b": None}
        err = _error(await post("{ a: me { id } b: me { id } c: me { id } }"))
        assert err["message"] == "3 aliases found. Allowed: 2"


async def test_token_limit(fresh):
    def query(tokens: int) -> str:  # 10 tokens around the repeated field
        return "{ townships(first: 1) { " + "totalCount " * (tokens - 10) + "} }"

    async with fresh(max_query_tokens=120) as post:
        assert _ok(await post(query(120)))["townships"]["totalCount"] > 0
        err = _error(await post(query(121)))
        assert "more than 120 tokens" in err["message"]


async def test_batching_is_refused(client):
    response = await client.post("/graphql", json=[{"query": "{ me { id } }"}, {"query": "{ me { id } }"}])
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


# --- query cost -------------------------------------------------------------------------------


def test_cost_of_nested_connections():
    assert cost_of("{ townships(first: 100) { nodes { name } } }") == 1  # 15 objects: no more townships than 15
    assert cost_of("{ townships { totalCount } }") == 1  # 20 by default
    assert cost_of("{ me { name } }") == 1  # no connection: the minimum
    # 100 enterprises + 100 × 100 issues = 10,100 objects → 101 points.
    assert cost_of("{ enterprises(first: 100) { nodes { issues(first: 100) { totalCount } } } }") == 101
    # Same connection through edges and nodes: both paths are resolved, both count.
    both = """{ enterprises(first: 10) {
        edges { node { issues(first: 10) { totalCount } } } nodes { issues(first: 10) { totalCount } } } }"""
    assert cost_of(both) == 3  # 10 + 100 + 100
    # Three levels: 100 + 100×100 + 100×100×10 = 110,100 → 1,101.
    deep = """{ issues(first: 100) { nodes { enterprise {
        issues(first: 100) { nodes { enterprise { issues(first: 10) { totalCount } } } } } } } }"""
    assert cost_of(deep) == 1101
    # Out-of-range `first` is clamped (the resolver refuses it by name); nodes(ids) counts its IDs.
    assert cost_of("{ townships(first: 100000) { totalCount } }") == 1
    ids = [f"id{i}" for i in range(150)]
    assert cost_of("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}) == 2
    assert cost_of('{ nodes(ids: ["a", "b"]) { ... on Enterprise { issues(first: 100) { totalCount } } } }') == 3


def test_cost_resolves_variables_and_fragments():
    query = """
        query List($n: Int = 50, $m: Int) { enterprises(first: $n) { nodes { ...WithIssues } } }
        fragment WithIssues on Enterprise { ... on Enterprise { issues(first: $m) { nodes { id } } } }
        query Other { me { id } }
    """
    assert cost_of(query, {"n": 100, "m": 10}, "List") == 11  # 100 + 1,000
    assert cost_of(query, {"m": 10}, "List") == 6  # default $n = 50: 50 + 500
    assert cost_of(query, {}, "List") == 11  # $m unset: 20 per page: 50 + 1,000
    assert cost_of(query, {}, "Other") == 1
    # A fragment spread twice counts twice.
    twice = """{ a: enterprises(first: 100) { ...C } b: enterprises(first: 100) { ...C } }
        fragment C on EnterpriseConnection { totalCount }"""
    assert cost_of(twice) == 2


def test_fixed_costs_and_free_rate_limit():
    # 5 fixed + 600 enterprises × 200 bytes of JSON text, one object per 1,000 bytes = 120 objects
    assert cost_of("{ mapLayer }") == 7
    assert cost_of("{ coverage { gaps } }") == 3  # 2 fixed + 15 townships
    # 7 fixed + ⌈(120 + 15 + 15) / 100⌉
    assert cost_of("{ mapLayer coverage { gaps } townships(first: 100) { totalCount } }") == 9
    assert cost_of("{ rateLimit { cost remaining } __typename }") == 0
    assert cost_of("{ rateLimit { cost } me { id } }") == 1


def test_large_scalars_count_by_their_size():
    # An outline of 1,000 bytes counts as 10 objects: 15 townships + 15 × 10.
    assert cost_of("{ townships(first: 100) { nodes { boundary } } }") == 2
    assert cost_of("{ townships(first: 100) { nodes { name } } }") == 1
    # Everywhere it is resolved: 15 townships, × 10 teams, × 10 townships, × 10 objects of outline.
    outlines = "{ coverage { teams { townships { boundary } } } }"
    assert cost_of(outlines) == 2 + math.ceil((15 + 150 + 1_500 + 15_000) / 100)
    assert cost_of("{ a: mapLayer b: mapLayer }") == 2 * 5 + math.ceil(2 * 120 / 100)
    # `seat` is a point (two numbers), weightless like any small object.
    assert cost_of("{ townships(first: 100) { nodes { seat { lon lat } } } }") == 1


FRONTEND = Path(__file__).parents[2] / "frontend/src"
FRONTEND_QUERIES = sorted((FRONTEND / "api").glob("*.ts")) + sorted((FRONTEND / "public").glob("*.ts"))


def web_app_documents() -> dict[str, str]:
    """The GraphQL documents of the web app, by constant name, each with the fragments it spreads (as codegen sends them)."""
    constants: dict[str, str] = {}
    fragments: dict[str, str] = {}
    for path in FRONTEND_QUERIES:
        if path.name.endswith(".test.ts"):
            continue
        source = path.read_text(encoding="utf-8")
        for name, text in re.findall(r"(?:export const (\w+) = )?graphql\(\s*`([^`]*)`", source):
            fragment = re.match(r"\s*fragment\s+(\w+)", text)
            if fragment:
                fragments[fragment.group(1)] = text
            elif name and text.lstrip().startswith(("query", "mutation")):
                constants[name] = text
    documents = {}
    for name, text in constants.items():
        parts, todo = [text], [text]
        while todo:
            for spread in re.findall(r"\.\.\.\s*(\w+)", todo.pop()):
                if spread in fragments and fragments[spread] not in parts:
                    parts.append(fragments[spread])
                    todo.append(fragments[spread])
        documents[name] = "\n".join(parts)
    return documents


async def test_the_web_apps_queries_stay_well_under_the_default_max_cost(demo):
    documents = web_app_documents()
    assert {"TOWNSHIPS", "COVERAGE", "MAP_LAYER", "ENTERPRISE_DETAIL", "TOWNSHIP_OUTLINES"} <= set(documents)
    sizes = await read_sizes()  # the demo county
    default = Settings.model_fields["max_query_cost"].default
    costs = {}
    for name, text in documents.items():
        document = parse(text)
        # fetchAll pages with `first: 100`, the most a page holds.
        costs[name] = query_cost(schema._schema, document, None, {"first": 100}, sizes).points
    heaviest = max(costs, key=costs.__getitem__)
    assert costs[heaviest] <= default // 5, costs


# 100 enterprises + 100 × $m issues: 11 points with $m = 10.
COST_11 = (
    "query($m: Int!) { enterprises(first: 100) { nodes { issues(first: $m) { totalCount } } } rateLimit { cost } }"
)


async def test_max_cost_per_request(fresh):
    async with fresh(max_query_cost=11, username=await _a_reader()) as post:
        data = _ok(await post(COST_11, {"m": 10}))
        assert data["rateLimit"]["cost"] == 11
        with count_sql() as statements:
            response = await post(COST_11, {"m": 11})  # 100 + 1,100 objects: 12 points
        err = _error(response)
        assert err["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 12, "maximum": 11}
        assert "Query cost 12 exceeds the maximum of 11 points per request" in err["message"]
        assert response.json()["data"] is None and _nothing_ran(statements)


# --- budgets ------------------------------------------------------------------------------------


def _headers(response: httpx.Response) -> tuple[int, int, int, int]:
    h = response.headers
    names = ("limit", "remaining", "cost", "reset")
    return tuple(int(h[f"x-ratelimit-{name}"]) for name in names)  # type: ignore[return-value]


async def test_budget_decreases_by_cost_and_refuses_when_spent(fresh, monkeypatch):
    # Signed in (the query reads enterprises and issues): signing in spends the IP address's
    # budget, so the staff budget below starts whole.
    async with fresh(rate_limit_points=23, max_query_cost=20, username=await _a_reader()) as post:
        query = COST_11.replace("rateLimit { cost }", "rateLimit { cost remaining limit resetAt }")
        response = await post(query, {"m": 10})
        rate = _ok(response)["rateLimit"]
        assert (rate["cost"], rate["remaining"], rate["limit"]) == (11, 12, 23)
        limit, remaining, cost, reset = _headers(response)
        assert (limit, remaining, cost) == (23, 12, 11)
        assert time.time() < reset <= time.time() + 3600 + 1
        assert rate["resetAt"].startswith(time.strftime("%Y-%m-%dT", time.gmtime(reset)))

        # Reading rateLimit alone costs nothing.
        free = await post("{ rateLimit { cost remaining } }")
        assert _ok(free)["rateLimit"] == {"cost": 0, "remaining": 12}
        assert _headers(free)[1:3] == (12, 0)

        # Just over: 13 points with 12 left is refused and spends nothing. Just under: 12 is served.
        err = _error(await post(query, {"m": 12}))  # 100 + 1,200 objects
        assert err["extensions"]["code"] == "RATE_LIMITED"
        assert (err["extensions"]["cost"], err["extensions"]["remaining"]) == (13, 12)
        rate = _ok(await post(query, {"m": 11}))["rateLimit"]
        assert (rate["cost"], rate["remaining"]) == (12, 0)

        with count_sql() as statements:
            response = await post("{ townships(first: 1) { totalCount } }")
        err = _error(response)
        assert err["extensions"]["code"] == "RATE_LIMITED"
        assert err["extensions"]["limit"] == 23 and err["extensions"]["remaining"] == 0
        reset_at = err["extensions"]["resetAt"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", reset_at) and reset_at in err["message"]
        assert "Rate limit exceeded" in err["message"]
        assert response.json()["data"] is None and _nothing_ran(statements)
        assert 0 < int(response.headers["retry-after"]) <= 3600
        assert _headers(response)[1] == 0

        # The window passes (the clock moves on instead of the test sleeping): the budget is whole again.
        import limits.aio.storage.memory as memory

        real_time = time.time

        class Later:
            @staticmethod
            def time() -> float:
                return real_time() + 3601

        monkeypatch.setattr(memory, "time", Later)
        rate = _ok(await post("{ townships(first: 1) { totalCount } rateLimit { cost remaining } }"))["rateLimit"]
        assert rate == {"cost": 1, "remaining": 22}


async def test_each_caller_has_its_own_budget(fresh):
    username = await _a_username()
    async with fresh(rate_limit_points=6, max_query_cost=5) as anonymous:
        # Signing in is an anonymous request: it spends 1 point of the IP address's budget.
        async with fresh(app=anonymous.app, username=username) as staff:
            # 2 + 2 + 1 points of what the public may read spend the 5 points left.
            spend_5 = "{ coverage { gaps } again: coverage { gaps } townships(first: 1) { totalCount } rateLimit { remaining } }"
            assert cost_of(spend_5) == 5
            assert _ok(await anonymous(spend_5))["rateLimit"]["remaining"] == 0
            assert _error(await anonymous("{ me { id } }"))["extensions"]["code"] == "RATE_LIMITED"
            # The member of staff spends their own points, not the IP address's.
            assert _ok(await staff("{ me { id } rateLimit { remaining } }"))["rateLimit"]["remaining"] == 5


async def test_redis_budget_is_shared_by_two_apps(fresh):
    from yimi.accounts.models import Staff

    # Fails (does not skip) when Redis is down: the budget then goes unmetered and rateLimit is null.
    prefix = f"test-{uuid.uuid4().hex}"  # this run's keys only
    limits = {"redis_url": REDIS_URL, "rate_limit_key_prefix": prefix, "rate_limit_points": 12, "max_query_cost": 12}
    # The same member of staff signed in to each app (COST_11 reads enterprises and issues): one
    # budget, kept in Redis. Signing in spends the IP address's budget, not the staff one.
    username = await _a_reader()
    caller = f"staff:{(await Staff.get(username=username)).id}"
    async with fresh(**limits, username=username) as first, fresh(**limits, username=username) as second:
        assert first.app is not second.app
        rate = _ok(await first(COST_11, {"m": 10}))["rateLimit"]
        assert rate["cost"] == 11
        # Refused with 1 point left, and spends nothing: the other app can still spend that point.
        assert _error(await first(COST_11, {"m": 10}))["extensions"]["remaining"] == 1
        response = await second("{ me { id } rateLimit { cost remaining limit } }")
        assert _ok(response)["rateLimit"] == {"cost": 1, "remaining": 0, "limit": 12}
        assert _headers(response)[:3] == (12, 0, 1)
        err = _error(await first("{ me { id } }"))
        assert err["extensions"]["code"] == "RATE_LIMITED"
        await first.app.state.budget.reset(caller)
        assert _ok(await second("{ me { id } rateLimit { remaining } }"))["rateLimit"]["remaining"] == 11
        for key in (caller, "ip:127.0.0.1"):  # leave nothing behind in Redis
            await second.app.state.budget.reset(key)


# --- errors and introspection ---------------------------------------------------------------


async def test_masked_error_carries_an_id_that_is_logged(gql, monkeypatch, caplog):
    import yimi.teams.queries

    async def broken(townships):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(yimi.teams.queries, "coverage_matrix", broken)
    with caplog.at_level(logging.ERROR, logger="yimi.errors"):
        body = await gql.raw("{ coverage { gaps } }")
    error = body["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    error_id = error["extensions"]["errorId"]
    assert re.fullmatch(r"[0-9a-f]{8}", error_id)
    assert "hunter2" not in str(body) and "Traceback" not in str(body)
    records = [r for r in caplog.records if error_id in r.getMessage()]
    assert len(records) == 1 and records[0].exc_info and "hunter2" in caplog.text


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_and_suggestions_off_for_anonymous_in_production(fresh):
    username = await _a_username()
    async with fresh(env="production", secret_key=PRODUCTION_KEY) as anonymous:
        err = _error(await anonymous(INTROSPECTION))
        assert "introspection" in err["message"].lower()
        assert _error(await anonymous('{ __type(name: "Query") { name } }'))
        assert _ok(await anonymous("{ __typename }")) == {"__typename": "Query"}
        err = _error(await anonymous("{ townshipz(first: 1) { totalCount } }"))
        assert "townshipz" in err["message"] and "Did you mean" not in err["message"]
        err = _error(await anonymous("{ issues(filter: {statuses: [RESOLVEDD]}) { totalCount } }"))
        assert "Did you mean" not in err["message"]

        async with fresh(app=anonymous.app, username=username) as staff:
            assert _ok(await staff(INTROSPECTION))["__schema"]["queryType"]["name"] == "Query"
            assert "Did you mean" in _error(await staff("{ townshipz(first: 1) { totalCount } }"))["message"]


async def test_introspection_and_suggestions_on_in_development(gql):
    from graphql import get_introspection_query

    assert (await gql(INTROSPECTION))["__schema"]["queryType"]["name"] == "Query"
    # GraphiQL's full introspection query passes the default depth, alias and token limits.
    full = get_introspection_query(descriptions=True, specified_by_url=True, input_value_deprecation=True)
    assert len((await gql(full))["__schema"]["types"]) > 50
    assert "Did you mean" in (await gql.error("{ townshipz(first: 1) { totalCount } }"))["message"]


# --- settings -----------------------------------------------------------------------------------


def test_limit_settings_are_validated():
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    assert [defaults[n] for n in ("rate_limit_points", "rate_limit_window_seconds", "max_query_cost")] == [
        5000,
        3600,
        500,
    ]
    assert [defaults[n] for n in ("max_query_depth", "max_query_aliases", "max_query_tokens")] == [10, 30, 2000]
    with pytest.raises(ValueError, match="YIMI_MAX_QUERY_COST must not exceed YIMI_RATE_LIMIT_POINTS"):
        Settings(max_query_cost=100, rate_limit_points=50)
    bad_values = (
        {"max_query_depth": 0},
        {"rate_limit_points": 0},
        {"rate_limit_key_prefix": "a b"},
        {"max_query_tokens": 5},
    )
    for bad in bad_values:
        with pytest.raises(ValueError):
            Settings(**bad)


# --- over a WebSocket -------------------------------------------------------------------------


async def test_queries_over_graphql_transport_ws_are_metered(settings, demo):
    import asyncio
    import socket

    import uvicorn

    from tests.live.conftest import SubscriptionClient, eventually

    app = create_app(settings.model_copy(update={"rate_limit_points": 5, "max_query_cost": 3}), manage_db=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:

        async def started() -> bool:
            if task.done():
                task.result()
            return server.started

        await eventually(started, "uvicorn to start")
        async with SubscriptionClient.connect(f"ws://127.0.0.1:{sock.getsockname()[1]}/graphql") as client:
            results = []
            for _ in range(2):
                await client.subscribe("{ coverage { gaps } rateLimit { cost remaining } }")
                results.append(await client.receive())
                assert (await client.receive())["type"] == "complete"
        assert [r["type"] for r in results] == ["next", "next"]
        assert results[0]["payload"]["data"]["rateLimit"] == {"cost": 3, "remaining": 2}  # 2 fixed + 15 townships
        assert results[1]["payload"]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


async def test_list_sizes_are_read_again_after_writes_at_most_every_max_age(monkeypatch):
    """Reading them groups millions of rows at province scale: a burst of writes reads them once."""
    import yimi.graphql.list_bounds as list_bounds

    reads = []

    async def read() -> dict[str, int]:
        reads.append(1)
        return {"enterprises": len(reads)}

    monkeypatch.setattr(list_bounds, "read_sizes", read)
    sizes = list_bounds.ListSizes(max_age=0.2)
    assert (await sizes.current(1))["enterprises"] == 1
    for version in (1, 2, 3, 4):  # writes in a burst
        assert (await sizes.current(version))["enterprises"] == 1
    await asyncio.sleep(0.25)
    assert (await sizes.current(4))["enterprises"] == 2  # the version moved since the last reading
    await asyncio.sleep(0.25)
    assert (await sizes.current(4))["enterprises"] == 2  # it did not since: kept
