"""Prints, as JSON, the answers of a fixed set of read queries on YIMI_DATABASE_URL after
migrating it and loading the demo: run against SQLite and PostgreSQL, the answers must agree."""

import asyncio
import json
import sys
from pathlib import Path

import httpx

from yimi import db
from yimi.accounts.models import Staff
from yimi.accounts.service import set_password
from yimi.app import create_app
from yimi.demo.loader import load_demo
from yimi.settings import Settings

QUERIES = [
    "{ townships(first: 100) { totalCount nodes { code enterpriseCount openIssueCount overdueIssueCount coveringTeams { name } } } }",
    '{ enterprises(first: 0, filter: {search: "尉氏", hasOpenIssues: true, bbox: [113, 33, 115, 35]}) { totalCount } }',
    "{ enterprises(first: 100, orderBy: {field: OPEN_ISSUE_COUNT, direction: DESC}) { nodes { uscc openIssueCount } } }",
    '{ issues(first: 100, filter: {warningColors: [RED, ORANGE], search: "电"}, orderBy: {field: DEADLINE}) { totalCount nodes { number status warningColor } } }',
    '{ issues(first: 0, filter: {reportedBetween: {from: "2021-07-01T00:00:00+08:00", to: "2021-09-01T00:00:00+08:00"}, categories: [POWER]}) { totalCount } }',
    '{ serviceTeams(filter: {speciality: FINANCING, townshipCodes: ["410223105"]}) { totalCount nodes { name } } coverage { township { code } gaps } }',
    '{ mapLayer(filter: {townshipCodes: ["410223105", "410223107"]}) }',
    # Orderings by a rank computed in SQL (CASE … THEN n): the numbers must reach PostgreSQL as numbers.
    "{ issues(first: 30, orderBy: {field: PRIORITY, direction: DESC}) { nodes { number priority } } }",
    "{ issues(first: 30, orderBy: {field: STATUS}) { nodes { number status } } }",
    "{ issues(first: 30, orderBy: {field: DEADLINE}) { nodes { number status deadline } } }",
]
SIGN_IN = "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } } }"
PASSWORD = "postgres read test password"


async def main() -> None:
    settings = Settings(frontend_dist=Path("/nonexistent"))
    await db.migrate(settings)
    await db.init_db(settings)
    await load_demo(settings, progress=False)
    app = create_app(settings, manage_db=False)
    answers = []
    # The queries read enterprises, issues and exact figures: they are asked by an administrator.
    admin = next(
        s for s in await Staff.filter(is_active=True).order_by("id") if "admin" in s.roles and not s.township_scope
    )
    await set_password(admin, PASSWORD)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
        signed_in = await client.post(
            "/graphql",
            json={"query": SIGN_IN, "variables": {"u": admin.username, "p": PASSWORD}},
            headers={"X-Yimi-CSRF": "1"},
        )
        assert signed_in.json()["data"]["signIn"]["staff"], signed_in.text
        for query in QUERIES:
            answers.append((await client.post("/graphql", json={"query": query})).json())
    await db.close_db()
    json.dump(answers, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    asyncio.run(main())
