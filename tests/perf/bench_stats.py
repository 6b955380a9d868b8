"""Public statistics benchmark on the demo county: `make bench` prints the numbers (no assertions on time).

Cold: the figures of a year computed after a write (the data version changed). Warm: served from the
process's cache (one primary-key query for the data version). Measured in-process (httpx ASGI
transport), through the whole HTTP app (middleware, limits, budget), signed out, as the public page
and a newspaper's scraper would ask:
- the service alone (yimi.stats.cache), cold (just after a release: read from the database) and warm;
- GraphQL `statistics(year)` with every field, cold and warm (warm: the answer from the response cache,
  yimi.graphql.response_cache), and warm figures with the response cache emptied before each request
  (every field executed again, as before the response cache);
- /open-data/statistics/{year}.json and .csv, cold and warm, and a 304 revalidation.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from yimi import db
from yimi.app import create_app
from yimi.demo.loader import load_demo
from yimi.settings import Settings
from yimi.stats.cache import public_statistics
from yimi.stats.releases import publish

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.stats.helpers import FULL

YEAR = 2024
ROUNDS = 200
COLD_ROUNDS = 15


async def _bump() -> None:
    # As after a new release: the latest releases are read again, and cached answers (keyed on the
    # cache's generation) are not reused.
    public_statistics.clear()


def _line(name: str, times: list[float]) -> None:
    times.sort()
    p95 = times[max(int(len(times) * 0.95) - 1, 0)]
    print(f"{name:<60} {statistics.median(times):>9.2f} {p95:>9.2f} {len(times):>6}")


async def _timed(call, rounds: int, cold: bool, before=None) -> list[float]:
    times = []
    for _ in range(rounds):
        if cold:
            await _bump()
        if before is not None:
            before()
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite://{tmp}/bench.sqlite3", rate_limit_points=10_000_000)
        await db.migrate(settings)
        await db.init_db(settings)
        await load_demo(settings, progress=False)
        app = create_app(settings, manage_db=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:

            async def service() -> None:
                await public_statistics.get(YEAR, datetime.now(UTC), settings)

            async def graphql() -> None:
                response = await client.post("/graphql", json={"query": FULL, "variables": {"year": YEAR}})
                assert response.status_code == 200 and "errors" not in response.json(), response.text

            def get(path: str, headers: dict | None = None):
                async def call() -> None:
                    response = await client.get(path, headers=headers or {})
                    assert response.status_code in (200, 304), response.text

                return call

            json_url, csv_url = f"/open-data/statistics/{YEAR}.json", f"/open-data/statistics/{YEAR}.csv"
            await graphql()
            tag = (await client.get(json_url)).headers["etag"]
            print(f"Public statistics of {YEAR}, demo county, ms (median, p95, rounds)")
            for name, call in (
                ("service (yimi.stats.cache)", service),
                ("GraphQL statistics, every field", graphql),
                ("GET open-data .json", get(json_url)),
                ("GET open-data .csv", get(csv_url)),
            ):
                _line(f"{name}, cold", await _timed(call, COLD_ROUNDS, cold=True))
                await call()
                _line(f"{name}, warm", await _timed(call, ROUNDS, cold=False))
                if call is graphql:
                    _line(
                        f"{name}, warm, response cache emptied",
                        await _timed(call, ROUNDS, cold=False, before=lambda: app.state.response_cache.clear()),
                    )
            await get(json_url)()

            async def release() -> None:
                await publish(datetime.now(UTC), settings)

            _line("a release of every year not final (yimi stats publish)", await _timed(release, 3, cold=False))
            _line(
                "GET open-data .json, If-None-Match (304)",
                await _timed(get(json_url, {"If-None-Match": tag}), ROUNDS, False),
            )
        await db.close_db()


if __name__ == "__main__":
    asyncio.run(main())
