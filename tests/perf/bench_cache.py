"""The fixed cost of a request, and what the response cache saves: `make bench` prints the numbers.

In-process (httpx ASGI transport: the whole app, middleware, limits and budget, no network), on the
demo county, signed in as a dispatcher, per request (median and p95 ms, SQL statements):
- uncached: the response cache turned off (YIMI_RESPONSE_CACHE_ENTRIES=0): parse and validation are
  still cached (yimi.graphql.documents), every resolver runs;
- cold: the cache on, a write before each request (the data version moves): a miss, as after any write;
- warm: the same request again: an answer from the cache (the data version read, the budget charged).

`python tests/perf/bench_cache.py [DATABASE_URL]` measures an existing, migrated database with the
demo loaded (PostgreSQL, for example) instead of a new SQLite one.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from tortoise import connections

from yimi import db
from yimi.app import create_app
from yimi.demo.loader import load_demo
from yimi.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.conftest import count_sql
from tests.issues.workflow_helpers import SIGN_IN

QUERIES = {
    "15 townships with counts": "{ townships(first: 100) { nodes { code name enterpriseCount openIssueCount } } }",
    "100 enterprises + township, commissioner, open": """{ enterprises(first: 100) { totalCount nodes { id name
        township { name } commissioner { name } openIssueCount } } }""",
    "one enterprise panel (node, 50 issues)": """query($id: ID!) { node(id: $id) { ... on Enterprise { name
        openIssueCount issues(first: 50) { totalCount nodes { number title status warningColor
        leadTeam { name } events { action createdAt } } } } } }""",
}
PASSWORD = "bench password 1"
ROUNDS = 100
COLD_ROUNDS = 30


async def _signed_in(app) -> httpx.AsyncClient:
    from yimi.accounts.models import Staff
    from yimi.accounts.service import set_password

    staff = next(s for s in await Staff.all().order_by("id") if "dispatcher" in s.roles and not s.township_scope)
    await set_password(staff, PASSWORD)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    response = await client.post(
        "/graphql",
        json={
            "query": SIGN_IN,
            "variables": {"u": staff.username, "p": PASSWORD},
        },
        headers={"X-Yimi-CSRF": "1"},
    )
    assert response.json()["data"]["signIn"]["staff"], response.text
    return client


async def _write() -> None:
    # Changes nothing an answer shows, but it is a write: the data version moves.
    await connections.get("default").execute_query("UPDATE department SET name = name WHERE id = 1")


async def _timed(client, body: dict, rounds: int, before=None) -> tuple[list[float], int]:
    times = []
    with count_sql() as statements:
        for _ in range(rounds):
            if before is not None:
                await before()
            start = time.perf_counter()
            response = await client.post("/graphql", json=body)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
    writes = rounds if before is not None else 0
    return sorted(times), round((len(statements) - writes) / rounds)


def _line(name: str, times: list[float], sql: int) -> None:
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{name:<66} {statistics.median(times):>9.2f} {p95:>8.2f} {sql:>4}")


async def main(database_url: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=database_url or f"sqlite://{tmp}/bench.sqlite3",
            frontend_dist=Path(tmp),
            rate_limit_points=10_000_000,
            max_query_cost=10_000_000,
        )
        if database_url is None:
            await db.migrate(settings)
            await db.init_db(settings)
            await load_demo(settings, progress=False)
        else:
            await db.init_db(settings)
        from yimi.enterprises.models import Enterprise

        enterprise = await Enterprise.all().order_by("id").first()
        assert enterprise is not None
        from yimi.common.ids import to_global_id

        variables = {"id": to_global_id("Enterprise", enterprise.id)}
        app = create_app(settings, manage_db=False)
        client = await _signed_in(app)
        cache = app.state.response_cache
        print(f"Per request, in-process, {database_url.split(':')[0] if database_url else 'sqlite'}, as a dispatcher")
        print(f"{'query':<66} {'median ms':>9} {'p95 ms':>8} {'SQL':>4}")
        for name, query in QUERIES.items():
            body = {"query": query, "variables": variables if "$id" in query else {}}
            entries = cache.max_entries
            cache.max_entries = 0
            await client.post("/graphql", json=body)
            _line(f"{name}, uncached", *await _timed(client, body, ROUNDS))
            cache.max_entries = entries
            _line(f"{name}, cold (after a write)", *await _timed(client, body, COLD_ROUNDS, before=_write))
            await client.post("/graphql", json=body)
            _line(f"{name}, warm (cached)", *await _timed(client, body, ROUNDS))
        await client.aclose()
        await db.close_db()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
