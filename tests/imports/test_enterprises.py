"""Enterprise registers: clean files in every encoding and coordinate system, re-runs, --update,
--dry-run, --skip-invalid, and every kind of bad row with its message."""

from __future__ import annotations

import math

import eviltransform

from tests.databases import query
from tests.imports.conftest import ok, summary, yimi
from tests.imports.fixtures import HEADER, make_uscc, register_rows, write_csv


def points(db, per_township: int = 2) -> list[tuple[str, float, float]]:
    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    return [(name, lon + k * 1e-4, lat) for name, lon, lat in seats for k in range(per_township)]


def stored(db) -> list[tuple]:
    rows = query(
        db,
        "SELECT e.name, uscc, t.name, address, lon, lat, industry, size, above_scale, chain, "
        "contact_person, contact_phone FROM enterprise e JOIN township t ON t.id = e.township_id ORDER BY uscc",
    )
    return [(*row[:4], round(row[4], 6), round(row[5], 6), *row[6:]) for row in rows]


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return eviltransform.distance(lat1, lon1, lat2, lon2)


def test_a_clean_register_imports_and_a_second_run_changes_nothing(db, tmp_path):
    rows = register_rows(points(db))
    path = write_csv(tmp_path / "名录.csv", HEADER, rows)
    first = ok(yimi(db, "import", "enterprises", path))
    assert summary(first) == {"rows": 30, "created": 30, "updated": 0, "unchanged": 0, "skipped": 0, "warnings": 1}
    assert "名录.csv: 30 rows without a risk colour (风险等级) were set to green" in first
    assert "imported 名录.csv" in first
    before = stored(db)
    assert len(before) == 30
    assert before[0][:4] == (rows[0][0], rows[0][1], rows[0][2], rows[0][3])
    assert {r[6] for r in before} == {"C"}  # 制造业 and C alike
    assert {r[8] for r in before} == {0, 1}
    again = ok(yimi(db, "import", "enterprises", path))
    assert summary(again)["unchanged"] == 30 and summary(again)["created"] == 0
    assert stored(db) == before


def test_the_same_register_in_gbk_reads_the_same(db, tmp_path):
    rows = register_rows(points(db))
    utf8 = write_csv(tmp_path / "utf8.csv", HEADER, rows, "utf-8")
    ok(yimi(db, "import", "enterprises", utf8))
    expected = stored(db)
    gbk = write_csv(tmp_path / "gbk.csv", HEADER, rows, "gbk")
    assert gbk.read_bytes() != utf8.read_bytes()
    # Every row is already there with the same values: GBK decoded to the same text.
    assert summary(ok(yimi(db, "import", "enterprises", gbk)))["unchanged"] == 30
    assert stored(db) == expected


def test_gcj02_and_bd09_coordinates_are_stored_as_wgs84(db, tmp_path):
    wgs = points(db, per_township=1)
    gcj = [(t, *reversed(eviltransform.wgs2gcj(lat, lon))) for t, lon, lat in wgs]
    bd = [(t, *reversed(eviltransform.wgs2bd(lat, lon))) for t, lon, lat in wgs]
    header = HEADER
    gcj_rows = register_rows(gcj)
    # As Amap gives them: about 500 m off the true place. Unconverted, they would be wrong.
    assert min(metres(a[1], a[2], b[1], b[2]) for a, b in zip(gcj, wgs, strict=True)) > 300
    ok(yimi(db, "import", "enterprises", write_csv(tmp_path / "gcj.csv", header, gcj_rows), "--crs", "gcj02"))
    got = query(db, "SELECT lon, lat FROM enterprise ORDER BY uscc")
    assert max(metres(*g, lon, lat) for g, (_, lon, lat) in zip(got, wgs, strict=True)) < 0.5
    bd_rows = [[f"{r[0]}（百度）", make_uscc(100 + i), *r[2:]] for i, r in enumerate(register_rows(bd))]
    ok(yimi(db, "import", "enterprises", write_csv(tmp_path / "bd.csv", header, bd_rows), "--crs", "bd09"))
    got = query(db, "SELECT lon, lat FROM enterprise WHERE name LIKE '%百度%' ORDER BY uscc")
    # BD-09 is only defined to ~1e-6 degrees (its published inverse is not exact): within a few metres.
    assert max(metres(*g, lon, lat) for g, (_, lon, lat) in zip(got, wgs, strict=True)) < 3


