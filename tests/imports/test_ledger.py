"""Problem ledgers: an Excel ledger with merged headers, Chinese statuses and dates of every form
becomes issues whose status, dates and imported timeline follow the workflow; bad rows are named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import xlsxwriter

from tests.databases import query
from tests.imports.conftest import ok, summary, yimi
from tests.imports.fixtures import HEADER, register_rows, write_csv
from yimi.imports.values import DEADLINE_FORMS
from yimi.issues.models import IssueStatus
from yimi.issues.workflow import replay

TZ = ZoneInfo("Asia/Shanghai")


def with_register(db: str, tmp_path: Path) -> list[list[str]]:
    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    rows = register_rows([(n, x, y) for n, x, y in seats])
    ok(yimi(db, "import", "enterprises", write_csv(tmp_path / "register.csv", HEADER, rows), "--quiet"))
    return rows


def teams(db: str) -> list[str]:
    return [name for (name,) in query(db, "SELECT name FROM service_team ORDER BY id")]


def write_ledger(path: Path, rows: list[list[object]]) -> Path:
    """A ledger as counties keep it: a merged title row, then a two-row header where 办理情况 spans
    办理状态 / 办结时间 / 满意度 and the other headers are merged down over both rows."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("台账")
    bold = book.add_format({"bold": True, "align": "center"})
    day = book.add_format({"num_format": "yyyy/m/d"})
    sheet.merge_range(0, 0, 0, 11, "尉氏县企业问题台账（2023年）", bold)
    single = ["序号", "企业名称", "乡镇", "问题类型", "问题描述", "反映时间", "责任单位", "协办单位", "办理时限"]
    for col, title in enumerate(single):
        sheet.merge_range(1, col, 2, col, title, bold)
    sheet.merge_range(1, 9, 1, 11, "办理情况", bold)
    for col, title in enumerate(["办理状态", "办结时间", "满意度"], start=9):
        sheet.write(2, col, title, bold)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def ledger_rows(register: list[list[str]], team: list[str]) -> list[list[object]]:
    e = [r[0] for r in register]
    return [
        [
            1,
            e[0],
            "",
            "融资",
            "扩大生产需流动资金贷款500万元。",
            "2023.5.6",
            team[0],
            team[1],
            None,
            "已办结",
            "2023年5月20日",
            "满意",
        ],
        [
            2,
            e[1],
            "",
            "用工",
            "招工难，缺熟练缝纫工30人。",
            datetime(2023, 6, 1),
            team[1],
            None,
            "10个工作日",
            "办理中",
            None,
            None,
        ],
        [3, e[2], "", "用地", "新厂房用地手续办理慢。", 45100, team[2], None, "2023-08-30", "已退单", None, None],
        [4, e[3], "", "政策", "咨询研发费用加计扣除政策。", "2023/7/1 14:30", None, None, None, "待派单", None, None],
        [
            5,
            e[4],
            "",
            "用电",
            "汛后线路反复跳闸。",
            "2023-07-03",
            team[0],
            None,
            None,
            "已办结",
            "2023-07-05 16:00",
            None,
        ],
        [
            6,
            e[5],
            "",
            "物流",
            "生猪运输车辆通行证办理。",
            "2023-07-10",
            team[0],
            None,
            None,
            "已办结",
            "2023-07-20",
            "不满意",
        ],
        [7, e[6], "", "环保", "环评批复进度。", "2023-07-11", team[0], None, None, "重新办理", "2023-07-18", None],
        [8, e[7], "", "销售", "产品进商超渠道。", "20230712", team[0], None, None, "已派单", None, None],
    ]


def issues(db: str) -> dict[str, tuple]:
    rows = query(
        db,
        "SELECT e.name, i.id, status, reported_at, resolved_at, closed_at, satisfaction, deadline, lead_team_id, "
        "number, version FROM issue i JOIN enterprise e ON e.id = i.enterprise_id",
    )
    return {r[0]: r[1:] for r in rows}


