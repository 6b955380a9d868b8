"""Loads a small province into YIMI_DATABASE_URL (migrating it first) and prints, as JSON, what the
tests in test_province.py check: row counts and digests, the township codes, SQL counts beside the
GraphQL answers for the same figures, and how refusals and failures left the database.

Run in a subprocess (as tests/pg_answers.py), because it initialises Tortoise on its own database.
``python -m tests.demo.province_answers WORKERS``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from shapely.geometry import Point, shape
from tortoise import connections

from tests.issues.workflow_helpers import SIGN_IN
from yimi import db
from yimi.accounts.models import Department, Staff
from yimi.accounts.service import set_password
from yimi.app import create_app
from yimi.common.errors import ServiceError
from yimi.demo import province_issues, province_loader
from yimi.demo.loader import TABLES
from yimi.demo.province_loader import load_province, province_config
from yimi.settings import Settings

TODAY = date(2026, 11, 25)
SIZES = {"n_enterprises": 1_200, "n_issues": 3_000, "chunk_issues": 600}
PASSWORD = "province answers password"
TOWNSHIPS = """query($after: String) { townships(first: 100, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { code enterpriseCount openIssueCount overdueIssueCount } } }"""
ISSUES = "query($s: [IssueStatus!]) { issues(first: 1, filter: {statuses: $s}) { totalCount } }"
OVERDUE = "{ issues(first: 0, filter: {overdue: true}) { totalCount } }"
# statistics(year) and statisticsYears (which publishes the due releases first) are left out: their
# small-count suppression takes many minutes over 2,586 townships holding a handful of issues each.
MAP_LAYER = "{ mapLayer }"
REPORT = """mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  issue { number } userErrors { field message } } }"""
OPEN = ("reported", "dispatched", "in_progress", "returned", "reopened")


async def sql(query: str, values: list | None = None) -> list[dict]:
    return await connections.get("default").execute_query_dict(query, values)


async def table_counts() -> dict[str, int]:
    return {name: await model.all().count() for name, model in TABLES}


async def digests() -> dict[str, str]:
    """A digest of each table's rows in id order, as Tortoise reads them (same types on both databases)."""
    out = {}
    for name, model in TABLES:
        fields = sorted(model._meta.fields_db_projection)
        rows = await model.all().order_by("id").values_list(*fields)
        text = json.dumps([[_plain(v) for v in row] for row in rows], ensure_ascii=False, sort_keys=True)
        out[name] = hashlib.sha256(text.encode()).hexdigest()
    return out


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


async def refusals(settings: Settings) -> dict:
    """Loading over other data is refused and writes nothing; a load that fails half-way leaves nothing."""
    department = await Department.create(name="已有部门")
    try:
        await load_province(settings, province_config(settings, **SIZES), today=TODAY, progress=False, workers=0)
        refused = None
    except ServiceError as error:
        refused = error.message
    after_refusal = await table_counts()
    await department.delete()

    def broken(self, rows):
        if rows.chunk.index == 2:
            raise RuntimeError("disk full (simulated)")
        return original(self, rows)

    original = province_issues.IssueNumbers.apply
    province_issues.IssueNumbers.apply = broken  # type: ignore[method-assign]
    try:
        await load_province(settings, province_config(settings, **SIZES), today=TODAY, progress=False, workers=0)
        failed = None
    except RuntimeError as error:
        failed = str(error)
    finally:
        province_issues.IssueNumbers.apply = original  # type: ignore[method-assign]
    versions = await sql("SELECT version FROM data_version")
    return {
        "refused": refused,
        "after_refusal": after_refusal,
        "failed": failed,
        "after_failure": await table_counts(),
        "triggers_after_failure": await _trigger_count(),
        "version_before": versions[0]["version"],
    }


async def _trigger_count() -> int:
    if connections.get("default").capabilities.dialect == "postgres":
        rows = await sql("SELECT COUNT(*) AS n FROM pg_trigger WHERE NOT tgisinternal")
    else:
        rows = await sql("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger'")
    return int(rows[0]["n"])


async def sql_figures(settings: Settings) -> dict:
    now = datetime.now(UTC)
    zone = ZoneInfo(settings.timezone)
    marks = ", ".join(f"'{s}'" for s in OPEN)
    per_township = {}
    for r in await sql(
        "SELECT t.code, COUNT(e.id) AS n FROM township t LEFT JOIN enterprise e ON e.township_id = t.id GROUP BY t.code"
    ):
        per_township[r["code"]] = [int(r["n"]), 0, 0]
    rows = await sql(
        f"SELECT t.code, COUNT(*) AS n, SUM(CASE WHEN i.deadline < $1 THEN 1 ELSE 0 END) AS late FROM issue i "
        f"JOIN enterprise e ON e.id = i.enterprise_id JOIN township t ON t.id = e.township_id "
        f"WHERE i.status IN ({marks}) GROUP BY t.code".replace("$1", "?" if _sqlite() else "$1"),
        [now],
    )
    for r in rows:
        per_township[r["code"]][1:] = [int(r["n"]), int(r["late"])]
    by_status = {r["status"]: int(r["n"]) for r in await sql("SELECT status, COUNT(*) AS n FROM issue GROUP BY status")}
    years = {}
    for year in range(2019, TODAY.year + 2):
        start, end = (datetime(y, 1, 1, tzinfo=zone) for y in (year, year + 1))
        q = "SELECT COUNT(*) AS n FROM issue WHERE reported_at >= $1 AND reported_at < $2"
        years[year] = int(
            (await sql(q.replace("$1", "?").replace("$2", "?") if _sqlite() else q, [start, end]))[0]["n"]
        )
    return {"per_township": per_township, "by_status": by_status, "issues_per_year": years}


