"""A forged X-Forwarded-For does not buy a fresh budget (issue 10, finding 11).

The anonymous API budget and the sign-in throttle key on the client address. uvicorn believes
X-Forwarded-For only from the proxies in YIMI_FORWARDED_ALLOW_IPS (127.0.0.1 and ::1 unless set):
from any other peer the header is ignored, so a client cannot claim a new address with each
request. Checked against a real `yimi serve`, whose peer here is always 127.0.0.1: trusted by
default, untrusted once YIMI_FORWARDED_ALLOW_IPS names only another proxy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
QUERY = {"query": "{ townships(first: 1) { totalCount } }"}  # 1 point


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    url = f"sqlite://{tmp_path_factory.mktemp('forwarded') / 'yimi.sqlite3'}"
    env = {**os.environ, "YIMI_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "yimi.cli", "migrate"], env=env, check=True, cwd=ROOT, capture_output=True)
    return url


def serve(database: str, forwarded_allow_ips: str | None):
    port = free_port()
    env = {
        **os.environ,
        "YIMI_DATABASE_URL": database,
        "YIMI_RATE_LIMIT_POINTS": "3",
        "YIMI_MAX_QUERY_COST": "3",
        "YIMI_FRONTEND_DIST": "/nonexistent",
    }
    env.pop("YIMI_REDIS_URL", None)
    env.pop("YIMI_FORWARDED_ALLOW_IPS", None)
    if forwarded_allow_ips is not None:
        env["YIMI_FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    proc = subprocess.Popen(
        [sys.executable, "-m", "yimi.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("yimi serve did not start")
        time.sleep(0.2)


def remaining_after_forged_requests(base: str) -> list[str]:
    """X-RateLimit-Remaining after each request, each claiming another client address."""
    seen = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for i in range(4):
            response = client.post("/graphql", json=QUERY, headers={"X-Forwarded-For": f"198.51.100.{i + 1}"})
            seen.append(response.headers.get("x-ratelimit-remaining", "refused"))
    return seen


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.timeout(120)
def test_an_untrusted_peer_cannot_claim_other_addresses(database):
    proc, base = serve(database, "10.9.9.9")  # the only proxy is elsewhere: 127.0.0.1 is a client
    try:
        # One budget of 3 points for all four requests: the forged addresses were ignored.
        assert remaining_after_forged_requests(base) == ["2", "1", "0", "0"]
        with httpx.Client(base_url=base) as client:
            body = client.post("/graphql", json=QUERY, headers={"X-Forwarded-For": "203.0.113.77"}).json()
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    finally:
        stop(proc)


@pytest.mark.timeout(120)
def test_a_trusted_proxy_gives_each_client_its_budget(database):
    proc, base = serve(database, None)  # the default trusts loopback: a proxy on this host
    try:
        assert remaining_after_forged_requests(base) == ["2", "2", "2", "2"]
    finally:
        stop(proc)
