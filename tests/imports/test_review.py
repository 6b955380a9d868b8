"""Findings of the outside review of the import (issue 13), each pinned by a test: zip bombs, partial
updates, full-width text, phones in scientific notation, coordinates as the file writes them, problem
codes, exports' filters, dates and deadlines, footer lines, timelines, risk colours, the rejected file,
the upload limit's name and departments leading several teams."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

from tests.databases import query
from tests.imports.conftest import ok, summary, yimi
from tests.imports.fixtures import HEADER, register_rows, write_csv


def bomb(path: Path, unpacked_mb: int) -> Path:
    """An .xlsx-looking zip whose sheet is ``unpacked_mb`` MB of zeros (about a thousandth of it packed)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1 << 20)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return path


def run_measured(db: str, *args: object) -> tuple[int, str, float, int]:
    """`yimi ARGS` with its exit status, output, seconds and peak RSS in MB (of that process alone)."""
    env = {**os.environ, "YIMI_DATABASE_URL": db, "COLUMNS": "250", "USER": "tester"}
    env.pop("YIMI_ENV", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "yimi.cli", *(str(a) for a in args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, output, time.perf_counter() - started, usage.ru_maxrss // 1024


# 1 ------------------------------------------------------------------------------------ zip bombs


def test_a_zip_bomb_is_refused_quickly_in_bounded_memory(db, tmp_path):
    ratio = bomb(tmp_path / "bomb.xlsx", 64)  # 64 MB of zeros: far over the ratio
    assert ratio.stat().st_size < 1 << 20
    code, output, seconds, peak = run_measured(db, "import", "enterprises", ratio, "--dry-run")
    assert code == 1, output
    assert "zip bomb" in output and "bomb.xlsx" in output and "Traceback" not in output
    assert seconds < 20 and peak < 400, (seconds, peak)
    big = bomb(tmp_path / "big.xlsx", 300)  # over the total bound
    code, output, seconds, peak = run_measured(db, "import", "enterprises", big)
    assert code == 1 and "more than the 256 MB" in output, output
    assert peak < 400, peak


async def test_the_web_import_refuses_a_zip_bomb(sign_in, tmp_path):
    from tests.conftest import CSRF_HEADERS

    admin = await sign_in("admin")
    path = bomb(tmp_path / "bomb.xlsx", 64)
    answer = await admin.http.post(
        "/imports/enterprises",
        files={"file": ("bomb.xlsx", path.read_bytes(), "application/zip")},
        headers=CSRF_HEADERS,
    )
    assert answer.status_code == 400
    assert "zip bomb" in answer.json()["error"]["message"]


# 2 ------------------------------------------------------------------------- partial --update


def test_an_update_with_some_columns_keeps_the_others_and_the_dry_run_names_each_change(db, tmp_path):
    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    points = [(name, lon + 1e-3, lat + 1e-3) for name, lon, lat in seats[:2]]
    rows = register_rows(points)
    ok(yimi(db, "import", "enterprises", write_csv(tmp_path / "full.csv", HEADER, rows)))
    before = query(db, "SELECT uscc, address, lon, lat, size, above_scale, chain, contact_person FROM enterprise")
    partial = [[r[0], r[1], r[2], "C", "13999999999"] for r in rows]
    path = write_csv(tmp_path / "phones.csv", ["企业名称", "统一社会信用代码", "乡镇", "行业", "联系电话"], partial)
    dry = ok(yimi(db, "import", "enterprises", path, "--update", "--dry-run"))
    assert f"phones.csv row 2, 联系电话: '{rows[0][11]}' → '13999999999'" in dry
    assert "地址" not in dry and "no size given" not in dry and "no coordinates" not in dry
    assert summary(ok(yimi(db, "import", "enterprises", path, "--update")))["updated"] == 2
    after = query(db, "SELECT uscc, address, lon, lat, size, above_scale, chain, contact_person FROM enterprise")
    assert after == before
    assert {p for (p,) in query(db, "SELECT contact_phone FROM enterprise")} == {"13999999999"}


# 3, 4 ------------------------------------------------- full-width characters, phones as 1.39E10


def test_full_width_cells_read_as_ascii_and_a_phone_in_scientific_notation_is_read_with_a_warning(db, tmp_path):
    from yimi.imports.readers import nfkc
    from yimi.imports.values import parse_when

    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    rows = register_rows([(name, lon + 1e-3, lat + 1e-3) for name, lon, lat in seats[:3]])
    wide = str.maketrans(
        "0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "０１２３４５６７８９．ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
    )
    rows[0][1], rows[0][4], rows[0][5], rows[0][6] = (rows[0][i].translate(wide) for i in (1, 4, 5, 6))
    rows[0][6] = "Ｃ"
    rows[1][11] = "1.3912345678E10"
    rows[2][11] = "1.39123E+10"
    path = write_csv(tmp_path / "wide.csv", HEADER, rows)
    out = yimi(db, "import", "enterprises", path, "--skip-invalid")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "row 3, 联系电话 '1.3912345678E10': a phone number written in scientific notation: read as 13912345678" in (
        out.stdout
    )
    assert "row 4, 联系电话 '1.39123E+10': a phone number in scientific notation whose last digits were lost" in (
        out.stdout
    )
    stored = query(db, "SELECT uscc, industry, lon, contact_phone FROM enterprise ORDER BY uscc")
    assert (*stored[0][:2], round(stored[0][2], 3)) == (
        unicodedata.normalize("NFKC", rows[0][1]),
        "C",
        round(seats[0][1] + 1e-3, 3),
    )
    assert [r[3] for r in stored] == [rows[0][11], "13912345678"]
    assert parse_when(nfkc("２０２３．６．１"))[0].date().isoformat() == "2023-06-01"  # and in a ledger: test 10


# 5 ------------------------------------------------------------- coordinates as the file has them


def test_coordinate_problems_name_the_files_value_not_the_converted_one(db, tmp_path):
    rows = register_rows([("洧川镇", 116.397, 39.909)])
    path = write_csv(tmp_path / "gcj.csv", HEADER, rows)
    out = yimi(db, "import", "enterprises", path, "--crs", "gcj02", "--dry-run").stdout
    assert "gcj.csv row 2, 经度 '116.397000, 39.909000': the point (WGS-84 116.39" in out, out
    assert "lies outside the county" in out


# 14 ------------------------------------------------------------------ the upload limit's name


async def test_a_too_large_upload_names_the_import_limit(sign_in, settings, monkeypatch):
    import httpx

    from tests.conftest import CSRF_HEADERS
    from yimi.app import create_app

    monkeypatch.setenv("YIMI_IMPORT_MAX_BYTES", "4096")
    admin = await sign_in("admin")
    app = create_app(settings, manage_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=admin.http.cookies) as c:
        files = {"file": ("big.csv", b"x" * 10_000, "text/csv")}
        big = await c.post("/imports/enterprises", files=files, headers=CSRF_HEADERS)
    assert big.status_code == 413
    message = big.json()["error"]["message"]
    assert "YIMI_IMPORT_MAX_BYTES" in message and "YIMI_MAX_REQUEST_BYTES" not in message


# ledgers ------------------------------------------------------------------------------------------

LEDGER = ["企业名称", "问题类型", "问题描述", "反映时间", "责任单位", "办理时限", "办理状态", "办结时间", "满意度"]


def with_register(db: str, tmp_path: Path) -> list[str]:
    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    rows = register_rows([(n, x, y) for n, x, y in seats[:3]])
    ok(yimi(db, "import", "enterprises", write_csv(tmp_path / "register.csv", HEADER, rows), "--quiet"))
    return [r[0] for r in rows]


def a_team(db: str) -> str:
    return query(db, "SELECT name FROM service_team ORDER BY id LIMIT 1")[0][0]


# 9 ------------------------------------------------------------------------ dates and deadlines


def test_serials_as_text_chinese_day_counts_and_ambiguous_dates(db, tmp_path):
    e = with_register(db, tmp_path)
    team = a_team(db)
    rows = [
        [e[0], "融资", "序列号。", "45052", team, "七个工作日", "办理中", "", ""],
        [e[1], "融资", "自然日。", "2023年5月6号", team, "7个自然日", "办理中", "", ""],
        [e[2], "融资", "年在后。", "5/6/2023", team, "", "办理中", "", ""],
    ]
    out = yimi(db, "import", "issues", write_csv(tmp_path / "dates.csv", LEDGER, rows), "--dry-run").stdout
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out
    assert "row 4, 反映时间 '5/6/2023': the year last is ambiguous" in errors[0]
    assert "7个工作日" in errors[0] and "2023年5月6日" in errors[0]
    good = [r for r in rows if r[3] != "5/6/2023"]
    ok(yimi(db, "import", "issues", write_csv(tmp_path / "good.csv", LEDGER, good)))
    got = query(db, "SELECT title, reported_at, deadline FROM issue ORDER BY id")
    # 2023-05-06 was a Saturday; 七个工作日 counts working days (5-6 and 5-7 were no holiday: 5-6 a
    # make-up working day), 7个自然日 counts calendar days.
    assert got[0][1].startswith("2023-05-06 01:00") and got[1][1].startswith("2023-05-06 01:00")
    assert got[1][2].startswith("2023-05-13 09:30"), got
    assert got[0][2] > got[0][1]


# 10 ------------------------------------------------------- footer lines, 已办结 without 办结时间


def test_total_and_signature_lines_are_skipped_and_a_resolved_row_needs_no_resolution_date(db, tmp_path):
    e = with_register(db, tmp_path)
    team = a_team(db)
    rows = [
        [e[0], "融资", "贷款。", "2023-05-08", team, "2023-05-15", "已办结", "", ""],
        [e[1], "融资", "担保。", "２０２３．５．９", team, "", "已办结", "", ""],
        ["合计：2条", "", "", "", "", "", "", "", ""],
        ["填表人：张三", "", "", "审核人：李四", "", "", "", "", ""],
    ]
    out = ok(yimi(db, "import", "issues", write_csv(tmp_path / "footer.csv", LEDGER, rows)))
    assert "footer.csv row 4: a total or signature line (合计, 填表人 …): skipped" in out
    assert "footer.csv row 5: a total or signature line" in out
    assert "row 2, 办结时间: no 办结时间 for a resolved issue: taken as 2023-05-15 17:30 (from 办理时限)" in out
    assert "row 3, 办结时间: no 办结时间 for a resolved issue: taken as 2023-05-09 17:00 (from 反映时间)" in out
    assert summary(out)["created"] == 2
    assert [s for (s,) in query(db, "SELECT status FROM issue ORDER BY id")] == ["resolved", "resolved"]


# 15 --------------------------------------------------------- a department leading several teams


def test_a_department_leading_two_teams_is_told_to_name_the_team(db, tmp_path):
    e = with_register(db, tmp_path)
    teams_led: dict[str, list[str]] = {}
    for department, team in query(
        db, "SELECT d.name, t.name FROM service_team t JOIN department d ON d.id = t.lead_department_id"
    ):
        teams_led.setdefault(department, []).append(team)
    department, names = min((d, names) for d, names in teams_led.items() if len(names) == 2)
    rows = [[e[0], "融资", "贷款。", "2023-05-08", department, "", "办理中", "", ""]]
    out = yimi(db, "import", "issues", write_csv(tmp_path / "dept.csv", LEDGER, rows)).stdout
    expected = ", ".join(sorted(names))
    assert f"责任单位 '{department}': {department} leads 2 teams ({expected}): name the team" in out, out


# 8 ------------------------------------------------------------------------------------ exports


def test_export_filters_take_names_and_chinese_words_and_refuse_in_one_line(db, tmp_path):
    e = with_register(db, tmp_path)
    team = a_team(db)
    rows = [[e[0], "融资", "贷款。", "2023-05-08", team, "", "办理中", "", ""]]
    ok(yimi(db, "import", "issues", write_csv(tmp_path / "one.csv", LEDGER, rows)))
    # The first enterprise of the register lies in the first township by code (with_register).
    township = query(db, "SELECT name FROM township ORDER BY code LIMIT 1")[0][0]
    out = ok(yimi(db, "export", "issues", tmp_path / "by-name.csv", "--township", township, "--status", "办理中"))
    assert "exported 1 issues" in out
    unknown = yimi(db, "export", "issues", tmp_path / "x.csv", "--township", "火星镇")
    assert unknown.returncode == 1 and "--township '火星镇': no township of this code or name" in unknown.stderr
    bad = yimi(db, "export", "issues", tmp_path / "x.csv", "--status", "办理中吧")
    assert bad.returncode == 1 and "in_progress" in bad.stderr and "办理中" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = yimi(db, "export", "issues", tmp_path / "no" / "such" / "x.xlsx")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1 and "no directory" in missing.stderr


# 13 ---------------------------------------------------------------------------- the rejected file


def test_the_rejected_file_keeps_every_column_and_imports_again_once_fixed(db, tmp_path):
    import csv

    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    rows = register_rows([(n, x + 1e-3, y + 1e-3) for n, x, y in seats[:2]])
    header = [*HEADER, "备注", "成立日期"]
    rows = [[*r, f"备注{i}", "2001-01-01"] for i, r in enumerate(rows)]
    rows[1][6] = "造火箭"
    path = write_csv(tmp_path / "名录.csv", header, rows)
    out = ok(yimi(db, "import", "enterprises", path, "--skip-invalid"))
    rejected = tmp_path / "名录.rejected.csv"
    assert str(rejected) in out.replace("\n", "")
    with rejected.open(encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == ["行号 (row)", *header, "错误原因 (problems)"]
    assert lines[1][:-1] == ["3", *rows[1]]
    lines[1][1 + 6] = "C"
    with rejected.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(lines)
    again = ok(yimi(db, "import", "enterprises", rejected))
    assert summary(again)["created"] == 1


# 7 ------------------------------------------------------------------ two imports at once (PostgreSQL)


async def test_a_unique_violation_of_a_concurrent_import_is_one_line_and_writes_nothing(
    sign_in, settings, tmp_path, monkeypatch
):
    """What PostgreSQL answers the second of two imports of the same rows (issue_ledger_number_key),
    injected into the write: the run is refused in one sentence, rolled back, on the CLI's and the
    web's path alike."""
    import pytest
    from tortoise.exceptions import IntegrityError

    from tests.conftest import CSRF_HEADERS
    from tests.imports.fixtures import make_uscc
    from yimi.enterprises.models import Enterprise
    from yimi.imports import enterprises, service
    from yimi.townships.models import Township

    township = await Township.all().order_by("code").first()
    assert township is not None
    code = make_uscc(99_999)
    body = f"企业名称,统一社会信用代码,乡镇,行业\n并发测试公司,{code},{township.code},C\n"
    path = tmp_path / "并发.csv"
    path.write_text(body, encoding="utf-8")
    original = enterprises.EnterpriseImporter.write

    async def racing(self, outcomes, conn):
        await original(self, outcomes, conn)
        raise IntegrityError('duplicate key value violates unique constraint "issue_ledger_number_key"')

    monkeypatch.setattr(enterprises.EnterpriseImporter, "write", racing)
    with pytest.raises(service.ImportConflict) as refused:
        await service.run_import("enterprises", path, settings)
    assert str(refused.value) == f"并发.csv: {service.CONFLICT}"
    assert not await Enterprise.filter(uscc=code).exists()
    admin = await sign_in("admin")
    files = {"file": ("并发.csv", body.encode(), "text/csv")}
    answer = await admin.http.post("/imports/enterprises", files=files, data={"dryRun": "0"}, headers=CSRF_HEADERS)
    assert answer.status_code == 409
    assert answer.json()["error"] == {"code": "CONFLICT", "message": f"并发.csv: {service.CONFLICT}"}
    assert not await Enterprise.filter(uscc=code).exists()


# 11 ------------------------------------------------------------------------ made-up timelines


def test_synthetic_events_fall_in_office_hours_on_working_days_and_no_verdict_is_made_up(db, tmp_path):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import chinese_calendar

    e = with_register(db, tmp_path)
    team = a_team(db)
    rows = [
        # Accepted Friday 2023-05-05, resolved again Monday 2023-05-15: the first answer and the
        # complaint fall between, in office hours on working days, apart.
        [e[0], "融资", "贷款。", "2023-05-05", team, "", "已办结", "2023-05-15", "不满意"],
        [e[1], "融资", "担保。", "2023-05-05", team, "", "重新办理", "2023-05-10", ""],
    ]
    ok(yimi(db, "import", "issues", write_csv(tmp_path / "timeline.csv", LEDGER, rows)))
    tz = ZoneInfo("Asia/Shanghai")
    events = query(
        db,
        "SELECT i.title, ev.action, ev.created_at FROM issue_event ev JOIN issue i ON i.id = ev.issue_id "
        "WHERE ev.action IN ('resolve', 'reject', 'reopen') ORDER BY i.id, ev.created_at, ev.id",
    )
    first = [(a, datetime.fromisoformat(t).astimezone(tz)) for title, a, t in events if title == "贷款"]
    assert [a for a, _ in first] == ["resolve", "reject", "resolve"]
    for _, at in first[:2]:
        assert chinese_calendar.is_workday(at.date()) and 9 <= at.hour < 17, first
    assert first[1][1] - first[0][1] >= timedelta(hours=4)
    assert query(db, "SELECT satisfaction FROM issue WHERE title = '担保'") == [(None,)]
    second = [a for title, a, _ in events if title == "担保"]
    assert second == ["resolve", "reopen"]


# 6 ------------------------------------------------------------------------------- problem codes


async def test_every_problem_has_a_stable_code_with_its_parameters(sign_in, settings):
    from tests.conftest import CSRF_HEADERS
    from tests.imports.fixtures import make_uscc
    from yimi.imports.codes import CODES, OTHER, code_of
    from yimi.townships.models import Township

    township = await Township.all().order_by("code").first()
    assert township is not None
    good = make_uscc(88_001)
    typo = make_uscc(88_002)[:-1] + ("0" if make_uscc(88_002)[-1] != "0" else "1")
    lines = [
        "企业名称,统一社会信用代码,乡镇,行业,企业规模,联系电话,经度,纬度,成立日期",
        f"甲公司,{typo},{township.code},C,小型,,,,",
        f"乙公司,{good},火星镇,C,小型,,,,",
        f"丙公司,{make_uscc(88_003)},{township.code},造火箭,超大,1.39123E+10,200,34,",
        f"丁公司,{good},{township.code},C,,1.3912345678E10,,,",
        "合计：4条,,,,,,,,",
    ]
    admin = await sign_in("admin")
    files = {"file": ("codes.csv", "\n".join(lines).encode(), "text/csv")}
    answer = await admin.http.post("/imports/enterprises", files=files, data={"dryRun": "1"}, headers=CSRF_HEADERS)
    problems = answer.json()["problems"]
    got = {(p["row"], p["code"]) for p in problems}
    assert {
        (2, "bad_check_digit"),
        (3, "unknown_township"),
        (4, "unknown_industry"),
        (4, "unknown_word"),
        (4, "phone_digits_lost"),
        (4, "lon_range"),
        (5, "duplicate_in_file"),
        (5, "phone_scientific"),
        (5, "size_missing"),
        (6, "footer_skipped"),
        (0, "risk_missing"),
    } <= got, problems
    assert all(p["code"] != OTHER for p in problems), problems
    by_code = {p["code"]: p["params"] for p in problems}
    assert by_code["duplicate_in_file"] == {"row": "3"}
    assert by_code["phone_scientific"] == {"phone": "13912345678"}
    assert by_code["unknown_word"]["what"] == "size"
    assert len({c for c, _ in CODES}) == len(CODES)
    assert code_of("RuntimeError nobody planned") == (OTHER, {})
