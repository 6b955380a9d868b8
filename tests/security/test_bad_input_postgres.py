"""What PostgreSQL refuses where SQLite does not, refused before it gets there (issue 10, finding 7).

PostgreSQL refuses a NUL character in text ("invalid byte sequence for encoding UTF8: 0x00") and a
key past int4 ("value out of int32 range"): both reached the client as "Unexpected error.", while
SQLite stored the NUL and found nothing for the key. Both databases now answer alike: a
BAD_USER_INPUT error naming the argument, or a userError naming the field, and nothing stored.

Tortoise keeps one global connection per process (the suite's is SQLite), so the requests run in
a subprocess (this file run as a script) against a scratch PostgreSQL database it creates and
drops; the test compares its answers with SQLite's for the same requests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

ADMIN_URL = os.environ.get("YIMI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "bad input test password"


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


BIG = 2**31
REPORT = (
    'mutation($e: ID!, $d: String!) { reportIssue(input: {enterpriseId: $e, category: POWER, title: "线路跳闸",'
    " source: HOTLINE, description: $d}) { issue { description } userErrors { field code } } }"
)
# (query, variables); "$ENTERPRISE" stands for the one enterprise's global ID.
REQUESTS: list[tuple[str, dict]] = [
    ("query($s: String) { issues(filter: {search: $s}) { totalCount } }", {"s": "跳\x00闸"}),
    ("query($s: String) { enterprises(filter: {search: $s}) { totalCount } }", {"s": "\x00"}),
    ("query($c: [String!]) { enterprises(filter: {townshipCodes: $c}) { totalCount } }", {"c": ["41022\x00"]}),
    ("query($c: [String!]) { townships(filter: {codes: $c}) { totalCount } }", {"c": ["41022\x00"]}),
    ("query($i: ID!) { node(id: $i) { id } }", {"i": gid("Issue", BIG)}),
    ("query($i: ID!) { node(id: $i) { id } }", {"i": gid("Enterprise", 2**40)}),
    ("query($i: [ID!]!) { nodes(ids: $i) { id } }", {"i": [gid("ServiceTeam", BIG)]}),
    ("query($i: ID) { issues(filter: {team: $i}) { totalCount } }", {"i": gid("ServiceTeam", BIG)}),
    ("query($i: ID) { issues(filter: {enterprise: $i}) { totalCount } }", {"i": gid("Enterprise", BIG)}),
    (REPORT, {"e": gid("Enterprise", BIG), "d": ""}),
    (REPORT, {"e": "$ENTERPRISE", "d": "跳\x00闸"}),
    (
        'mutation($i: ID!) { addIssueNote(input: {issueId: $i, note: "看看"}) { userErrors { field code } } }',
        {"i": gid("Issue", BIG)},
    ),
    (REPORT, {"e": "$ENTERPRISE", "d": "汛后线路频繁跳闸"}),  # the same database takes a proper report
]


async def answers(database_url: str) -> list[dict]:
    """The answers to REQUESTS from an administrator, on a freshly migrated database with one enterprise."""
    import httpx

    from yimi import db
    from yimi.accounts.models import Role
    from yimi.accounts.service import create_user
    from yimi.app import create_app
    from yimi.enterprises.models import Enterprise, EnterpriseSize
    from yimi.settings import Settings
    from yimi.townships.models import Township, TownshipKind

    settings = Settings(database_url=database_url, frontend_dist=Path("/nonexistent"))
    await db.migrate(settings)
    await db.init_db(settings)
    try:
        township = await Township.create(
            code="410223105", name="张市镇", kind=TownshipKind.TOWN, county_code="410223", county_name="尉氏县",
            seat_lon=114.2, seat_lat=34.4,
        )  # fmt: skip
        enterprise = await Enterprise.create(
            name="尉氏县测试电器有限公司", uscc="91410223MA00000000", industry="C", size=EnterpriseSize.SMALL,
            township=township, lon=114.2, lat=34.4,
        )  # fmt: skip
        await create_user("bad-input-admin", "管理员", "县营商环境服务中心", [Role.ADMIN], PASSWORD)
        app = create_app(settings, manage_db=False)
        headers = {"X-Yimi-CSRF": "1", "content-type": "application/json"}
        result = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
            sign_in = (
                "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } } }"
            )
            body = json.dumps({"query": sign_in, "variables": {"u": "bad-input-admin", "p": PASSWORD}})
            assert (await client.post("/graphql", content=body, headers=headers)).json()["data"]["signIn"]["staff"]
            for query, variables in REQUESTS:
                variables = {
                    k: gid("Enterprise", enterprise.id) if v == "$ENTERPRISE" else v for k, v in variables.items()
                }
                response = await client.post(
                    "/graphql", content=json.dumps({"query": query, "variables": variables}), headers=headers
                )
                result.append({"status": response.status_code, "body": response.json()})
            count = await Enterprise.all().count()
            from yimi.issues.models import Issue

            result.append({"issues": await Issue.all().count(), "enterprises": count})
    finally:
        await db.close_db()
    return result


def run(database_url: str) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'backend'}"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.test_bad_input_postgres", database_url],
        capture_output=True, text=True, env=env, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(answer: dict) -> object:
    """What the client learns, without error IDs and locations."""
    if "issues" in answer:
        return answer
    body = answer["body"]
    errors = [
        (e["message"], e.get("extensions", {}).get("code"), e.get("extensions", {}).get("argument"))
        for e in body.get("errors", [])
    ]
    return answer["status"], body.get("data"), errors


@pytest.fixture
async def pg_database():
    name = f"yimi_bad_input_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL is not answering at {ADMIN_URL} ({error}); .ci/run starts it")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.timeout(240)
async def test_postgres_refuses_nothing_that_sqlite_takes(pg_database, tmp_path):
    on_postgres = await asyncio.to_thread(run, pg_database)
    on_sqlite = await asyncio.to_thread(run, f"sqlite://{tmp_path / 'same.sqlite3'}")
    assert [summary(a) for a in on_postgres] == [summary(a) for a in on_sqlite]
    for answer in on_postgres[:-1]:
        assert answer["status"] == 200
        assert "Unexpected error." not in json.dumps(answer["body"]), answer
    *requests, counts = on_postgres
    errors = [a["body"].get("errors") or [] for a in requests[:9]]
    assert all(e and e[0]["extensions"]["code"] == "BAD_USER_INPUT" for e in errors), errors
    assert [e[0]["extensions"]["argument"] for e in errors] == [
        "filter.search", "filter.search", "filter.townshipCodes[0]", "filter.codes[0]",
        "id", "id", "ids[0]", "filter.team", "filter.enterprise",
    ]  # fmt: skip
    report_big, report_nul, note_big, report_ok = (a["body"]["data"] for a in requests[9:])
    assert report_big["reportIssue"]["userErrors"] == [{"field": "enterpriseId", "code": "NOT_A_GLOBAL_ID"}]
    assert report_nul["reportIssue"]["userErrors"] == [{"field": "description", "code": "INVALID"}]
    assert note_big["addIssueNote"]["userErrors"] == [{"field": "issueId", "code": "NOT_A_GLOBAL_ID"}]
    assert report_ok["reportIssue"] == {"issue": {"description": "汛后线路频繁跳闸"}, "userErrors": []}
    assert counts == {"issues": 1, "enterprises": 1}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(answers(sys.argv[1])), ensure_ascii=True))
