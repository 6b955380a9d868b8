"""Export the demo county, import it into an empty database: the same data comes back, and the
files are what a county expects (header row, frozen panes, column widths, county time)."""

from __future__ import annotations

import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

from python_calamine import CalamineWorkbook

from tests.databases import query
from tests.imports.conftest import ok, summary, yimi

TOWNSHIPS = (
    "SELECT code, name, kind, county_code, county_name, seat_lon, seat_lat, boundary FROM township ORDER BY code"
)
ENTERPRISES = (
    "SELECT e.name, uscc, t.code, address, lon, lat, industry, size, above_scale, chain, contact_person, "
    "contact_phone, risk_color FROM enterprise e JOIN township t ON t.id = e.township_id ORDER BY uscc"
)
ISSUES = (
    "SELECT number, e.uscc, category, title, description, source, priority, status, reported_at, deadline, "
    "yellow_at, orange_at, lt.name, resolution, resolved_at, closed_at, satisfaction, satisfaction_comment "
    "FROM issue i JOIN enterprise e ON e.id = i.enterprise_id LEFT JOIN service_team lt ON lt.id = i.lead_team_id "
    "ORDER BY number"
)
CO_HANDLERS = (
    "SELECT i.number, t.name FROM dispatch_order o JOIN issue i ON i.id = o.issue_id JOIN service_team t "
    "ON t.id = o.team_id WHERE o.role = 'co_handler' AND o.returned_at IS NULL ORDER BY 1, 2"
)
TEAMS = (
    "SELECT t.name, t.kind, p.name, d.name, t.specialities FROM service_team t LEFT JOIN service_team p "
    "ON p.id = t.parent_id JOIN department d ON d.id = t.lead_department_id ORDER BY t.name"
)
COVERAGE = (
    "SELECT t.name, s.code FROM team_coverage c JOIN service_team t ON t.id = c.team_id "
    "JOIN township s ON s.id = c.township_id ORDER BY 1, 2"
)


def test_demo_data_exported_and_imported_into_an_empty_database_is_the_same(demo_db, scratch_database_url, tmp_path):
    files = {}
    for kind, suffix in (("townships", "geojson"), ("teams", "xlsx"), ("enterprises", "xlsx"), ("issues", "xlsx")):
        files[kind] = tmp_path / f"{kind}.{suffix}"
        ok(yimi(demo_db, "export", kind, files[kind]))
    empty = scratch_database_url
    ok(yimi(empty, "migrate"))
    for kind, path in files.items():
        result = ok(yimi(empty, "import", kind, path, "--quiet"))
        assert summary(result)["skipped"] == 0, result
    for sql in (TOWNSHIPS, ENTERPRISES, ISSUES, CO_HANDLERS, TEAMS, COVERAGE):
        assert query(empty, sql) == query(demo_db, sql), sql
    assert query(empty, "SELECT count(*) FROM issue") == query(demo_db, "SELECT count(*) FROM issue")
    # Importing the export into the database it came from changes nothing.
    for kind, path in files.items():
        result = ok(yimi(demo_db, "import", kind, path, "--quiet"))
        assert summary(result)["created"] == summary(result)["updated"] == 0, result


def test_the_issue_export_is_the_ledger_layout_in_county_time(demo_db, tmp_path):
    path = tmp_path / "ledger.xlsx"
    ok(yimi(demo_db, "export", "issues", path, "--status", "closed", "--township", "410223101"))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = rows[0]
    for column in (
        "序号",
        "企业名称",
        "乡镇(街道)",
        "问题类型",
        "问题描述",
        "反映时间",
        "牵头单位",
        "协办单位",
        "办理时限",
        "办理状态",
        "办结时间",
        "满意度",
    ):
        assert column in header
    expected = query(
        demo_db,
        "SELECT number, reported_at FROM issue i JOIN enterprise e ON e.id = i.enterprise_id JOIN township t "
        "ON t.id = e.township_id WHERE status = 'closed' AND t.code = '410223101' ORDER BY i.id",
    )
    assert len(rows) - 1 == len(expected) > 0
    first = dict(zip(header, rows[1], strict=True))
    assert first["编号"] == expected[0][0] and first["办理状态"] == "已销号"
    utc = datetime.fromisoformat(expected[0][1])
    assert first["反映时间"] == utc.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sheet
    assert "<cols>" in sheet and 'width="50.7109375"' in sheet  # the description column is wide


def test_a_template_has_the_headers_the_importer_reads(base_db, scratch_database_url, tmp_path):
    for kind in ("enterprises", "issues", "teams"):
        path = tmp_path / f"{kind}.xlsx"
        ok(yimi(base_db, "import", "template", kind, path))
        header = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[0]
        assert "企业名称*" in header or "服务团名称*" in header
        # The example row is checked like any row (and refused: it shows forms, not data); the header is read.
        result = yimi(base_db, "import", kind, path, "--dry-run")
        assert "no column" not in result.stderr and "ignored columns" not in result.stdout, (
            result.stdout + result.stderr
        )
    path = tmp_path / "townships.geojson"
    ok(yimi(base_db, "import", "template", "townships", path))
    empty = scratch_database_url
    ok(yimi(empty, "migrate"))
    result = ok(yimi(empty, "import", "townships", path, "--dry-run"))
    assert summary(result)["created"] == 1 and "dry run: nothing written" in result


def test_every_import_and_export_command_has_help(base_db):
    for command in (
        ["import"],
        ["import", "enterprises"],
        ["import", "issues"],
        ["import", "teams"],
        ["import", "townships"],
        ["import", "template"],
        ["export"],
    ):
        assert yimi(base_db, *command, "--help").returncode == 0