def local(text: str | None) -> str | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def test_an_excel_ledger_with_merged_headers_becomes_issues_with_an_imported_timeline(db, tmp_path):
    register = with_register(db, tmp_path)
    team = teams(db)
    path = write_ledger(tmp_path / "ledger.xlsx", ledger_rows(register, team))
    result = ok(yimi(db, "import", "issues", path, "--by", "王科长"))
    assert summary(result) == {"rows": 8, "created": 8, "updated": 0, "unchanged": 0, "skipped": 0, "warnings": 0}
    got = issues(db)
    e = [r[0] for r in register]
    status = {name: got[name][1] for name in e[:8]}
    assert status == {
        e[0]: "closed",  # 已办结 and 满意: the enterprise confirmed it
        e[1]: "in_progress",
        e[2]: "returned",
        e[3]: "reported",
        e[4]: "resolved",  # no verdict yet
        e[5]: "resolved",  # resolved again after an unsatisfied verdict
        e[6]: "reopened",
        e[7]: "dispatched",
    }
    # Dates of every form, in the county's time: a date alone is reported at 9:00, resolved at 17:00.
    assert local(got[e[0]][2]) == "2023-05-06 09:00"
    assert local(got[e[0]][3]) == "2023-05-20 17:00"
    assert local(got[e[0]][4]) == "2023-05-20 17:00" and got[e[0]][5] == "satisfied"
    assert local(got[e[1]][2]) == "2023-06-01 09:00"
    assert local(got[e[1]][6]) == "2023-06-15 17:30"  # 10 working days (the Dragon Boat holiday skipped)
    assert local(got[e[2]][2]) == "2023-06-23 09:00"  # Excel serial 45100
    assert local(got[e[2]][6]) == "2023-08-30 17:30"
    assert local(got[e[3]][2]) == "2023-07-01 14:30"
    assert local(got[e[4]][3]) == "2023-07-05 16:00"
    assert local(got[e[7]][2]) == "2023-07-12 09:00"
    assert got[e[2]][7] is None and got[e[3]][7] is None  # returned and not yet dispatched: no lead team
    # 重新办理 without a 满意度: reopened, no verdict made up.
    assert got[e[6]][3] is None and got[e[6]][5] is None
    assert all(n.startswith("WS-2023-") for n in [g[8] for g in got.values()])
    for name, (issue_id, final, *_rest, version) in got.items():
        events = query(
            db,
            "SELECT action, from_status, to_status, imported, note, actor_id FROM issue_event WHERE issue_id = ? "
            "ORDER BY created_at, id",
            issue_id,
        )
        assert replay([(a, f and IssueStatus(f), t and IssueStatus(t)) for a, f, t, *_ in events]) == IssueStatus(final)
        assert version == len(events)
        assert all(imported == 1 and actor is None for *_, imported, _note, actor in events)
        row = e.index(name) + 4
        assert all(f"台账导入：ledger.xlsx 第{row}行，导入人 王科长" in note for *_, note, _actor in events)
    actions = [
        a
        for (a,) in query(db, "SELECT action FROM issue_event WHERE issue_id = ? ORDER BY created_at, id", got[e[5]][0])
    ]
    assert actions == ["report", "dispatch", "accept", "resolve", "reject", "resolve"]
    # The co-handler got its own order; the returned issue's order is returned.
    orders = query(db, "SELECT issue_id, role, returned_at IS NOT NULL FROM dispatch_order ORDER BY id")
    assert (got[e[0]][0], "co_handler", 0) in orders
    assert (got[e[2]][0], "lead", 1) in orders
    # Warnings work on imported history: the open issues of 2023 are all overdue now.
    now = datetime.now(UTC)
    overdue = query(
        db,
        "SELECT count(*) FROM issue WHERE status IN ('dispatched','in_progress','returned','reopened','reported') AND deadline < ?",
        now,
    )
    assert overdue == [(5,)]
    # Re-running the same ledger changes nothing.
    before = query(db, "SELECT * FROM issue ORDER BY id"), query(db, "SELECT count(*) FROM issue_event")
    again = ok(yimi(db, "import", "issues", path, "--by", "王科长"))
    assert summary(again)["unchanged"] == 8
    assert (query(db, "SELECT * FROM issue ORDER BY id"), query(db, "SELECT count(*) FROM issue_event")) == before


