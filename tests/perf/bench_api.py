"""API benchmarks on the demo county: `make bench` prints the numbers (no assertions on time).

Measures, in-process (httpx ASGI transport, no network), the median and p95 latency of:
- a 100-row enterprises page with township, commissioner, openIssueCount and 3 issues each;
- a 100-row issues page with enterprise, lead team and warning colour;
- townships with their figures; the whole mapLayer; the coverage matrix;
and the SQL statements each sends.
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
from tests.conftest import count_sql  # noqa: E402

QUERIES = {
    "enterprises page (100, nested)": """{ enterprises(first: 100) { totalCount nodes { name township { name }
        commissioner { name } openIssueCount issues(first: 3) { nodes { number leadTeam { name } } } } } }""",
    "issues page (100)": """{ issues(first: 100) { totalCount nodes { number title status warningColor deadline
        enterprise { name } leadTeam { name } } } }""",
    "townships with figures": """{ townships(first: 100) { nodes { name boundary enterpriseCount
        openIssueCount overdueIssueCount coveringTeams { name } } } }""",
    "mapLayer (all enterprises)": "{ mapLayer }",
    "coverage matrix": "{ coverage { township { name } gaps categories { covered teams { name } } } }",
}


async def main(rounds: int = 30) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite://{tmp}/bench.sqlite3", frontend_dist=Path(tmp))
        await db.migrate(settings)
        await db.init_db(settings)
        await load_demo(settings, progress=False)
        app = create_app(settings, manage_db=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            print(f"{'query':<34} {'median ms':>10} {'p95 ms':>8} {'SQL':>4} {'KB':>7}")
            for name, query in QUERIES.items():
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
                    f"{name:<34} {statistics.median(times):>10.1f} {p95:>8.1f} {len(statements):>4} "
                    f"{len(response.content) / 1024:>7.1f}"
                )
        await db.close_db()


if __name__ == "__main__":
    asyncio.run(main())
