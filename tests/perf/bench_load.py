"""The dashboard mix over HTTP on loopback (issue 14): Yimi against PostGraphile 4.14.1 on the same database.

On a fresh copy of the cached demo in PostgreSQL (benchdata.py):
- a real `yimi serve --workers N` (Redis shared when N > 1), signed in as the demo's first dispatcher
  with a session cookie and the web app's CSRF header, answering the web app's own documents (mix.py);
- PostGraphile 4.14.1 (`postgraphile -c … -s public`, pinned in tests/perf/package.json) answering
  equivalent documents (postgraphile.sql adds the figures as computed columns);
- both answers compared first (same rows, relations and counts), then each server loaded by autocannon
  (load.mjs) with C concurrent clients for D seconds, one after the other: requests/s, errors, p50/p95/p99,
  and each process's peak resident memory (RSS) under the load.

Run: .venv/bin/python tests/perf/bench_load.py [--scale county|province] [--workers 2] [--connections 50]
[--duration 30] [--profile] [--busy-hour] (`--profile`: where one Yimi worker spends its time under the
load, sampled by py-spy if it is installed in the venv; the stacks are kept in var/bench/profile.txt;
`--busy-hour`: the open issues' thresholds moved so that the run falls in the busiest hour of the next
day, when at province scale a warning colour changes every second or two and answers that show colours
must be built again; the number of changes in the run's hour is printed). BENCH_PANELS (200) is how many
enterprises' panels the clients open in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.issues.workflow_helpers import SIGN_IN
from tests.perf import mix
from tests.perf import workload as w
from tests.perf.benchdata import PASSWORD, SCALES, dispatcher, working_copy
from tests.servers import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = HERE / "node_modules" / ".bin"
REDIS = os.environ.get("YIMI_BENCH_REDIS", "redis://127.0.0.1:6379/0")
# JSON as JSON (not strings), no log line per query (Yimi's servers write no access log either).
POSTGRAPHILE_OPTIONS = ("--host", "127.0.0.1", "--dynamic-json", "--disable-query-log")
# What a browser sends with every request: either server may answer compressed (KB per answer counts the
# bytes sent).
BROWSER_HEADERS = {"accept-encoding": "gzip, deflate, br"}
PANELS = int(os.environ.get("BENCH_PANELS", "200"))  # enterprises whose panel the clients open, in turn


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str
    log: Path
    headers: dict[str, str] = field(default_factory=dict)
    peak_rss: dict[int, int] = field(default_factory=dict)  # pid → KiB
    load_average: float = 0.0  # of the machine (1 minute) when its load began: the machine is shared

    def processes(self) -> list[int]:
        """The server's processes: uvicorn's workers when it has any, else the server itself."""
        pids = _descendants(self.process.pid)
        workers = [p for p in pids if "spawn_main" in _cmdline(p)]
        return workers or [self.process.pid, *[p for p in pids if "node" in _cmdline(p)]]


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _wait(url: str, process: subprocess.Popen, log: Path, ready, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if ready(url):
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{url} did not answer within {seconds:.0f} s: {log.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextmanager
def yimi_server(database_url: str, workers: int, tmp: Path) -> Iterator[Server]:
    port = free_port()
    dist = ROOT / "frontend" / "dist"
    if not (dist / "index.html").exists():
        dist = tmp
        (tmp / "index.html").write_text("<!doctype html><title>bench</title>", encoding="utf-8")
    env = os.environ | {
        "YIMI_DATABASE_URL": database_url,
        "YIMI_PORT": str(port),
        "YIMI_FRONTEND_DIST": str(dist),
        # One member of staff sends every request of the run: an hourly budget would stop the load.
        "YIMI_RATE_LIMIT_POINTS": str(10**9),
        "YIMI_RATE_LIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
    }
    if workers > 1:
        env["YIMI_REDIS_URL"] = f"{REDIS}?channel_prefix=bench-{uuid.uuid4().hex[:8]}"
    log = tmp / "yimi.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "yimi"), "serve", "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(
        f"Yimi, {workers} worker{'s' if workers > 1 else ''}", process, f"http://127.0.0.1:{port}/graphql", log
    )
    try:
        _wait(server.url, process, log, lambda url: httpx.get(url.replace("/graphql", "/healthz")).status_code == 200)
        signed_in = httpx.post(
            server.url,
            json={
                "query": SIGN_IN,
                "variables": {"u": dispatcher(database_url), "p": PASSWORD},
            },
            headers={"X-Yimi-CSRF": "1"},
        )
        assert signed_in.json()["data"]["signIn"]["staff"], signed_in.text
        cookie = "; ".join(f"{k}={v}" for k, v in signed_in.cookies.items())
        server.headers = {"cookie": cookie, "x-yimi-csrf": "1"}
        yield server
    finally:
        _stop(process)


@contextmanager
def postgraphile_server(database_url: str, tmp: Path) -> Iterator[Server]:
    port = free_port()
    log = tmp / "postgraphile.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "postgraphile"), "-c", database_url, "-s", "public", *POSTGRAPHILE_OPTIONS, "--port", str(port)],
            cwd=HERE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server("PostGraphile 4.14.1", process, f"http://127.0.0.1:{port}/graphql", log)
    try:
        _wait(server.url, process, log, lambda url: httpx.post(url, json={"query": "{__typename}"}).status_code == 200)
        yield server
    finally:
        _stop(process)


# The open issues' yellow, orange and deadline instants of the busiest hour of the next day, and before
# the run: those of the hour of the run, after the thresholds are moved (--busy-hour).
BUSIEST_HOUR_SQL = """
SELECT date_trunc('hour', t) AS hour, COUNT(*) AS n FROM (
  SELECT yellow_at AS t FROM open_issue UNION ALL SELECT orange_at FROM open_issue UNION ALL SELECT deadline FROM open_issue
) thresholds WHERE t > now() AND t < now() + interval '1 day' GROUP BY 1 ORDER BY 2 DESC LIMIT 1"""
CHANGES_IN_THE_NEXT_HOUR_SQL = """
SELECT COUNT(*) FROM (
  SELECT yellow_at AS t FROM open_issue UNION ALL SELECT orange_at FROM open_issue UNION ALL SELECT deadline FROM open_issue
) thresholds WHERE t > now() AND t < now() + interval '1 hour'"""


async def prepare(database_url: str, busy_hour: bool) -> list[int]:
    """Installs postgraphile.sql; with ``busy_hour``, moves the open issues' thresholds so that the busiest
    hour of the next day begins as the run does; returns the enterprises whose panels are opened (those with
    issues first)."""
    conn = await asyncpg.connect(database_url)
    try:
        if busy_hour:
            busiest = await conn.fetchrow(BUSIEST_HOUR_SQL)
            if busiest is not None:
                # The open_issue table follows the issue table (its triggers).
                await conn.execute(
                    "UPDATE issue SET yellow_at = yellow_at - $1::interval, orange_at = orange_at - $1::interval, "
                    "deadline = deadline - $1::interval "
                    f"WHERE status IN ({w.OPEN_SQL})",
                    busiest["hour"] - await conn.fetchval("SELECT now()"),
                )
        changes = await conn.fetchval(CHANGES_IN_THE_NEXT_HOUR_SQL)
        print(f"colour changes in the hour of the run: {changes:,} (one every {3600 / max(changes, 1):.1f} s)")
        await conn.execute((HERE / "postgraphile.sql").read_text(encoding="utf-8"))
        rows = await conn.fetch(
            "SELECT e.id FROM enterprise e ORDER BY EXISTS (SELECT 1 FROM issue i WHERE i.enterprise_id = e.id) DESC, "
            f"md5(e.id::text) LIMIT {PANELS}"
        )
    finally:
        await conn.close()
    return [r["id"] for r in rows]


def compare(yimi: Server, pg: Server, panels: list[int]) -> list[str]:
    """Asks both servers each request of the mix (first body of each, and 20 panels); returns the differences."""
    problems = []
    ours, theirs = mix.yimi_requests(panels[:20]), mix.postgraphile_requests(panels[:20])
    with httpx.Client(timeout=120) as client:
        for (name, our_bodies), (_, their_bodies) in zip(ours, theirs, strict=True):
            for our_body, their_body in zip(our_bodies, their_bodies, strict=True):
                answers = []
                for server, body in ((yimi, our_body), (pg, their_body)):
                    response = client.post(server.url, json=body, headers=server.headers)
                    payload = response.json()
                    if response.status_code != 200 or payload.get("errors"):
                        problems.append(f"{server.name}, {name}: {response.status_code} {response.text[:300]}")
                        break
                    answers.append(mix.normal(name, payload["data"], server is yimi))
                if len(answers) == 2 and answers[0] != answers[1]:
                    # Colours change with the clock (every second or two in the busy hours of a province), and
                    # PostGraphile takes seconds over the map layer: Yimi is asked again, after it.
                    again = client.post(yimi.url, json=our_body, headers=yimi.headers)
                    if again.status_code == 200 and mix.normal(name, again.json()["data"], True) == answers[1]:
                        continue
                    a, b = answers
                    problems.append(f"{name}: Yimi {str(a)[:300]} … PostGraphile {str(b)[:300]}")
    return problems


def load(server: Server, requests: list[tuple[str, list[dict]]], connections: int, duration: int, tmp: Path) -> dict:
    config = tmp / f"load-{uuid.uuid4().hex[:6]}.json"
    config.write_text(
        json.dumps(
            {
                "url": server.url,
                "headers": BROWSER_HEADERS | server.headers,
                "connections": connections,
                "duration": duration,
                "requests": [{"name": n, "bodies": [json.dumps(b) for b in bodies]} for n, bodies in requests],
            }
        )
    )
    stop = threading.Event()
    server.load_average = os.getloadavg()[0]

    def sample() -> None:
        while not stop.wait(0.5):
            for pid in server.processes():
                server.peak_rss[pid] = max(server.peak_rss.get(pid, 0), _rss_kib(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = subprocess.run(
            ["node", str(HERE / "load.mjs"), str(config)],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=duration + 120,
        )
    finally:
        stop.set()
        sampler.join()
    if result.returncode != 0:
        raise RuntimeError(f"load.mjs failed: {result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def profile(server: Server, seconds: int, tmp: Path) -> subprocess.Popen | None:
    """py-spy records one Yimi worker for ``seconds`` while the load runs (collapsed stacks; see summarize)."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        print("(no py-spy in the venv: no profile; .venv/bin/pip install py-spy)")
        return None
    out = tmp / "profile.txt"
    pid = server.processes()[0]
    options = ["--duration", str(seconds), "--rate", "100", "--format", "raw", "--nonblocking", "-o", str(out)]
    return subprocess.Popen(
        [str(spy), "record", "--pid", str(pid), *options],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "py-spy.log").open("wb"),
    )