def test_ledger_numbers_find_the_issue_again_and_update_replaces_it(db, tmp_path):
    register = with_register(db, tmp_path)
    team = teams(db)
    header = ["编号", "企业名称", "问题类型", "问题描述", "反映时间", "牵头单位", "办理进度"]
    row = ["2023-015", register[0][0], "融资", "贷款。", "2023-05-06", team[0], "办理中"]
    ok(yimi(db, "import", "issues", write_csv(tmp_path / "a.csv", header, [row])))
    assert query(db, "SELECT ledger_number, status FROM issue") == [("2023-015", "in_progress")]
    row[6] = "已办结"
    header.append("办结时间")
    row.append("2023-05-10")
    changed = write_csv(tmp_path / "b.csv", header, [row])
    refused = yimi(db, "import", "issues", changed)
    assert refused.returncode == 1
    assert (
        "b.csv row 2, 编号 '2023-015': already in the database as WS-2023-00001 with other status, resolved_at"
        in refused.stdout
    )
    ok(yimi(db, "import", "issues", changed, "--update"))
    assert query(db, "SELECT number, ledger_number, status FROM issue") == [("WS-2023-00001", "2023-015", "resolved")]
    assert [a for (a,) in query(db, "SELECT action FROM issue_event ORDER BY created_at, id")] == [
        "report",
        "dispatch",
        "accept",
        "resolve",
    ]


def test_every_kind_of_bad_ledger_row_is_named(db, tmp_path):
    register = with_register(db, tmp_path)
    team = teams(db)
    header = ["企业名称", "问题类型", "问题描述", "反映时间", "责任单位", "办理时限", "办理状态", "办结时间", "满意度"]
    e = register[0][0]
    future = (datetime.now(TZ) + timedelta(days=30)).strftime("%Y-%m-%d")
    rows = [
        [e, "融资", "好的一行。", "2023-05-06", team[0], "", "办理中", "", ""],
        ["不存在的公司", "融资", "x", "2023-05-06", "", "", "", "", ""],
        [e, "造火箭", "x", "2023-05-06", "", "", "", "", ""],
        [e, "融资", "", "2023-05-06", "", "", "", "", ""],
        [e, "融资", "x", "2023-13-45", "", "", "", "", ""],
        [e, "融资", "x", "去年春天", "", "", "", "", ""],
        [e, "融资", "x", future, "", "", "", "", ""],
        [e, "融资", "x", "2023-05-06", "不存在的服务团", "", "办理中", "", ""],
        [e, "融资", "x", "2023-05-06", team[0], "2023-05-01", "办理中", "", ""],
        [e, "融资", "x", "2023-05-06", team[0], "", "差不多了", "", ""],
        [e, "融资", "x", "2023-05-06", team[0], "", "已办结", "", ""],
        [e, "融资", "x", "2023-05-06", team[0], "", "已办结", "2023-05-01", ""],
        [e, "融资", "x", "2023-05-06", "", "", "办理中", "", ""],
        [e, "融资", "x", "2023-05-06", team[0], "", "已销号", "2023-05-08", "不满意"],
        [e, "融资", "x", "2023-05-06", team[0], "", "已办结", "2023-05-08", "还行吧"],
    ]
    result = yimi(db, "import", "issues", write_csv(tmp_path / "bad-ledger.csv", header, rows))
    assert result.returncode == 1
    f = "bad-ledger.csv"
    errors = [line.removeprefix("error: ") for line in result.stdout.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"{f} row 3, 企业名称 '不存在的公司': no enterprise with this name: import the register first, or add 统一社会信用代码",
        f"{f} row 4, 问题类型 '造火箭': unknown issue type (known: 融资、用工、用地、用电、审批、物流、销售、人才、环保、政策)",
        f"{f} row 5, 问题描述: required",
        f"{f} row 6, 反映时间 '2023-13-45': no such date (write it as {DEADLINE_FORMS})",
        f"{f} row 7, 反映时间 '去年春天': not a date (write it as {DEADLINE_FORMS})",
        f"{f} row 8, 反映时间 '{future}': in the future",
        f"{f} row 9, 责任单位 '不存在的服务团': no service team (or department leading exactly one team) of this name",
        f"{f} row 10, 办理时限 '2023-05-01': not after 反映时间 (the time it was reported)",
        f"{f} row 11, 办理状态 '差不多了': unknown status (known: 待派单、已派单、办理中、已退单、重新办理、已办结、已销号)",
        f"{f} row 13, 办结时间 '2023-05-01': before 反映时间 (the time it was reported)",
        f"{f} row 14, 责任单位: required when the status is 办理中",
        f"{f} row 15, 满意度 '不满意': an issue the enterprise is not satisfied with is reopened, not closed (销号)",
        f"{f} row 16, 满意度 '还行吧': unknown satisfaction (known: 满意、基本满意、不满意)",
    ]
    assert query(db, "SELECT count(*) FROM issue") == [(0,)]