def _sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


async def graphql_figures(app, admin: Staff) -> dict:
    await set_password(admin, PASSWORD)
    out: dict = {"per_township": {}, "by_status": {}}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:

        async def ask(query: str, variables: dict | None = None) -> dict:
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers={"X-Yimi-CSRF": "1"}
            )
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        await ask(SIGN_IN, {"u": admin.username, "p": PASSWORD})
        after = None
        while True:
            page = (await ask(TOWNSHIPS, {"after": after}))["townships"]
            out["township_total"] = page["totalCount"]
            for n in page["nodes"]:
                out["per_township"][n["code"]] = [n["enterpriseCount"], n["openIssueCount"], n["overdueIssueCount"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        for status in ("REPORTED", "DISPATCHED", "IN_PROGRESS", "RETURNED", "REOPENED", "RESOLVED", "CLOSED"):
            out["by_status"][status.lower()] = (await ask(ISSUES, {"s": [status]}))["issues"]["totalCount"]
        out["overdue"] = (await ask(OVERDUE))["issues"]["totalCount"]
        layer = (await ask(MAP_LAYER))["mapLayer"]
        out["map_points"] = len(layer["features"])
        enterprise = layer["features"][0]["properties"]["id"]
        report = {"enterpriseId": enterprise, "category": "POWER", "title": "省级演示后新报诉求", "source": "HOTLINE"}
        out["reported"] = (await ask(REPORT, {"input": report}))["reportIssue"]
    return out


async def geometry_checks() -> dict:
    from yimi.enterprises.models import Enterprise
    from yimi.townships.models import Township

    cells = {t.id: shape(t.boundary) for t in await Township.all()}
    outside = [e.id for e in await Enterprise.all() if not cells[e.township_id].contains(Point(e.lon, e.lat))]
    seats_outside = [t.code for t in await Township.all() if not cells[t.id].contains(Point(t.seat_lon, t.seat_lat))]
    return {"enterprises_outside": outside, "seats_outside": seats_outside}


STARTED = (time.perf_counter(), time.process_time())


def phase(name: str) -> None:
    """How long each part took, on standard error (the test shows it when it fails)."""
    print(
        f"{name}: {time.perf_counter() - STARTED[0]:.1f} s, {time.process_time() - STARTED[1]:.1f} s CPU",
        file=sys.stderr,
        flush=True,
    )


async def main(workers: int) -> None:
    settings = Settings(frontend_dist=Path("/nonexistent"))
    await db.migrate(settings)
    await db.init_db(settings)
    phase("migrate")
    # The townships and enterprises once for the three loads below (the test of determinism compares
    # two processes, each of which made its own).
    made = {}
    generate = province_loader.generate_province_base

    def remembered(config, stage):
        if "base" not in made:
            made["base"] = generate(config, stage)
        return made["base"]

    province_loader.generate_province_base = remembered  # type: ignore[assignment]
    answers: dict = {"refusals": await refusals(settings)}
    phase("refusals")
    summary = await load_province(
        settings, province_config(settings, **SIZES), today=TODAY, progress=False, workers=workers
    )
    answers["summary"] = {"loaded": summary.loaded, "counts": summary.counts}
    phase("load")
    again = await load_province(settings, province_config(settings, **SIZES), today=TODAY, progress=False)
    answers["again_loaded"] = again.loaded
    answers["version_after"] = (await sql("SELECT version FROM data_version"))[0]["version"]
    answers["triggers_after"] = await _trigger_count()
    answers["counts"] = await table_counts()
    answers["digests"] = await digests()
    phase("digests")
    answers["township_codes"] = sorted(r["code"] for r in await sql("SELECT code FROM township"))
    answers["geometry"] = await geometry_checks()
    phase("geometry")
    answers["sql"] = await sql_figures(settings)
    phase("sql")
    admin = next(
        s for s in await Staff.filter(is_active=True).order_by("id") if "admin" in s.roles and not s.township_scope
    )
    answers["graphql"] = await graphql_figures(create_app(settings, manage_db=False), admin)
    phase("graphql")
    await db.close_db()
    json.dump(answers, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
