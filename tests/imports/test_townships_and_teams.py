"""Township outlines (GeoJSON, in any of the three coordinate systems) and team lists."""

from __future__ import annotations

import json
import sqlite3

import eviltransform
import pytest

from tests.databases import query
from tests.imports.conftest import ok, summary, yimi
from tests.imports.fixtures import HEADER, register_rows, write_csv


def square(lon: float, lat: float, size: float = 0.05) -> list:
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]


def feature(code: str, name: str, ring: list | None, **extra) -> dict:
    geometry = {"type": "Polygon", "coordinates": ring} if ring is not None else None
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "county_name": "测试县", **extra},
        "geometry": geometry,
    }


def write(path, features: list[dict]):
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8"
    )
    return path


def test_gcj02_outlines_bad_features_and_a_rejected_file_that_imports_once_fixed(scratch_database_url, tmp_path):
    db = scratch_database_url
    ok(yimi(db, "migrate"))
    wgs = square(114.2, 34.4)[0]
    gcj = [list(reversed(eviltransform.wgs2gcj(lat, lon))) for lon, lat in wgs]
    bow_tie = [[[114.0, 34.0], [114.1, 34.1], [114.1, 34.0], [114.0, 34.1], [114.0, 34.0]]]
    features = [
        feature("999999101", "甲镇", [gcj]),
        feature("99999910", "短码镇", square(114.3, 34.4)),
        feature("999999102", "蝴蝶镇", bow_tie),
        feature("999999101", "重复镇", square(114.4, 34.4)),
        feature("999999201", "无界乡", None),
        feature("999999202", "度量乡", square(12_000_000, 4_000_000, 1000)),
    ]
    path = write(tmp_path / "outlines.geojson", features)
    result = ok(yimi(db, "import", "townships", path, "--crs", "gcj02", "--skip-invalid"))
    f = "outlines.geojson"
    for message in (
        f"{f} row 2, 区划代码 '99999910': a township code has 9 digits (e.g. 410223101)",
        f"{f} row 3: the outline is not a valid polygon: Self-intersection[114.04",
        f"{f} row 4, 区划代码 '999999101': the same code as row 1 of this file",
        f"{f} row 5, 驻地经度: give the seat (驻地经度, 驻地纬度) or an outline",
        f"{f} row 6: coordinates out of range: the outline must be in degrees (WGS-84, GCJ-02 or BD-09)",
    ):
        assert f"error: {message}" in result, result
    assert summary(result)["created"] == 1 and summary(result)["skipped"] == 5
    ((code, kind, county, boundary),) = query(db, "SELECT code, kind, county_code, boundary FROM township")
    assert (code, kind, county) == ("999999101", "town", "999999")
    stored = json.loads(boundary)["coordinates"][0][0]
    assert max(eviltransform.distance(y1, x1, y2, x2) for (x1, y1), (x2, y2) in zip(stored, wgs, strict=True)) < 0.5
    rejected = tmp_path / "outlines.rejected.geojson"
    back = json.loads(rejected.read_text(encoding="utf-8"))["features"]
    assert [x["properties"]["code"] for x in back] == ["99999910", "999999102", "999999101", "999999201", "999999202"]
    assert "9 digits" in back[0]["properties"]["problems"]
    back[0]["properties"]["code"] = "999999103"
    write(rejected, back[:1])
    again = ok(yimi(db, "import", "townships", rejected))  # WGS-84 now: the square was never converted
    assert summary(again)["created"] == 1