def test_dry_run_writes_nothing_and_update_overwrites(db, tmp_path):
    rows = register_rows(points(db))
    path = write_csv(tmp_path / "register.csv", HEADER, rows)
    dry = ok(yimi(db, "import", "enterprises", path, "--dry-run"))
    assert summary(dry)["created"] == 30 and "dry run: nothing written" in dry
    assert query(db, "SELECT count(*) FROM enterprise") == [(0,)]
    ok(yimi(db, "import", "enterprises", path))
    rows[0][11] = "13999999999"
    changed = write_csv(tmp_path / "changed.csv", HEADER, rows)
    refused = yimi(db, "import", "enterprises", changed)
    assert refused.returncode == 1
    assert (
        f"changed.csv row 2, 统一社会信用代码 '{rows[0][1]}': already in the database with other contact_phone: "
        "--update overwrites it" in refused.stdout
    )
    assert "nothing imported" in refused.stdout
    result = ok(yimi(db, "import", "enterprises", changed, "--update"))
    assert summary(result)["updated"] == 1 and summary(result)["unchanged"] == 29
    assert query(db, "SELECT contact_phone FROM enterprise WHERE uscc = ?", rows[0][1]) == [("13999999999",)]


def bad_rows(db) -> tuple[list[list[str]], list[str]]:
    """One good row and one row for each kind of problem, with the message each must get."""
    (name, lon, lat), *_ = points(db, per_township=1)
    other = points(db, per_township=1)[5]
    good = register_rows([(name, lon, lat)])[0]
    wrong_digit = make_uscc(7)[:-1] + ("0" if make_uscc(7)[-1] != "0" else "1")

    def row(**changes: str) -> list[str]:
        out = list(good)
        for column, value in changes.items():
            out[HEADER.index(column)] = value
        return out

    rows = [
        good,
        row(统一社会信用代码=wrong_digit),
        row(统一社会信用代码="12345"),
        row(统一社会信用代码=make_uscc(8), **{"乡镇(街道)": "火星镇"}),
        row(),  # the same code as row 2
        row(统一社会信用代码=make_uscc(9), 经度="200", 纬度=f"{lat}"),
        row(统一社会信用代码=make_uscc(10), 经度="116.397", 纬度="39.909"),
        row(统一社会信用代码=make_uscc(11), 经度=good[5], 纬度=good[4]),
        row(统一社会信用代码=make_uscc(12), 行业="造火箭"),
        row(统一社会信用代码=make_uscc(13), 企业规模="超大"),
        row(统一社会信用代码=make_uscc(14), 是否规上="也许"),
        row(统一社会信用代码=make_uscc(15), 企业名称=""),
        row(统一社会信用代码=make_uscc(16), 经度="东经114度", 纬度=f"{lat}"),
        row(统一社会信用代码=make_uscc(17), 经度=f"{lon}", 纬度=""),
        row(统一社会信用代码=make_uscc(18), 经度=f"{other[1]}", 纬度=f"{other[2]}"),
    ]
    f = "bad.csv"
    messages = [
        f"{f} row 3, 统一社会信用代码 '{wrong_digit}': check digit wrong (a typo in the code?)",
        f"{f} row 4, 统一社会信用代码 '12345': not a unified social credit code (18 digits and capital letters)",
        f"{f} row 5, 乡镇(街道) '火星镇': unknown township (give its 9-digit code or its name)",
        f"{f} row 6, 统一社会信用代码 '{good[1]}': the same code as row 2 of this file",
        f"{f} row 7, 经度 '200': longitude must be between -180 and 180",
        f"{f} row 8, 经度 '116.397, 39.909': the point lies outside the county",
        f"{f} row 9, 纬度 '{good[4]}': latitude must be between -90 and 90 (经度 and 纬度 swapped?)",
        f"{f} row 10, 行业 '造火箭': unknown industry (a GB/T 4754 section: a letter A–T or its name, e.g. C or 制造业)",
        f"{f} row 11, 企业规模 '超大': unknown size (known: 大型、中型、小型、微型)",
        f"{f} row 12, 是否规上 '也许': unknown yes/no (known: 是、否)",
        f"{f} row 13, 企业名称: required",
        f"{f} row 14, 经度 '东经114度': not a number (longitude in degrees)",
        f"{f} row 15, 纬度: give both longitude and latitude, or neither",
    ]
    warning = f"{f} row 16, 经度 '{other[1]}, {other[2]}': the point lies outside {name}"
    return rows, [*messages, warning]


