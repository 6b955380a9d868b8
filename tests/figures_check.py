"""The figures kept on write (migration 0010) against counts on read, after every kind of write, on
the database at the URL given (a SQLite file or a PostgreSQL server, in a process of its own since
Tortoise keeps global state). Run by tests/test_figures.py on both.

Migrates to the migration before the figures', loads the demo, migrates the rest (the backfill),
then after each kind of write — the demo loader, issue reports and every workflow change, an
approved extension, new warning thresholds, a ledger-style bulk insert, an enterprise import that
adds enterprises and moves one, moves and deletes through the ORM, a demo reset — compares every
figure with its count on read. Prints one JSON object (the same on SQLite and PostgreSQL) and exits
0, or raises. Usage: python -m tests.figures_check sqlite:///tmp/x.sqlite3 | postgres://…/db
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest.mock import AsyncMock, patch

from tortoise import Tortoise, connections

from yimi import db
from yimi.accounts.models import Staff
from yimi.accounts.read_rules import STAFF, Access
from yimi.demo.loader import load_demo
from yimi.enterprises.models import Enterprise
from yimi.enterprises.service import EnterpriseCriteria, EnterpriseOrderField, enterprise_queryset, ordering
from yimi.imports.service import run_import
from yimi.issues.filters import IssueCriteria, IssueOrderField, issue_queryset, ordered
from yimi.issues.models import OPEN_STATUSES, OPEN_VALUES, Issue, IssueCategory, IssueSource, IssueStatus, Satisfaction
from yimi.issues.service import IssueDraft, IssueWorkflow
from yimi.issues.warning import overdue_q, recompute_thresholds
from yimi.settings import Settings
from yimi.teams.models import ServiceTeam
from yimi.townships.models import Township

TODAY = date(2024, 6, 3)
NOW = datetime(2024, 6, 3, 4, 0, tzinfo=UTC)  # noon in the county
EVERYTHING = Access(grants=STAFF)


def figures_migration() -> tuple[str, str]:
    """(the figures migration, the one it follows): found by name, so that renumbering needs nothing here."""
    folder = Path(db.__file__).parent / "migrations"
    [path] = folder.glob("[0-9][0-9][0-9][0-9]_open_issue_figures.py")
    text = path.read_text(encoding="utf-8")
    before = text.split('dependencies = [("yimi", "')[1].split('"')[0]
    return path.stem, before


async def rows(sql: str) -> list[tuple]:
    _, result = await connections.get("default").execute_query(sql)
    return [tuple(r.values()) if hasattr(r, "values") else tuple(r) for r in result]


OPEN = "(" + ",".join(f"'{v}'" for v in OPEN_VALUES) + ")"
DRIFT_QUERIES = {
    "enterprise.open_issue_count": f"""SELECT e.id, e.open_issue_count, (SELECT COUNT(*) FROM issue i
        WHERE i.enterprise_id = e.id AND i.status IN {OPEN}) FROM enterprise e""",
    "township.enterprise_count": """SELECT t.id, t.enterprise_count,
        (SELECT COUNT(*) FROM enterprise e WHERE e.township_id = t.id) FROM township t""",
    "township.open_issue_count": f"""SELECT t.id, t.open_issue_count, (SELECT COUNT(*) FROM issue i
        JOIN enterprise e ON e.id = i.enterprise_id WHERE e.township_id = t.id AND i.status IN {OPEN}) FROM township t""",
}


async def drift(step: str) -> None:
    """Raises unless every figure equals its count on read, and open_issue mirrors the open issues."""
    for name, sql in DRIFT_QUERIES.items():
        wrong = [r for r in await rows(sql) if r[1] != r[2]]
        assert not wrong, f"after {step}: {name} differs from the count on read for (id, kept, counted) {wrong[:5]}"
    kept = set(
        await rows("SELECT issue_id, enterprise_id, township_id, deadline, yellow_at, orange_at FROM open_issue")
    )
    counted = set(
        await rows(
            "SELECT i.id, i.enterprise_id, e.township_id, i.deadline, i.yellow_at, i.orange_at FROM issue i "
            f"JOIN enterprise e ON e.id = i.enterprise_id WHERE i.status IN {OPEN}"
        )
    )
    assert kept == counted, f"after {step}: open_issue has {len(kept - counted)} stale, {len(counted - kept)} missing"
    # The overdue count the townships read equals the one the issue filter gives.
    from yimi.common.figures import overdue_by_township

    ids = [t.id for t in await Township.all()]
    by_table = await overdue_by_township(ids, NOW)
    total = await Issue.filter(overdue_q(NOW)).count()
    assert sum(by_table.values()) == total, f"after {step}: overdue {sum(by_table.values())} != {total}"


async def keyset_equals_offset() -> int:
    """Keyset pages equal offset pages for every order (the API test does it through HTTP on SQLite)."""
    walked = 0
    checks = [
        (enterprise_queryset(EnterpriseCriteria(), EVERYTHING), ordering(f, d, EVERYTHING))
        for f in EnterpriseOrderField
        for d in (False, True)
    ]
    for statuses in ([], list(OPEN_STATUSES)):
        for field in IssueOrderField:
            for d in (False, True):
                checks.append(
                    ordered(issue_queryset(IssueCriteria(statuses=statuses), NOW, EVERYTHING), field, d, statuses)
                )
    for qs, order in checks:
        everything = [r.pk for r in await order.apply(qs)]
        got: list[int] = []
        page = await order.apply(qs).limit(50)
        while page:
            got += [r.pk for r in page]
            page = await order.apply(qs.filter(order.after(order.cursor(page[-1])))).limit(50)
        assert got == everything, (order.name, len(got), len(everything))
        walked += 1
    return walked


async def workflow_writes(settings: Settings) -> None:
    admin = next(s for s in await Staff.filter(is_active=True).order_by("id") if "admin" in s.roles)
    flow = IssueWorkflow(admin, settings, NOW)
    team = await ServiceTeam.all().order_by("id").first()
    assert team is not None
    enterprises = await Enterprise.all().order_by("id").limit(3)
    draft = IssueDraft(IssueCategory.POWER, "汛后反复跳闸", IssueSource.HOTLINE)
    a = await flow.report(enterprises[0].id, draft)
    await drift("report")
    a = await flow.dispatch(a.id, a.version, team.id)
    a = await flow.accept(a.id, a.version)
    await drift("dispatch and accept")
    a, request = await flow.request_extension(a.id, a.version, NOW + timedelta(days=60), "等待供电公司检修")
    a, _ = await flow.decide_extension(request.id, a.version, approve=True)
    await drift("approved extension (deadline moved)")
    a = await flow.resolve(a.id, a.version, "已协调检修")
    await drift("resolve")
    a = await flow.reopen(a.id, a.version, "仍然跳闸")
    await drift("reopen")
    a = await flow.resolve(a.id, a.version, "更换变压器")
    a = await flow.confirm(a.id, a.version, Satisfaction.SATISFIED)
    await drift("confirm (closed)")
    b = await flow.report(enterprises[1].id, draft)
    b = await flow.dispatch(b.id, b.version, team.id)
    b = await flow.return_(b.id, b.version, "不属于本团职责")
    await drift("return")
    # An issue moved to another enterprise (and township) by plain SQL, then deleted.
    other = await Enterprise.exclude(township_id=enterprises[1].township_id).order_by("id").first()
    assert other is not None
    await Issue.filter(id=b.id).update(enterprise_id=other.id)
    await drift("issue moved to another enterprise")
    await Issue.filter(id=b.id).delete()
    await drift("issue deleted")


async def bulk_writes(settings: Settings, workdir: Path) -> None:
    # A ledger-style bulk insert of open and closed issues (as yimi.imports.issues writes them).
    template = await Issue.filter(status=IssueStatus.CLOSED).order_by("id").first()
    assert template is not None
    enterprise_ids = [e.id for e in await Enterprise.all().order_by("id").limit(5)]
    fields = {
        f: getattr(template, f)
        for f in ("category", "title", "source", "priority", "reported_at", "deadline", "yellow_at", "orange_at")
    }
    new = [
        Issue(
            **fields,
            number=f"LEDGER-{i}",
            enterprise_id=enterprise_ids[i % 5],
            status=[IssueStatus.REPORTED, IssueStatus.CLOSED, IssueStatus.IN_PROGRESS][i % 3],
        )
        for i in range(30)
    ]
    await Issue.bulk_create(new)
    await drift("bulk insert of issues")
    await Issue.filter(number__startswith="LEDGER-", status=IssueStatus.REPORTED).update(status=IssueStatus.DISPATCHED)
    await Issue.filter(number__startswith="LEDGER-", status=IssueStatus.IN_PROGRESS).update(status=IssueStatus.RESOLVED)
    await drift("bulk status update")
    await recompute_thresholds(0.4, 0.7)
    await drift("new warning thresholds")
    # An enterprise import: new enterprises, then a re-import moving one to another township.
    from tests.imports.fixtures import HEADER, register_rows, write_csv

    townships = await Township.all().order_by("code").limit(2)
    points = [(townships[i % 2].name, townships[i % 2].seat_lon, townships[i % 2].seat_lat) for i in range(4)]
    register = write_csv(workdir / "register.csv", HEADER, register_rows(points))
    result = await run_import("enterprises", register, settings, now=NOW)
    assert result.created == 4, result
    await drift("enterprise import")
    moved = register_rows([(townships[1].name, townships[1].seat_lon, townships[1].seat_lat), *points[1:]])
    result = await run_import(
        "enterprises", write_csv(workdir / "again.csv", HEADER, moved), settings, update=True, now=NOW
    )
    assert result.updated >= 1, result
    await drift("enterprise import moving an enterprise")
    # Moves and deletes through the ORM: an enterprise with open issues changes township.
    busy = await Enterprise.annotate().filter(issues__status__in=OPEN_VALUES).order_by("id").first()
    assert busy is not None
    elsewhere = await Township.exclude(id=busy.township_id).order_by("id").first()
    assert elsewhere is not None
    await Enterprise.filter(id=busy.id).update(township_id=elsewhere.id)
    await drift("enterprise moved")
    newest = await Enterprise.all().order_by("-id").first()
    assert newest is not None
    await Enterprise.filter(id=newest.id).delete()
    await drift("enterprise deleted")


async def answers() -> dict:
    """What the lists read from the figures: the same on SQLite and PostgreSQL."""
    top = (
        await enterprise_queryset(EnterpriseCriteria(has_open_issues=True), EVERYTHING)
        .order_by("-open_issues", "id")
        .limit(10)
    )
    townships = await Township.all().order_by("code").values_list("code")
    from yimi.common.figures import TOWNSHIP_FIGURES, overdue_by_township

    figures = await Township.all().annotate(**TOWNSHIP_FIGURES).order_by("code")
    overdue = await overdue_by_township([t.id for t in figures], NOW)
    qs, order = ordered(
        issue_queryset(IssueCriteria(statuses=list(OPEN_STATUSES)), NOW, EVERYTHING),
        IssueOrderField.DEADLINE,
        False,
        list(OPEN_STATUSES),
    )
    first_page = await order.apply(qs).limit(20)
    return {
        "top_enterprises": [(e.uscc, e.open_issues) for e in top],
        "townships": len(townships),
        "township_figures": [(t.code, t.enterprises_in, t.open_issues, overdue.get(t.id, 0)) for t in figures],
        "open_by_deadline": [i.number for i in first_page],
    }


async def main(url: str) -> None:
    settings = Settings(database_url=url, frontend_dist=Path("/nonexistent"))
    figures, before = figures_migration()
    config = db.tortoise_config(settings)
    from tortoise.migrations.api import migrate

    await migrate(config=config, target=f"yimi.{before}")
    await Tortoise.close_connections()
    await db.init_db(settings)
    # The schema before the figures has no statistics_release table yet (a later migration): no release.
    with patch("yimi.demo.loader.publish", AsyncMock(return_value=[])):
        await load_demo(settings, progress=False, today=TODAY)
    await db.close_db()
    await db.migrate(settings)  # the figures migration: its backfill
    await db.init_db(settings)
    steps = []
    try:
        await drift("backfill")
        steps.append("backfill")
        await load_demo(settings, progress=False, today=TODAY, reset=True)
        await drift("demo reset and load")
        result = {"before": await answers()}
        await workflow_writes(settings)
        with tempfile.TemporaryDirectory() as workdir:
            await bulk_writes(settings, Path(workdir))
        result["walked"] = await keyset_equals_offset()
        result["after"] = await answers()
    finally:
        await db.close_db()
    result["migration"] = figures
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
