"""API benchmarks on the demo county: `make bench` prints the numbers (no assertions on time).

Measures, in-process (httpx ASGI transport, no network), the median and p95 latency of:
- a 100-row enterprises page with township, commissioner, openIssueCount and 3 issues each;
- a 100-row issues page with enterprise, lead team and warning colour;
- townships with their figures; the whole mapLayer; the coverage matrix; the public statistics;
- the two issue-heavy pages again as a team member (row rules in SQL);
and the SQL statements each sends. Staff sessions, as the web app's.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from yimi import db
from yimi.app import create_app
from yimi.demo.loader import load_demo
from yimi.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.conftest import count_sql

QUERIES = {
    "enterprises page (100, nested)": """{ enterprises(first: 100) { totalCount nodes { name township { name }
        commissioner { name } openIssueCount issues(first: 3) { nodes { number leadTeam { name } } } } } }""",
    "issues page (100)": """{ issues(first: 100) { totalCount nodes { number title status warningColor deadline
        enterprise { name } leadTeam { name } } } }""",
    "townships with figures": """{ townships(first: 100) { nodes { name boundary enterpriseCount
        openIssueCount overdueIssueCount coveringTeams { name } } } }""",
    "mapLayer (all enterprises)": "{ mapLayer }",
    "coverage matrix": "{ coverage { township { name } gaps categories { covered teams { name } } } }",
    "public statistics (a year)": """{ statistics(year: 2024) { total { reported open resolved overdue onTimeRate }
        byTownship { label reported open resolved overdue } byCategory { label reported open } } }""",
}
# The issue queries again as a team member: their row rule (issues dispatched to their teams) in SQL.
AS_TEAM_MEMBER = ("enterprises page (100, nested)", "issues page (100)")
PASSWORD = "bench password 1"


async def _signed_in(app, role: str) -> httpx.AsyncClient:
    from yimi.accounts.models import Staff
    from yimi.accounts.service import set_password

    staff = next(s for s in await Staff.all().order_by("id") if role in s.roles)
    await set_password(staff, PASSWORD)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } } }",
            "variables": {"u": staff.username, "p": PASSWORD},
        },
        headers={"X-Yimi-CSRF": "1"},
    )
    assert response.json()["data"]["signIn"]["staff"], response.text
    return client


async def _measure(client: httpx.AsyncClient, name: str, query: str, rounds: int) -> None:
    with count_sql() as statements:
        response = await client.post("/graphql", json={"query": query})
    assert "errors" not in response.json(), response.text
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await client.post("/graphql", json={"query": query})
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{name:<40} {statistics.median(times):>10.1f} {p95:>8.1f} {len(statements):>4} "
        f"{len(response.content) / 1024:>7.1f}"
    )


async def main(rounds: int = 30) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite://{tmp}/bench.sqlite3", frontend_dist=Path(tmp), rate_limit_points=1_000_000
        )
        await db.migrate(settings)
        await db.init_db(settings)
        await load_demo(settings, progress=False)
        app = create_app(settings, manage_db=False)
        admin, member = await _signed_in(app, "admin"), await _signed_in(app, "team_member")
        print(f"{'query (as admin unless said)':<40} {'median ms':>10} {'p95 ms':>8} {'SQL':>4} {'KB':>7}")
        for name, query in QUERIES.items():
            await _measure(admin, name, query, rounds)
        for name in AS_TEAM_MEMBER:
            await _measure(member, f"{name}, team member", QUERIES[name], rounds)
        await admin.aclose()
        await member.aclose()
        await db.close_db()


if __name__ == "__main__":
    asyncio.run(main())
