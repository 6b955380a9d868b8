"""The workflow's concurrency guarantees on PostgreSQL, in a process of its own.

Run by tests/issues/test_workflow_postgres.py (Tortoise keeps global state, and the rest of the
suite runs on SQLite). Creates a scratch database, migrates it, adds a minimal county, then:

- rounds of concurrent transitions carrying the same version: exactly one wins, the others get
  CONFLICT, and the timeline replays;
- many concurrent reports: distinct, consecutive numbers;
- a failure injected mid-transition: nothing written.

Prints one JSON object with what it saw and exits 0, or raises (non-zero exit). Always drops
its database. Usage: python pg_workflow_check.py postgres://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from yimi import db
from yimi.accounts.models import Department, Staff
from yimi.common.errors import ServiceError
from yimi.enterprises.models import Enterprise
from yimi.issues.models import DispatchOrder, Issue, IssueCategory, IssueEvent, IssueSource
from yimi.issues.service import IssueDraft, IssueWorkflow
from yimi.issues.workflow import replay
from yimi.settings import Settings
from yimi.teams.models import ServiceTeam, TeamKind, TeamMember
from yimi.townships.models import Township, TownshipKind

ROUNDS = 6
REPORTS = 60


def with_database(url: str, name: str, query: str = "") -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}", query=query))


async def seed() -> dict:
    township = await Township.create(
        code="410223101",
        name="张市镇",
        kind=TownshipKind.TOWN,
        county_code="410223",
        county_name="尉氏县",
        seat_lon=114.2,
        seat_lat=34.4,
    )
    dept = await Department.create(name="县营商环境服务中心")
    dispatcher = await Staff.create(username="dispatcher", name="派单员", department=dept, roles=["dispatcher"])
    member = await Staff.create(username="member", name="团员", department=dept, roles=["team_member"])
    team = await ServiceTeam.create(name="金融服务团", kind=TeamKind.SPECIALISED, lead_department=dept)
    await TeamMember.create(team=team, staff=member)
    enterprise = await Enterprise.create(
        name="尉氏县测试纺织有限公司",
        uscc="91410223MA00000001",
        industry="C",
        size="small",
        township=township,
        lon=114.2,
        lat=34.4,
    )
    return {"dispatcher": dispatcher, "member": member, "team": team.id, "enterprise": enterprise.id}


async def attempt(coro) -> str:
    try:
        await coro
        return "ok"
    except ServiceError as error:
        return error.code


async def check(settings: Settings) -> dict:
    cast = await seed()
    dispatcher, member = cast["dispatcher"], cast["member"]

    def as_(staff) -> IssueWorkflow:
        return IssueWorkflow(staff, settings, datetime.now(UTC))

    draft = IssueDraft(IssueCategory.FINANCING, "流动资金贷款续贷", IssueSource.HOTLINE)
    rounds = []
    for _ in range(ROUNDS):
        issue = await as_(dispatcher).report(cast["enterprise"], draft)
        issue = await as_(dispatcher).dispatch(issue.id, 1, cast["team"])
        # Three different changes, all from version 2, at once on separate connections.
        outcomes = await asyncio.gather(
            attempt(as_(member).accept(issue.id, 2)),
            attempt(as_(member).return_(issue.id, 2, "不属于本团职责")),
            attempt(as_(dispatcher).escalate(issue.id, 2, "督办")),
            attempt(as_(member).add_note(issue.id, "并发备注", version=2)),
        )
        row = await Issue.get(id=issue.id)
        events = await IssueEvent.filter(issue_id=issue.id).order_by("created_at", "id")
        assert sorted(outcomes) == ["CONFLICT", "CONFLICT", "CONFLICT", "ok"], outcomes
        assert row.version == 3 and len(events) == 3, (row.version, len(events))
        assert replay((e.action, e.from_status, e.to_status) for e in events) == row.status
        rounds.append(outcomes)

    issues = await asyncio.gather(*(as_(dispatcher).report(cast["enterprise"], draft) for _ in range(REPORTS)))
    numbers = sorted(i.number for i in issues)
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seqs == list(range(ROUNDS + 1, ROUNDS + REPORTS + 1)), seqs
    assert await Issue.all().count() == ROUNDS + REPORTS

    # A failure after the orders and the issue row were written leaves nothing behind.
    issue = issues[0]
    original = IssueEvent.create

    async def boom(*args, **kwargs):
        raise RuntimeError("injected failure")

    IssueEvent.create = classmethod(lambda cls, *a, **k: boom())
    try:
        await as_(dispatcher).dispatch(issue.id, 1, cast["team"])
        raise AssertionError("the injected failure did not happen")
    except RuntimeError:
        pass
    finally:
        IssueEvent.create = original
    row = await Issue.get(id=issue.id)
    assert (row.status.value, row.version, row.lead_team_id) == ("reported", 1, None)
    assert not await DispatchOrder.filter(issue_id=issue.id).exists()
    assert await IssueEvent.filter(issue_id=issue.id).count() == 1
    return {"rounds": rounds, "numbers": [numbers[0], numbers[-1]], "reports": len(numbers)}


async def main(admin_url: str) -> None:
    name = f"yimi_wf_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        settings = Settings(database_url=with_database(admin_url, name, "maxsize=10"))
        await db.migrate(settings)
        await db.init_db(settings)
        try:
            result = await check(settings)
        finally:
            await db.close_db()
        print(json.dumps({"database": name, **result}))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