def test_a_team_list_with_sub_teams_and_update(base_db, scratch_database_url, tmp_path):
    db = scratch_database_url
    ok(yimi(db, "migrate"))
    townships = query(base_db, "SELECT code, name FROM township ORDER BY code LIMIT 3")
    outlines = tmp_path / "townships.geojson"
    ok(yimi(base_db, "export", "townships", outlines))
    ok(yimi(db, "import", "townships", outlines, "--quiet"))
    header = ["服务团名称", "类型", "上级服务团", "牵头单位", "服务领域", "服务乡镇", "成员"]
    rows = [
        ["一米服务团", "联合", "", "县政府办公室", "", "、".join(n for _, n in townships), ""],
        ["工业企业服务分团", "", "一米服务团", "县工信局", "用电、用工", townships[0][0], "不存在的人"],
        ["金融服务团", "专项", "", "县财政局", "融资，政策", townships[1][1], ""],
        ["孤儿分团", "", "不存在的团", "县财政局", "", "", ""],
    ]
    path = write_csv(tmp_path / "teams.csv", header, rows)
    result = yimi(db, "import", "teams", path)
    assert result.returncode == 1
    assert (
        "error: teams.csv row 5, 上级服务团 '不存在的团': no such team in the database or on an earlier row"
        in result.stdout
    )
    assert (
        "warning: teams.csv row 3, 成员 '不存在的人': no such member of staff (username or name): left out"
        in result.stdout
    )
    ok(yimi(db, "import", "teams", write_csv(tmp_path / "teams.csv", header, rows[:3])))
    got = query(
        db,
        "SELECT t.name, t.kind, p.name, d.name, t.specialities FROM service_team t LEFT JOIN service_team p "
        "ON p.id = t.parent_id JOIN department d ON d.id = t.lead_department_id ORDER BY t.id",
    )
    assert [(*row[:4], json.loads(row[4])) for row in got] == [
        ("一米服务团", "joint", None, "县政府办公室", []),
        ("工业企业服务分团", "joint", "一米服务团", "县工信局", ["power", "labour"]),
        ("金融服务团", "specialised", None, "县财政局", ["financing", "policy"]),
    ]
    assert query(db, "SELECT count(*) FROM team_coverage") == [(5,)]
    rows[2][5] = "、".join(n for _, n in townships)
    changed = write_csv(tmp_path / "teams2.csv", header, rows[:3])
    assert "already in the database with other townships" in yimi(db, "import", "teams", changed).stdout
    result = ok(yimi(db, "import", "teams", changed, "--update"))
    assert summary(result)["updated"] == 1 and summary(result)["unchanged"] == 2
    assert query(db, "SELECT count(*) FROM team_coverage") == [(7,)]


def test_enterprises_round_trip_through_csv_and_geojson_exports(db, tmp_path):
    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    ok(yimi(db, "import", "enterprises", write_csv(tmp_path / "r.csv", HEADER, register_rows(seats))))
    for suffix in ("csv", "geojson"):
        out = tmp_path / f"out.{suffix}"
        result = ok(yimi(db, "export", "enterprises", out))
        assert "exported 15 enterprises" in result
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    features = json.loads((tmp_path / "out.geojson").read_text(encoding="utf-8"))["features"]
    assert features[0]["geometry"]["type"] == "Point" and features[0]["properties"]["企业名称"]
    again = ok(yimi(db, "import", "enterprises", tmp_path / "out.csv"))
    assert summary(again)["unchanged"] == 15


@pytest.mark.sqlite_only(
    "the write lock of a SQLite file; PostgreSQL has no database-wide lock a dry run could wait for"
)
def test_a_dry_run_does_not_block_the_database(db, tmp_path):
    """A dry run takes no write lock: it reads and reports while another process holds it."""
    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code")
    rows = register_rows(seats)
    path = write_csv(tmp_path / "r.csv", HEADER, rows)
    result = ok(yimi(db, "import", "enterprises", path, "--dry-run"))
    assert "dry run: nothing written" in result
    with sqlite3.connect(db.removeprefix("sqlite://"), timeout=0.1) as conn:
        conn.execute("BEGIN IMMEDIATE")
        proc = yimi(db, "import", "enterprises", path, "--dry-run", timeout=60)
        conn.rollback()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary(proc.stdout)["created"] == 15
