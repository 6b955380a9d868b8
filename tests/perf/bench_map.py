"""Map benchmark at province scale: 100,000 enterprise points in headless Chromium.

Serves the built frontend (frontend/dist; run `make frontend` first) from a local static server and
answers POST /graphql from the same local server: a synthetic FeatureCollection of 100,000 points
over Henan for mapLayer and 120 synthetic township squares. Prints:
- first render of the clustered map (navigation start → points indexed and drawn),
- re-clustering time on each zoom step (supercluster getClusters + drawing),
- JavaScript bundle size gzipped.

Run: .venv/bin/python tests/perf/bench_map.py  (or `make bench` once the Makefile calls it)
"""

from __future__ import annotations

import gzip
import http.server
import json
import random
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
CHROMIUM = "/usr/bin/chromium"
N_POINTS = 100_000
WEST, SOUTH, EAST, NORTH = 110.4, 31.4, 116.6, 36.3  # Henan, roughly
BUDGET_FIRST_RENDER_MS = 2000
BUDGET_RECLUSTER_MS = 50
BUDGET_JS_GZIP = 300 * 1024


def synthetic_points(n: int, seed: int = 42) -> str:
    rng = random.Random(seed)
    colours = ["RED", "ORANGE", "YELLOW", "GREEN"]
    # Enterprises gather around ~150 towns, like real ones do.
    centres = [(rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)) for _ in range(150)]
    feats = []
    for i in range(n):
        cx, cy = centres[i % len(centres)]
        lon, lat = rng.gauss(cx, 0.12), rng.gauss(cy, 0.1)
        open_n = rng.choice([0, 0, 0, 1, 1, 2])
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": {
                    "id": f"E{i}",
                    "warningColor": rng.choice(colours) if open_n else None,
                    "openIssueCount": open_n,
                },
            }
        )
    return json.dumps({"data": {"mapLayer": {"type": "FeatureCollection", "features": feats}}})


def synthetic_townships(cols: int = 12, rows: int = 10) -> str:
    nodes = []
    w, h = (EAST - WEST) / cols, (NORTH - SOUTH) / rows
    k = 0
    for r in range(rows):
        for c in range(cols):
            x0, y0 = WEST + c * w, SOUTH + r * h
            k += 1
            ring = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]
            nodes.append(
                {
                    "id": f"T{k}",
                    "code": f"41{k:07d}",
                    "name": f"乡镇{k}",
                    "kind": "TOWN",
                    "seat": {"lon": x0 + w / 2, "lat": y0 + h / 2},
                    "boundary": {"type": "MultiPolygon", "coordinates": [[ring]]},
                    "enterpriseCount": 800 + k,
                    "openIssueCount": k % 40,
                    "overdueIssueCount": k % 9,
                    "coveringTeams": [],
                }
            )
    return json.dumps({"data": {"townships": {"nodes": nodes}}})


EMPTY_CONN = {"totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}


def js_gzip_size() -> tuple[int, int]:
    raw = gz = 0
    for f in (DIST / "assets").glob("*.js"):
        data = f.read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, 9))
    return raw, gz


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not (DIST / "index.html").exists():
        print("frontend/dist is missing: run `make frontend` first", file=sys.stderr)
        return 2
    points = synthetic_points(N_POINTS).encode()
    townships = synthetic_townships().encode()

    def answer(query: str) -> bytes:
        if "mapLayer" in query:
            return points
        if "townships(" in query:
            return townships
        if "coverage" in query:
            return json.dumps({"data": {"coverage": []}}).encode()
        if "me {" in query or "me{" in query:
            # A signed-in dispatcher: the web app shows the dashboard only after sign-in.
            me = {"id": "U3RhZmY6Mw==", "name": "测试", "roles": ["dispatcher"], "department": {"name": "县发改委"}}
            return json.dumps({"data": {"me": me}}).encode()
        return json.dumps({"data": dict.fromkeys(("enterprises", "issues", "serviceTeams"), EMPTY_CONN)}).encode()

    class Handler(http.server.SimpleHTTPRequestHandler):
        """Static files from frontend/dist; POST /graphql answered with the synthetic data."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(DIST), **kwargs)

        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            payload = answer(json.loads(body or b"{}").get("query", ""))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
    ok = True
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            firsts = []
            for run in range(3):
                page = browser.new_page(viewport={"width": 1400, "height": 860})
                page.goto(url)
                page.wait_for_selector(f"#map[data-points='{N_POINTS}']", state="attached", timeout=60000)
                first = page.evaluate("performance.getEntriesByName('yimi-map-ready')[0].startTime")
                index_ms = float(page.get_attribute("#map", "data-index-ms"))
                firsts.append(first)
                if run < 2:
                    page.close()
            # Zoom steps on the last page: each re-clusters the view.
            times: list[float] = []
            pure: list[float] = []
            drawn: list[int] = []
            for button in ["in"] * 6 + ["out"] * 6:
                before = page.get_attribute("#map", "data-cluster-zoom")
                page.click(f".leaflet-control-zoom-{button}")
                page.wait_for_function(
                    f"document.querySelector('#map').dataset.clusterZoom !== '{before}'", timeout=10000
                )
                page.wait_for_timeout(350)
                times.append(float(page.get_attribute("#map", "data-cluster-ms")))
                pure.append(float(page.get_attribute("#map", "data-get-clusters-ms")))
                drawn.append(
                    int(page.get_attribute("#map", "data-clusters")) + int(page.get_attribute("#map", "data-singles"))
                )
            art = ROOT / "test-artifacts"
            art.mkdir(exist_ok=True)
            page.screenshot(path=str(art / "bench-100k.png"))
            browser.close()
    finally:
        httpd.shutdown()

    raw, gz = js_gzip_size()
    first = statistics.median(firsts)
    worst = max(times)
    print(f"points:                       {N_POINTS:,}")
    print(
        f"first render (median of 3):   {first:,.0f} ms  (runs: {', '.join(f'{x:,.0f}' for x in firsts)}; budget {BUDGET_FIRST_RENDER_MS} ms)"
    )
    print(f"  of which supercluster load: {index_ms:,.0f} ms")
    print(
        f"re-cluster on zoom:           median {statistics.median(times):.1f} ms, max {worst:.1f} ms over {len(times)} steps (budget {BUDGET_RECLUSTER_MS} ms)"
    )
    print(
        f"  of which getClusters:       median {statistics.median(pure):.1f} ms, max {max(pure):.1f} ms; markers drawn per step: {min(drawn)}–{max(drawn)}"
    )
    print(
        f"JS bundle:                    {raw / 1024:,.1f} KB raw, {gz / 1024:,.1f} KB gzipped (budget {BUDGET_JS_GZIP // 1024} KB)"
    )
    ok = first < BUDGET_FIRST_RENDER_MS and worst < BUDGET_RECLUSTER_MS and gz < BUDGET_JS_GZIP
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