def summarize(stacks: Path, top: int = 15) -> None:
    """Where the worker spent its samples: own time by package (the innermost frame's), and the Yimi
    functions seen in most samples (their time includes what they call)."""
    by_package: dict[str, int] = {}
    own: dict[str, int] = {}
    ours: dict[str, int] = {}
    total = 0
    for line in stacks.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [(f.split(" (")[0], f.rsplit(" (", 1)[-1].rstrip(")").split(":")[0]) for f in stack.split(";")]
        function, path = frames[-1]
        package = path.split("/")[0] if "/" in path else path.removesuffix(".py")
        by_package[package] = by_package.get(package, 0) + n
        own[f"{path}:{function}"] = own.get(f"{path}:{function}", 0) + n
        for name in {f"{p}:{f}" for f, p in frames if p.startswith("yimi/")}:
            ours[name] = ours.get(name, 0) + n
    if not total:
        print("(py-spy recorded nothing)")
        return

    def show(title: str, counts: dict[str, int]) -> None:
        print(title)
        for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {100 * n / total:5.1f}%  {name}")

    print(f"\nprofile of one Yimi worker under the load: {total} samples of its CPU time (py-spy)")
    show("own time by package:", by_package)
    show("own time by function:", own)
    show("Yimi functions, with what they call:", ours)


