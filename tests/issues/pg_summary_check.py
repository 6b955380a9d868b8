"""Prints, as JSON, issueSummary and the independent figures (summary_check.compare) for several
callers, filters and work queues on YIMI_DATABASE_URL, after migrating it and loading the demo.

Run by test_summary_postgres.py against PostgreSQL and SQLite: on each, the two must agree, and
the answers must be the same on both.
"""

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

import httpx

from tests.conftest import CSRF_HEADERS, GraphQLClient
from tests.issues.summary_check import FILTERS, compare
from yimi import db
from yimi.accounts.models import Staff
from yimi.accounts.service import set_password
from yimi.app import create_app
from yimi.demo.loader import load_demo
from yimi.issues.models import ExtensionRequest, Issue, IssueStatus
from yimi.settings import Settings

PASSWORD = "postgres summary test password"
SIGN_IN = "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } } }"
CASES = [("admin", filter) for _, filter in FILTERS] + [
    ("team_member", None),
    ("team_member", {"queue": "TEAM_IN_PROGRESS"}),
    ("team_member", {"queue": "TEAM_OVERDUE"}),
    ("commissioner", {"queue": "MY_ENTERPRISES", "statuses": ["CLOSED", "REOPENED"]}),
    ("dispatcher", {"queue": "EXTENSIONS_TO_DECIDE"}),
    ("dispatcher", {"queue": "TO_DISPATCH", "priorities": ["URGENT"]}),
]


async def main() -> None:
    settings = Settings(frontend_dist=Path("/nonexistent"), rate_limit_points=100_000, max_query_cost=5_000)
    await db.migrate(settings)
    await db.init_db(settings)
    await load_demo(settings, progress=False)
    app = create_app(settings, manage_db=False)
    # The demo has no extension request: two pending ones, so that that queue is not empty.
    for issue in await Issue.filter(status=IssueStatus.IN_PROGRESS).order_by("id").limit(2):
        await ExtensionRequest.create(
            issue_id=issue.id,
            requested_at=issue.reported_at,
            requested_deadline=issue.deadline + timedelta(days=7),
            previous_deadline=issue.deadline,
            reason="等待审批",
        )
    staff = await Staff.filter(is_active=True).order_by("id")
    clients: dict[str, GraphQLClient] = {}
    answers = []
    for role, filter in CASES:
        if role not in clients:
            who = next(s for s in staff if role in s.roles and not s.township_scope)
            await set_password(who, PASSWORD)
            http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x", headers=CSRF_HEADERS)
            clients[role] = GraphQLClient(http)
            assert (await clients[role](SIGN_IN, {"u": who.username, "p": PASSWORD}))["signIn"]["staff"]
        got, expected = await compare(clients[role], filter)
        answers.append({"role": role, "filter": filter, "got": got, "expected": expected})
    for client in clients.values():
        await client.http.aclose()
    await db.close_db()
    json.dump(answers, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    asyncio.run(main())
