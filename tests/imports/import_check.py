"""The all-or-nothing rule, by a failure injected mid-file, in a process of its own (Tortoise keeps
global state). Run by test_transactions.py on SQLite and PostgreSQL.

Usage: python import_check.py DATABASE_URL TOWNSHIPS.geojson REGISTER.csv (an empty database)
Imports the townships, then the register in batches of 5 with the third batch's write failing,
then the register again without the failure, then once more. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from yimi import db
from yimi.enterprises.models import Enterprise
from yimi.imports import enterprises, service
from yimi.issues.models import Issue
from yimi.settings import Settings


async def check(settings: Settings, townships: Path, register: Path) -> dict:
    await service.run_import("townships", townships, settings)
    original = enterprises.EnterpriseImporter.write
    calls = 0

    async def failing(self, outcomes, conn):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full (injected)")
        await original(self, outcomes, conn)

    enterprises.EnterpriseImporter.write = failing  # type: ignore[method-assign]
    try:
        await service.run_import("enterprises", register, settings, batch_size=5)
        raise AssertionError("the injected failure did not happen")
    except RuntimeError as error:
        failure = str(error)
    finally:
        enterprises.EnterpriseImporter.write = original  # type: ignore[method-assign]
    after_failure = await Enterprise.all().count()
    first = await service.run_import("enterprises", register, settings, batch_size=5)
    second = await service.run_import("enterprises", register, settings, batch_size=5)
    ledger = await issues_round(settings, register.parent)
    return {
        "ledger": ledger,
        "failure": failure,
        "batches_written_before_failure": calls - 1,
        "after_failure": after_failure,
        "created": first.created,
        "committed": first.committed,
        "rerun_unchanged": second.unchanged,
        "rerun_created": second.created,
        "count": await Enterprise.all().count(),
    }


async def issues_round(settings: Settings, folder: Path) -> dict:
    """A small ledger: ids come from the tables' sequences (PostgreSQL), numbers per year, and an
    issue created the ordinary way afterwards gets the next id."""
    import csv

    from yimi.accounts.models import Department
    from yimi.issues.models import IssueEvent
    from yimi.issues.workflow import replay
    from yimi.teams.models import ServiceTeam, TeamKind

    department = await Department.create(name="县财政局")
    await ServiceTeam.create(name="金融服务团", kind=TeamKind.SPECIALISED, lead_department=department)
    names = [e.name for e in await Enterprise.all().order_by("id").limit(3)]
    path = folder / "ledger.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["企业名称", "问题类型", "问题描述", "反映时间", "责任单位", "办理状态", "办结时间", "满意度"])
        writer.writerow([names[0], "融资", "贷款。", "2023-05-06", "金融服务团", "已办结", "2023-05-10", "满意"])
        writer.writerow([names[1], "融资", "担保。", "2023-05-07", "金融服务团", "办理中", "", ""])
        writer.writerow([names[2], "政策", "咨询。", "2024-01-08", "", "", "", ""])
    first = await service.run_import("issues", path, settings)
    again = await service.run_import("issues", path, settings)
    statuses = []
    for issue in await Issue.all().order_by("id"):
        events = await IssueEvent.filter(issue_id=issue.id).order_by("created_at", "id")
        final = replay([(e.action, e.from_status, e.to_status) for e in events])
        statuses.append([issue.number, issue.status.value, final.value if final else None, len(events)])
    later = await IssueEvent.create(
        issue_id=statuses and (await Issue.all().order_by("id").first()).id,  # type: ignore[union-attr]
        action="note",
        note="afterwards",
        created_at=datetime.now(UTC),
    )
    top = max(await IssueEvent.all().values_list("id", flat=True))
    return {
        "created": first.created,
        "unchanged": again.unchanged,
        "issues": statuses,
        "later_event_is_last": later.id == top,
    }


async def main(url: str, townships: Path, register: Path) -> None:
    settings = Settings(database_url=url)
    await db.migrate(settings)
    await db.init_db(settings)
    try:
        print(json.dumps(await check(settings, townships, register)))
    finally:
        await db.close_db()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