def test_every_kind_of_bad_row_is_named_with_its_file_row_column_value_and_reason(db, tmp_path):
    rows, messages = bad_rows(db)
    *errors, warning = messages
    result = yimi(db, "import", "enterprises", write_csv(tmp_path / "bad.csv", HEADER, rows))
    assert result.returncode == 1
    lines = [line.removeprefix("error: ") for line in result.stdout.splitlines() if line.startswith("error: ")]
    assert lines == errors
    assert f"warning: {warning}" in result.stdout
    assert summary(result.stdout)["skipped"] == 13
    # All or nothing: the good rows were not imported either.
    assert query(db, "SELECT count(*) FROM enterprise") == [(0,)]


def test_skip_invalid_imports_the_good_rows_and_the_rejected_file_can_be_fixed_and_imported(db, tmp_path):
    rows, _ = bad_rows(db)
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    result = ok(yimi(db, "import", "enterprises", path, "--skip-invalid"))
    assert summary(result)["created"] == 2 and summary(result)["skipped"] == 13
    rejected = tmp_path / "bad.rejected.csv"
    assert f"rejected rows are in {rejected}" in result.replace("\n", "")
    text = rejected.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert len(lines) == 14 and lines[0].startswith("行号 (row),企业名称,统一社会信用代码")
    assert "check digit wrong" in lines[1]
    # Fixing the file: drop the rows that cannot be saved, correct one of them.
    import csv

    fixed_rows = list(csv.reader(text.splitlines()))
    header, body = fixed_rows[0], fixed_rows[1:]
    fix = body[0]
    fix[header.index("统一社会信用代码")] = make_uscc(7)
    fixed = write_csv(tmp_path / "fixed.csv", header, [fix])
    again = ok(yimi(db, "import", "enterprises", fixed))
    assert summary(again)["created"] == 1
    assert query(db, "SELECT count(*) FROM enterprise") == [(3,)]


def test_a_register_without_a_required_column_is_refused_in_one_line(db, tmp_path):
    path = write_csv(tmp_path / "no-uscc.csv", ["企业名称", "乡镇", "行业"], [["甲公司", "洧川镇", "C"]])
    result = yimi(db, "import", "enterprises", path)
    assert result.returncode == 1
    assert result.stderr.strip() == "yimi: no-uscc.csv: no column 统一社会信用代码 (required)"


def test_english_headers_and_a_missing_point_take_the_seat(db, tmp_path):
    seat = query(db, "SELECT code, seat_lon, seat_lat FROM township ORDER BY code LIMIT 1")[0]
    header = ["Name", "USCC", "Township", "Industry", "Above scale"]
    path = write_csv(tmp_path / "en.csv", header, [["Acme Textiles", make_uscc(1), seat[0], "C", "yes"]])
    result = ok(yimi(db, "import", "enterprises", path))
    assert "en.csv row 2, 经度: no coordinates: placed at the township's seat" in result
    got = query(db, "SELECT lon, lat, above_scale, size FROM enterprise")
    assert got == [(seat[1], seat[2], 1, "small")]
    assert math.isclose(got[0][0], seat[1])