def print_results(results: list[tuple[Server, dict]], args, same: list[str]) -> None:
    print(
        f"\nDashboard mix over HTTP on loopback ({args.pg_source or f'the {args.scale} demo'}, PostgreSQL): {args.connections} clients, "
        f"{args.duration} s each, autocannon; one visit = {', '.join(n for n, _ in mix.yimi_requests([1]))}"
    )
    print(f"answers compared before the load: {'the same' if not same else 'DIFFERENT:'}")
    for problem in same:
        print(f"  {problem}")
    head = (
        f"{'server':<22} {'requests/s':>10} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'MB/s':>7} "
        f"{'load avg':>8}  peak RSS per process (MB)"
    )
    print(head)
    print("-" * len(head))
    for server, r in results:
        rss = ", ".join(f"{kib / 1024:.0f}" for kib in server.peak_rss.values()) or "-"
        print(
            f"{server.name:<22} {r['rps']:10.1f} {r['errors']:7d} {r['p50'] or 0:8.0f} {r['p95'] or 0:8.0f} "
            f"{r['p99'] or 0:8.0f} {r['bytesPerSecond'] / 1e6:7.1f} {server.load_average:8.1f}  {rss}"
        )
        if r["firstError"]:
            print(f"  first error: {r['firstError']}")
    if len(results) == 2:
        (_, ours), (_, theirs) = results
        ratio = ours["rps"] / theirs["rps"] if theirs["rps"] else float("inf")
        print(
            f"Yimi's throughput / PostGraphile's: {ratio:.2f}× (target ≥ 1; p95 < 100 ms, no errors, RSS < 300 MB/worker)"
        )
    print("\nper request of the visit: p50 / p95 ms, KB per answer")
    names = [k["name"] for k in results[0][1]["kinds"]]
    print(f"{'request':<18}" + "".join(f" | {s.name:^30}" for s, _ in results))
    for i, name in enumerate(names):
        cells = []
        for _, r in results:
            k = r["kinds"][i]
            cells.append(f"{k['p50'] or 0:7.0f} / {k['p95'] or 0:6.0f} ms {k['kbPerResponse']:8.1f} KB")
        print(f"{name:<18}" + "".join(f" | {c:^30}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default=os.environ.get("BENCH_SCALE", "county"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "2")))
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--busy-hour",
        action="store_true",
        help="Move the open issues' thresholds so that the run falls in the busiest hour of colour changes",
    )
    parser.add_argument("--pg-source", help="Load a copy of this PostgreSQL database instead of the cached demo.")
    args = parser.parse_args()
    if not (BIN / "postgraphile").exists():
        sys.exit("PostGraphile and autocannon are missing: cd tests/perf && npm ci (make bench does it)")
    with working_copy(args.scale, "postgres", args.pg_source) as url, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        panels = asyncio.run(prepare(url, args.busy_hour))
        with yimi_server(url, args.workers, tmp) as yimi, postgraphile_server(url, tmp) as pg:
            same = compare(yimi, pg, panels)
            results = []
            for server, requests in ((yimi, mix.yimi_requests(panels)), (pg, mix.postgraphile_requests(panels))):
                spy = profile(server, max(3, args.duration - 5), tmp) if args.profile and server is yimi else None
                results.append((server, load(server, requests, args.connections, args.duration, tmp)))
                if spy:
                    spy.wait(60)
                    shutil.copy(tmp / "profile.txt", ROOT / "var" / "bench" / "profile.txt")
            print_results(results, args, same)
            for server, result in results:
                if result["errors"]:  # keep the server's log: the errors' tracebacks are there
                    kept = ROOT / "var" / "bench" / f"{server.log.stem}-{time.strftime('%H%M%S')}.log"
                    shutil.copy(server.log, kept)
                    print(f"{server.name}'s log: {kept}")
            if args.profile and (tmp / "profile.txt").exists():
                summarize(tmp / "profile.txt")


if __name__ == "__main__":
    main()
