"""/metrics: what moved after a query, and who may read it."""

from ipaddress import ip_network

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.databases import ON_POSTGRES
from yimi.app import create_app


def client_from(app, host: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 4321)), base_url="http://t")


async def scrape(http) -> dict:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_counters_move_after_a_query(app):
    requests = ("yimi_graphql_requests_total", (("operation", "OpsProbe"), ("outcome", "ok")))
    latency = ("yimi_graphql_request_duration_seconds_count", (("operation", "OpsProbe"),))
    cost = ("yimi_graphql_query_cost_points_count", ())
    async with client_from(app, "127.0.0.1") as http:
        before = await scrape(http)
        response = await http.post("/graphql", json={"query": "query OpsProbe { townships(first: 3) { totalCount } }"})
        assert response.status_code == 200 and "errors" not in response.json()
        after = await scrape(http)
    assert after[requests] == before.get(requests, 0) + 1
    assert after[latency] == before.get(latency, 0) + 1
    assert after[cost] >= before.get(cost, 0) + 1
    # SQLite: one connection, open. PostgreSQL: a pool of at most 5 (Tortoise's default), some open.
    most = after[("yimi_db_connections", (("state", "max"),))]
    assert most == (5 if ON_POSTGRES else 1)
    assert 1 <= after[("yimi_db_connections", (("state", "open"),))] <= most
    assert ("yimi_live_subscribers", ()) in after


async def test_refusals_are_counted_by_caller_kind(settings, demo):
    app = create_app(settings.model_copy(update={"rate_limit_points": 2, "max_query_cost": 2}), manage_db=False)
    key = ("yimi_rate_limit_refusals_total", (("caller_kind", "public"),))
    outcome = ("yimi_graphql_requests_total", (("operation", "Spend"), ("outcome", "rate_limited")))
    async with client_from(app, "198.51.100.7") as caller, client_from(app, "::1") as local:
        before = await scrape(local)
        codes = []
        for _ in range(3):
            body = (await caller.post("/graphql", json={"query": "query Spend { townships { totalCount } }"})).json()
            codes.append(body.get("errors", [{}])[0].get("extensions", {}).get("code"))
        after = await scrape(local)
    assert codes == [None, None, "RATE_LIMITED"]
    assert after[key] == before.get(key, 0) + 1
    assert after[outcome] == before.get(outcome, 0) + 1


async def test_only_loopback_and_allowed_networks_may_read(settings, demo):
    plain = create_app(settings, manage_db=False)
    opened = create_app(
        settings.model_copy(update={"metrics_allowed_networks": [ip_network("203.0.113.0/24")]}), manage_db=False
    )
    for app, host, allowed in (
        (plain, "203.0.113.9", False),
        (plain, "10.1.2.3", False),
        (plain, "127.0.0.1", True),
        (plain, "::ffff:127.0.0.1", True),
        (opened, "203.0.113.9", True),
        (opened, "203.0.114.9", False),
    ):
        async with client_from(app, host) as http:
            # A forwarded-for header is no key: the address is the one the server settled on.
            response = await http.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
        assert (response.status_code == 200) == allowed, (host, response.status_code)
        assert ("yimi_graphql_requests_total" in response.text) == allowed
