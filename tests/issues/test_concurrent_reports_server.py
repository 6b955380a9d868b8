"""200 concurrent reportIssue calls against running servers (uvicorn, one database of the run's
backend): every one is stored or gets a clear error; none is lost, none duplicated, numbers stay
unique — with one server process, and with two processes sharing the database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.databases import query
from tests.servers import free_port

pytestmark = pytest.mark.timeout(120)

CALLS = 200
PASSWORD = "concurrent reports password"
SEED = """
import asyncio, sys
from yimi import db
from yimi.accounts.models import Department, Staff
from yimi.accounts.service import set_password
from yimi.enterprises.models import Enterprise
from yimi.townships.models import Township

async def main():
    await db.migrate()
    await db.init_db()
    try:
        township = await Township.create(code="410223101", name="张市镇", kind="town", county_code="410223",
                                         county_name="尉氏县", seat_lon=114.2, seat_lat=34.4)
        dept = await Department.create(name="县营商环境服务中心")
        staff = await Staff.create(username="dispatcher", name="派单员", department=dept, roles=["dispatcher"])
        await set_password(staff, sys.argv[1])
        enterprise = await Enterprise.create(name="测试纺织有限公司", uscc="91410223MA00000001", industry="C",
                                             size="small", township=township, lon=114.2, lat=34.4)
        print(enterprise.id)
    finally:
        await db.close_db()

asyncio.run(main())
"""
REPORT = """
mutation($input: ReportIssueInput!) {
  reportIssue(input: $input) { issue { id number title } userErrors { field code message } }
}
"""


def _start(env: dict, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "yimi.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    # Generous: importing the app takes over 20 s on a loaded machine; a server that dies is seen at once (poll).
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start:\n" + log.read_text(errors="replace")
        time.sleep(0.1)


@pytest.fixture(params=[1, 2], ids=["one process", "two processes"])
def servers(request, tmp_path_factory, scratch_database_url):
    """``(urls, database, enterprise id)``: that many server processes on one fresh database."""
    base = tmp_path_factory.mktemp("reports")
    (base / "dist").mkdir()
    database = scratch_database_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIMI_")}
    # One secret key, so that a session cookie from one process is good on the other.
    env.update(
        YIMI_DATABASE_URL=database,
        YIMI_FRONTEND_DIST=str(base / "dist"),
        PYTHONUNBUFFERED="1",
        YIMI_SECRET_KEY="concurrent-reports-test-secret-key-0123456789",
    )
    seeded = subprocess.run([sys.executable, "-c", SEED, PASSWORD], env=env, capture_output=True, text=True, timeout=60)
    assert seeded.returncode == 0, seeded.stderr
    enterprise_id = int(seeded.stdout.strip().splitlines()[-1])
    processes, urls = [], []
    try:
        for i in range(request.param):
            process, url = _start(env, base / f"server-{i}.log")
            processes.append(process)
            urls.append(url)
        yield urls, database, enterprise_id
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


async def test_200_concurrent_reports_are_each_stored_once_or_refused_clearly(servers):
    from yimi.common.ids import to_global_id

    urls, database, enterprise_id = servers
    limits = httpx.Limits(max_connections=CALLS, max_keepalive_connections=CALLS)
    clients = [
        httpx.AsyncClient(base_url=url, limits=limits, timeout=60, trust_env=False, headers={"X-Yimi-CSRF": "1"})
        for url in urls
    ]
    try:
        for http in clients:
            signed_in = await http.post("/graphql", json={
                "query": "mutation($p: String!) { signIn(input: {username: \"dispatcher\", password: $p}) { staff { id } } }",
                "variables": {"p": PASSWORD},
            })  # fmt: skip
            assert signed_in.json()["data"]["signIn"]["staff"], signed_in.text

        async def report(i: int) -> tuple[str, dict]:
            title = f"并发诉求 {i:03d}"
            http = clients[i % len(clients)]  # the calls alternate between the processes
            response = await http.post("/graphql", json={"query": REPORT, "variables": {"input": {
                "enterpriseId": to_global_id("Enterprise", enterprise_id), "category": "LABOUR", "title": title,
                "source": "HOTLINE",
            }}})  # fmt: skip
            return title, response.json()

        results = await asyncio.gather(*(report(i) for i in range(CALLS)))
    finally:
        for http in clients:
            await http.aclose()

    stored, refused = {}, []
    for title, body in results:
        payload = (body.get("data") or {}).get("reportIssue")
        if payload and payload["issue"]:
            assert payload["issue"]["title"] == title
            stored[title] = payload["issue"]["number"]
        else:
            # A clear error: a user error with a code, or a GraphQL error with a message.
            errors = (payload or {}).get("userErrors") or body.get("errors")
            assert errors and all(e.get("message") for e in errors), body
            refused.append((title, errors))
    rows = query(database, "SELECT title, number FROM issue")
    ((events,),) = query(database, "SELECT count(*) FROM issue_event WHERE action = 'report'")
    # None lost (every success is stored), none duplicated, nothing stored that was refused.
    assert dict(rows) == stored and len(rows) == len(stored) == events
    numbers = sorted(stored.values())
    assert len(set(numbers)) == len(numbers)
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == list(range(1, len(numbers) + 1))
    # Write transactions take SQLite's write lock up front (BEGIN IMMEDIATE, yimi.db) and wait for
    # it: whether one process or two, nobody should have been refused at all.
    assert not refused, refused[:3]
