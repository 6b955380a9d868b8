"""The demo generator, without a database: geometry, codes, teams and issue timelines."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import shapely
from shapely.geometry import Point, shape
from stdnum.cn import uscc

from yimi.demo import geo
from yimi.demo.generator import (
    DemoConfig,
    generate_demo,
    make_uscc,
    org_code_check,
)
from yimi.issues.deadlines import deadline_for, is_working_day
from yimi.issues.models import OPEN_STATUSES, DispatchRole, IssueCategory, IssueStatus
from yimi.issues.warning import WarningColor, thresholds, warning_color
from yimi.issues.workflow import replay
from yimi.townships.models import TownshipKind
from yimi.townships.service import township_kind

TODAY = date(2026, 11, 25)
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def demo():
    return generate_demo(TODAY)


def by(rows, key="id"):
    return {r[key]: r for r in rows}


def test_same_today_gives_the_same_data(demo):
    again = generate_demo(TODAY)
    for name in (
        "townships",
        "staff",
        "teams",
        "team_members",
        "team_coverage",
        "enterprises",
        "visits",
        "issues",
        "dispatch_orders",
        "issue_events",
    ):
        assert getattr(again, name) == getattr(demo, name), name


def test_township_kinds():
    assert township_kind("410223001") == TownshipKind.SUBDISTRICT
    assert township_kind("410223109") == TownshipKind.TOWN
    assert township_kind("410223208") == TownshipKind.TOWNSHIP
    assert township_kind("410223400") == TownshipKind.PARK


def test_townships_tile_the_county(demo):
    assert len(demo.townships) == 15
    assert {t["code"][:6] for t in demo.townships} == {"410223"}
    assert next(t for t in demo.townships if t["code"] == "410223001")["name"] == "两湖街道"
    names = {t["name"] for t in demo.townships}
    assert {"张市镇", "庄头镇", "水坡镇", "邢庄乡"} <= names
    cells = [shape(t["boundary"]) for t in demo.townships]
    for t, cell in zip(demo.townships, cells, strict=True):
        assert t["boundary"]["type"] == "MultiPolygon"
        assert cell.is_valid and not cell.is_empty
        assert cell.contains(Point(t["seat_lon"], t["seat_lat"])), t["name"]
        for polygon in t["boundary"]["coordinates"]:
            for ring in polygon:
                for x, y in ring:
                    assert round(x, 5) == x and round(y, 5) == y
    for a, b in itertools.combinations(cells, 2):
        assert a.intersection(b).area < 1e-9
    outline = geo.clean_outline(geo.read_outline(DemoConfig().outline_geojson, "410223"))
    union = shapely.union_all(cells)
    assert union.symmetric_difference(outline).area < 1e-5 * outline.area
    assert union.geom_type == "Polygon" and not union.interiors  # no gaps


def test_seat_is_near_the_middle(demo):
    seat = next(t for t in demo.townships if t["kind"] == TownshipKind.SUBDISTRICT)
    assert (seat["seat_lon"], seat["seat_lat"]) == DemoConfig().seat


def test_organisation_code_check_digit():
    # Examples of GB 11714 organisation codes with their check characters.
    assert org_code_check("D2143569") == "X"
    assert org_code_check("60003734") == "1"  # as in the USCC 91110000600037341L


def test_uscc_codes_are_valid():
    rng = random.Random(1)
    for _ in range(500):
        code = make_uscc(rng, "410223")
        assert uscc.is_valid(code)
        assert code.startswith("91410223")


def test_enterprises(demo):
    ents = demo.enterprises
    assert len(ents) == 600
    assert sum(e["above_scale"] for e in ents) == 265
    assert len({e["name"] for e in ents}) == 600
    assert len({e["uscc"] for e in ents}) == 600
    assert all(uscc.is_valid(e["uscc"]) and e["uscc"][2:8] == "410223" for e in ents)
    assert Counter(e["industry"] for e in ents).most_common(1)[0][0] == "C"
    assert all(e["industry"] in "BCD" for e in ents if e["above_scale"])
    cells = {t["id"]: shape(t["boundary"]) for t in demo.townships}
    towns = by(demo.townships)
    for e in ents:
        assert cells[e["township_id"]].contains(Point(e["lon"], e["lat"])), e["name"]
        assert e["address"].startswith(towns[e["township_id"]]["name"])
        assert re.fullmatch(r"1[3-9]\d{9}", e["contact_phone"])
    commissioners = {s["id"] for s in demo.staff if "commissioner" in s["roles"]}
    assigned = [e["commissioner_id"] for e in ents if e["above_scale"]]
    assert all(c in commissioners for c in assigned if c)
    assert 0 < assigned.count(None) < 30
    assert all(e["commissioner_id"] is None for e in ents if not e["above_scale"])
    assert len({e["chain"] for e in ents if e["chain"]}) == 8


def test_staff(demo):
    staff = demo.staff
    assert len(staff) == 120
    roles = Counter(r for s in staff for r in s["roles"])
    assert roles["admin"] >= 1 and roles["dispatcher"] >= 1
    assert roles["commissioner"] == 30
    assert roles["team_member"] > 60 and roles["viewer"] > 0
    assert len({s["username"] for s in staff}) == 120
    assert all(re.fullmatch(r"staff\d{3}", s["username"]) for s in staff)
    assert all(re.fullmatch(r"1[3-9]\d{9}", s["phone"]) for s in staff)
    assert all(s["password_hash"] is None for s in staff)
    assert 1 <= sum(bool(s["township_scope"]) for s in staff) <= 2
    assert len({s["department_id"] for s in staff}) == 18


def test_teams(demo):
    teams = by(demo.teams)
    assert len(teams) == 14
    joint = next(t for t in teams.values() if t["name"] == "一米服务团")
    subs = {t["name"] for t in teams.values() if t["parent_id"] == joint["id"]}
    assert subs == {"疫情防控组", "工业企业组", "农业农村组", "商贸流通组", "项目建设组"}
    members = defaultdict(set)
    for m in demo.team_members:
        members[m["team_id"]].add(m["staff_id"])
    for tid, team in teams.items():
        assert team["leader_id"] in members[tid]
        assert 4 <= len(members[tid]) - 1 <= 10
        assert team["specialities"] and set(team["specialities"]) <= {c.value for c in IssueCategory}
    assert "financing" in next(t for t in teams.values() if t["name"] == "金融服务团")["specialities"]
    team_member_ids = {s["id"] for s in demo.staff if "team_member" in s["roles"]}
    assert team_member_ids <= set().union(*members.values())
    # Most township × category pairs are covered by some team, not all.
    covered = set()
    for c in demo.team_coverage:
        for category in teams[c["team_id"]]["specialities"]:
            covered.add((c["township_id"], category))
    pairs = len(demo.townships) * len(IssueCategory)
    assert 0.75 * pairs <= len(covered) < pairs


def test_issue_timelines_replay(demo):
    events = defaultdict(list)
    for e in demo.issue_events:
        events[e["issue_id"]].append(e)
    for issue in demo.issues:
        timeline = sorted(events[issue["id"]], key=lambda e: (e["created_at"], e["id"]))
        assert replay((e["action"], e["from_status"], e["to_status"]) for e in timeline) == issue["status"]
        times = [e["created_at"] for e in timeline]
        assert times == sorted(times) and len(set(times)) == len(times), issue["number"]
        assert times[0] == issue["reported_at"]
        assert times[-1] < demo.as_of
        assert issue["version"] == len(timeline)
        if issue["source"] == "online":
            assert timeline[0]["actor_id"] is None
        for e in timeline:
            local = e["created_at"].astimezone(ZONE)
            assert is_working_day(local.date()) and time(8, 30) <= local.time() <= time(17, 30)


def test_issue_fields(demo):
    statuses = Counter(i["status"] for i in demo.issues)
    assert set(statuses) == set(IssueStatus)
    assert len(demo.issues) == 3200
    numbers = [i["number"] for i in demo.issues]
    assert len(set(numbers)) == len(numbers)
    seq = defaultdict(list)
    for i in demo.issues:
        year, n = re.fullmatch(r"WS-(\d{4})-(\d{5})", i["number"]).groups()
        assert int(year) == i["reported_at"].astimezone(ZONE).year
        seq[year].append(int(n))
    assert all(ns == list(range(1, len(ns) + 1)) for ns in seq.values())
    for i in demo.issues:
        assert i["deadline"] == deadline_for(i["reported_at"], i["category"], i["priority"], "Asia/Shanghai")
        assert (i["yellow_at"], i["orange_at"]) == thresholds(i["reported_at"], i["deadline"], 0.5, 0.8)
        if i["status"] == IssueStatus.CLOSED:
            assert i["satisfaction"] in ("satisfied", "basically_satisfied")
            assert i["closed_at"] and i["resolved_at"] and i["resolved_at"] < i["closed_at"]
        else:
            assert i["closed_at"] is None
        if i["status"] in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
            assert i["resolution"] and i["resolved_at"]
        else:
            assert i["resolved_at"] is None
        if i["status"] == IssueStatus.REOPENED:
            assert i["satisfaction"] == "unsatisfied" and i["satisfaction_comment"]
        if i["status"] in (IssueStatus.REPORTED, IssueStatus.RETURNED):
            assert i["lead_team_id"] is None
        else:
            assert i["lead_team_id"] is not None


def test_warning_colours_and_overdue(demo):
    now = demo.as_of
    colours = Counter(
        warning_color(i["status"], i["yellow_at"], i["orange_at"], i["deadline"], now) for i in demo.issues
    )
    assert {WarningColor.GREEN, WarningColor.YELLOW, WarningColor.ORANGE, WarningColor.RED} <= set(colours)
    open_ = [i for i in demo.issues if i["status"] in OPEN_STATUSES]
    assert colours[WarningColor.RED] < len(open_) / 2
    recent = [i for i in demo.issues if i["reported_at"] >= now - timedelta(days=60)]
    assert {i["status"] for i in recent} == set(IssueStatus)


def test_dispatch_orders_follow_the_timeline(demo):
    orders = defaultdict(list)
    for o in demo.dispatch_orders:
        orders[o["issue_id"]].append(o)
    events = defaultdict(list)
    for e in demo.issue_events:
        events[e["issue_id"]].append(e)
    for issue in demo.issues:
        os_ = sorted(orders[issue["id"]], key=lambda o: (o["dispatched_at"], o["id"]))
        dispatches = [e for e in events[issue["id"]] if e["action"] == "dispatch"]
        assert len([o for o in os_ if o["role"] == DispatchRole.LEAD]) == len(dispatches)
        assert {o["dispatched_at"] for o in os_} == {e["created_at"] for e in dispatches}
        for o in os_:
            assert o["due_at"] == issue["deadline"]
            assert not (o["accepted_at"] and o["returned_at"] and o["role"] == DispatchRole.LEAD)
            if o["returned_at"]:
                assert o["return_reason"]
        live = [o for o in os_ if o["role"] == DispatchRole.LEAD and o["returned_at"] is None]
        if issue["lead_team_id"] is not None:
            assert live and live[-1]["team_id"] == issue["lead_team_id"]
        accepted = [e for e in events[issue["id"]] if e["action"] == "accept"]
        if accepted:
            assert live[-1]["accepted_at"] == accepted[-1]["created_at"]


def test_visits(demo):
    assert 780 <= len(demo.visits) <= 900
    assert all(v["visited_on"] < TODAY for v in demo.visits)
    assert all((v["team_id"] is None) != (v["commissioner_id"] is None) for v in demo.visits)
    visits = by(demo.visits)
    linked = [i for i in demo.issues if i["visit_id"]]
    assert linked
    for i in linked:
        assert i["source"] == "visit"
        v = visits[i["visit_id"]]
        assert v["enterprise_id"] == i["enterprise_id"]
        assert v["visited_on"] == i["reported_at"].astimezone(ZONE).date()
    finance = next(t["id"] for t in demo.teams if t["name"] == "金融服务团")
    above = {e["id"] for e in demo.enterprises if e["above_scale"]}
    visited = {v["enterprise_id"] for v in demo.visits if v["team_id"] == finance and v["visited_on"].year == 2020}
    assert len(visited & above) >= 257


def test_other_today_shifts_the_recent_issues():
    data = generate_demo(date(2024, 3, 1))
    assert max(i["reported_at"] for i in data.issues) < datetime(2024, 3, 1, tzinfo=ZONE)
    assert {i["status"] for i in data.issues} == set(IssueStatus)


def test_teams_take_orders_only_while_they_exist(demo):
    name = {t["id"]: t["name"] for t in demo.teams}
    for o in demo.dispatch_orders:
        day = o["dispatched_at"].astimezone(ZONE).date()
        if name[o["team_id"]] == "疫情防控组":
            assert day <= date(2022, 12, 31)
        if name[o["team_id"]] in ("宣传服务团", "乡村振兴服务团", "农业服务团"):
            assert day >= date(2021, 3, 1)
