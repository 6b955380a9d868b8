"""API benchmarks (issue 14) on SQLite and PostgreSQL, each figure beside a baseline measured in the same run.

In the server process (the whole ASGI app through httpx's ASGI transport: middleware, session, limits,
GraphQL), signed in as the demo's first dispatcher with the web app's CSRF header:
- a 100-row `enterprises` page with township, commissioner and openIssueCount: p50, and the p50 of the
  raw SQL fetching the same rows on the server's own connection (ratio printed);
- a 100-row page of open issues by deadline with enterprise and lead team: page 1, and page 500 reached
  by following the API's opaque cursors (the last page when there are fewer), each beside the raw
  keyset SQL of the same rows;
- `mapLayer` of every enterprise: cold (the first answer after a write: an issue reported through the
  API), the first a process builds (nothing kept: after a restart), warm (nothing changed), and after the clock moved to the next instant a colour changes (no
  write: at province scale that is every second or two in the working day), beside the raw SQL of the
  same points, counts and colours;
- `townships` with enterprise, open and overdue counts: every township, following the cursors, beside
  one SQL statement computing the same figures.

Run: .venv/bin/python tests/perf/bench_api.py [--scale county|province] [--db sqlite,postgres]
(`make bench` runs it at BENCH_SCALE, province by default). No assertion on time: targets are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.conftest import count_sql
from tests.issues.workflow_helpers import SIGN_IN
from tests.perf import workload as w
from tests.perf.benchdata import BACKENDS, PASSWORD, SCALES, dispatcher, working_copy
from yimi import db
from yimi.app import create_app
from yimi.common.figures import next_colour_change
from yimi.settings import Settings

DEEP_PAGE = 500
NOTE = "mutation($input: AddIssueNoteInput!) { addIssueNote(input: $input) { userErrors { message } } }"
REPORT = (
    """mutation($input: ReportIssueInput!) { reportIssue(input: $input) { issue { id } userErrors { message } } }"""
)


@dataclass
class Row:
    name: str
    target: str
    yimi: dict[str, float] = field(default_factory=dict)
    base: dict[str, float] = field(default_factory=dict)
    base_name: str = "raw SQL"
    note: dict[str, str] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)  # SQL statements Yimi sent for one answer


class Api:
    """A signed-in web-app session against the in-process app."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def __call__(self, query: str, variables: dict | None = None) -> dict:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers={"X-Yimi-CSRF": "1"}
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"{query[:60]}…: {response.status_code} {response.text[:500]}")
        return body["data"]

    async def fetch(self, query: str, variables: dict | None = None) -> bytes:
        """The answer's bytes as they come over the wire, gzipped or not (inflating and parsing them is the
        client's time, not the server's); a compressed answer is a cached one, never an error."""
        body = {"query": query, "variables": variables or {}}
        async with self.http.stream("POST", "/graphql", json=body, headers={"X-Yimi-CSRF": "1"}) as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        if response.status_code != 200 or (
            response.headers.get("content-encoding") != "gzip" and raw.startswith(b'{"errors":')
        ):
            raise RuntimeError(f"{query[:60]}…: {response.status_code} {raw[:500]!r}")
        return raw


async def sign_in(app, username: str) -> Api:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    api = Api(http)
    data = await api(SIGN_IN, {"u": username, "p": PASSWORD})
    assert data["signIn"]["staff"], data
    return api


async def statements(fn: Callable[[], Awaitable[Any]]) -> int:
    with count_sql() as sent:
        await fn()
    return len(sent)


async def p50(
    fn: Callable[[], Awaitable[Any]], rounds: int, before: Callable[[], Awaitable[Any]] | None = None
) -> float:
    """Median wall time of ``fn`` in ms over ``rounds`` (after one unmeasured call), ``before`` untimed each round."""
    await fn()
    times = []
    for _ in range(rounds):
        if before is not None:
            await before()
        start = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def pages(api: Api, query: str, field: str, variables: dict, upto: int) -> tuple[int, str | None]:
    """Follows the cursors to page ``upto`` (or the last); returns the page number and the cursor before it."""
    after, number = None, 1
    while number < upto:
        conn = (await api(query, {**variables, "after": after}))[field]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after, number = conn["pageInfo"]["endCursor"], number + 1
    return number, after


async def measure(database_url: str, username: str, rows: dict[str, Row], label: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=database_url, frontend_dist=Path(tmp), rate_limit_points=10**9)
        await db.init_db(settings)
        try:
            app = create_app(settings, manage_db=False)
            api = await sign_in(app, username)
            await _measure(app, api, rows, label, rounds)
            await api.http.aclose()
        finally:
            await db.close_db()


async def _measure(app, api: Api, rows: dict[str, Row], label: str, rounds: int) -> None:
    now = datetime.now(UTC)

    r = rows["enterprises"]
    r.statements[label] = await statements(lambda: api.fetch(w.ENTERPRISES_PAGE))
    r.yimi[label] = await p50(lambda: api.fetch(w.ENTERPRISES_PAGE), rounds)
    r.base[label] = await p50(lambda: w.raw(w.ENTERPRISES_SQL), rounds)

    statuses = {"statuses": w.OPEN_ENUMS}
    r = rows["issues1"]
    r.statements[label] = await statements(lambda: api.fetch(w.ISSUES_PAGE, statuses))
    r.yimi[label] = await p50(lambda: api.fetch(w.ISSUES_PAGE, statuses), rounds)
    r.base[label] = await p50(lambda: w.raw(w.ISSUES_FIRST_SQL), rounds)
    number, cursor = await pages(api, w.ISSUES_PAGE, "issues", statuses, DEEP_PAGE)
    r = rows["issuesN"]
    r.note[label] = f"page {number}"
    r.statements[label] = await statements(lambda: api.fetch(w.ISSUES_PAGE, {**statuses, "after": cursor}))
    r.yimi[label] = await p50(lambda: api.fetch(w.ISSUES_PAGE, {**statuses, "after": cursor}), rounds)
    # The keyset of the same page: the last row of the page before, by position (untimed).
    offset = (number - 1) * w.PAGE - 1
    last = (
        await w.raw(
            f"SELECT deadline, id FROM issue WHERE status IN ({w.OPEN_SQL}) ORDER BY deadline, id "
            f"LIMIT 1 OFFSET {max(offset, 0)}"
        )
        if number > 1
        else []
    )
    if last:
        r.base[label] = await p50(lambda: w.raw(w.ISSUES_AFTER_SQL, last[0]["deadline"], last[0]["id"]), rounds)
    else:
        r.base[label] = await p50(lambda: w.raw(w.ISSUES_FIRST_SQL), rounds)

    first = (await api(w.ENTERPRISES_PAGE))["enterprises"]["nodes"][0]["id"]
    reported = 0
    refused: list[str] = []  # why reportIssue was refused, once it was: later writes add a note instead
    open_issue = (await api(w.ISSUES_PAGE, statuses))["issues"]["nodes"][0]["id"]

    async def write() -> None:
        nonlocal reported
        reported += 1
        if not refused:
            report = {"enterpriseId": first, "category": "POWER", "title": f"bench {reported}", "source": "HOTLINE"}
            payload = (await api(REPORT, {"input": report}))["reportIssue"]
            if payload["issue"]:
                return
            refused.append(payload["userErrors"][0]["message"])
        payload = (await api(NOTE, {"input": {"issueId": open_issue, "note": f"bench {reported}"}}))["addIssueNote"]
        assert not payload["userErrors"], payload

    map_layer = lambda: api.fetch(w.MAP_LAYER, {"filter": {}})  # noqa: E731
    rows["map_cold"].yimi[label] = await p50(map_layer, max(3, rounds // 5), before=write)
    await write()
    rows["map_cold"].statements[label] = await statements(map_layer)
    rows["map_warm"].statements[label] = await statements(map_layer)
    rows["map_warm"].yimi[label] = await p50(map_layer, rounds)
    points = len((await api(w.MAP_LAYER, {"filter": {}}))["mapLayer"]["features"])
    rows["map_cold"].note[label] = rows["map_warm"].note[label] = f"{points:,} points"
    if refused:
        rows["map_cold"].note[label] += f"; the write: a note (reportIssue refused: {refused[0]})"
    rows["map_cold"].base[label] = rows["map_warm"].base[label] = await p50(
        lambda: w.raw(w.MAP_SQL, w.sql_time(now)), max(3, rounds // 5)
    )

    async def forgotten() -> None:  # as in a process that has built no layer yet
        app.state.map_layers = None
        app.state.response_cache.clear()

    r = rows["map_first"]
    r.yimi[label] = await p50(map_layer, max(3, rounds // 5), before=forgotten)
    r.base[label] = rows["map_cold"].base[label]
    await forgotten()
    r.statements[label] = await statements(map_layer)
    with moved_clock() as clock:
        r = rows["map_clock"]
        r.yimi[label] = await p50(map_layer, max(3, rounds // 5), before=clock.to_next_colour_change)
        r.base[label] = rows["map_cold"].base[label]
        await clock.to_next_colour_change()
        r.statements[label] = await statements(map_layer)
        r.note[label] = f"{clock.steps} colour changes, {clock.moved()}"

    async def all_townships() -> int:
        after, count = None, 0
        while True:
            conn = (await api(w.TOWNSHIPS_PAGE, {"after": after}))["townships"]
            count += len(conn["nodes"])
            if not conn["pageInfo"]["hasNextPage"]:
                return count
            after = conn["pageInfo"]["endCursor"]

    r = rows["townships"]
    r.note[label] = f"{await all_townships():,} townships"
    r.statements[label] = await statements(all_townships)
    r.yimi[label] = await p50(all_townships, max(3, rounds // 3))
    r.base[label] = await p50(lambda: w.raw(w.TOWNSHIPS_SQL, w.sql_time(now)), max(3, rounds // 3))


class MovedClock:
    """The app's clock (yimi.app takes each request's time from it), moved from now to the instants at which
    a colour changes, as the day goes by, with no write."""

    def __init__(self) -> None:
        self.start = self.at = datetime.now(UTC)
        self.steps = 0

    async def to_next_colour_change(self) -> None:
        following = await next_colour_change(self.at)
        self.at = (following or self.at + timedelta(minutes=1)) + timedelta(microseconds=1)
        self.steps += 1

    def moved(self) -> str:
        return f"the clock moved {(self.at - self.start).total_seconds():.0f} s"


@contextmanager
def moved_clock() -> Iterator[MovedClock]:
    import yimi.app

    clock = MovedClock()

    class Moved(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return clock.at if tz is None else clock.at.astimezone(tz)

    kept = yimi.app.datetime
    yimi.app.datetime = Moved  # type: ignore[misc]
    try:
        yield clock
    finally:
        yimi.app.datetime = kept  # type: ignore[misc]


def new_rows() -> dict[str, Row]:
    return {
        "enterprises": Row("enterprises page (100, township, commissioner, openIssueCount)", "<10 ms, ≤8× SQL"),
        "issues1": Row("issues page 1 (100 open by deadline, enterprise, lead team)", "≈ page 500"),
        "issuesN": Row("issues deep page (cursors followed)", "≈ page 1"),
        "map_cold": Row("mapLayer, cold (after a write)", "<250 ms"),
        "map_first": Row("mapLayer, the first a process builds", "-"),
        "map_warm": Row("mapLayer, warm (nothing changed)", "<10 ms"),
        "map_clock": Row("mapLayer, a colour changed with the clock (no write)", "<250 ms"),
        "townships": Row("townships + enterprise/open/overdue counts, all pages", "<50 ms"),
    }


def print_table(rows: dict[str, Row], labels: list[str], title: str) -> None:
    print(
        f"\n{title}: p50 in ms; Yimi in the server process, baseline = raw SQL of the same rows; stmts = SQL statements Yimi sent"
    )
    head = f"{'benchmark':<62} {'db':<9} {'Yimi':>8} {'SQL':>7} {'ratio':>7} {'stmts':>5}  {'target':<16} note"
    print(head)
    print("-" * len(head))
    for r in rows.values():
        for label in labels:
            y, b = r.yimi.get(label), r.base.get(label)
            if y is None:
                continue
            ratio = f"{y / b:6.1f}×" if b else "      -"
            n = r.statements.get(label, "")
            print(
                f"{r.name:<62} {label:<9} {y:8.1f} {b or 0:7.1f} {ratio} {n:>5}  {r.target:<16} {r.note.get(label, '')}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default=os.environ.get("BENCH_SCALE", "county"))
    parser.add_argument("--db", default="sqlite,postgres", help="Comma-separated: sqlite, postgres.")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sqlite-source", help="Measure a copy of this SQLite file instead of the cached demo.")
    parser.add_argument("--pg-source", help="Measure a copy of this PostgreSQL database instead of the cached demo.")
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    labels = [b for b in args.db.split(",") if b]
    assert set(labels) <= set(BACKENDS), f"--db takes {BACKENDS}"
    rows = new_rows()
    if args.out:  # one database, in this process
        source = args.sqlite_source if labels[0] == "sqlite" else args.pg_source
        with working_copy(args.scale, labels[0], source) as url:
            asyncio.run(measure(url, dispatcher(url), rows, labels[0], args.rounds))
        Path(args.out).write_text(json.dumps({k: asdict(r) for k, r in rows.items()}))
        return
    # Each database in a process of its own: nothing the app keeps in module state carries over.
    for label in labels:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            argv = [sys.executable, __file__, "--scale", args.scale, "--db", label, "--rounds", str(args.rounds)]
            for option, value in (("--sqlite-source", args.sqlite_source), ("--pg-source", args.pg_source)):
                argv += [option, value] if value else []
            subprocess.run([*argv, "--out", out.name], check=True)
            for key, saved in json.loads(Path(out.name).read_text()).items():
                for part in ("yimi", "base", "note", "statements"):
                    getattr(rows[key], part).update(saved[part])
    sources = ", ".join(s for s in (args.sqlite_source, args.pg_source) if s)
    print_table(rows, labels, f"API on {f'copies of {sources}' if sources else f'the {args.scale} demo'}")


if __name__ == "__main__":
    main()
