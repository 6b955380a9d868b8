"""Deterministic demo data, generated in memory: no database here.

Every ``generate_*`` function takes the ``random.Random`` to draw from and the counts to produce,
and returns plain row dicts keyed by model field names (foreign keys as ``<field>_id``, explicit
integer ids), ready for ``Model(**row)``. ``generate_demo`` chains them for one county; a
province-scale benchmark can call the same functions per county with larger counts.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import MultiPolygon
from shapely.prepared import prep
from stdnum.cn import uscc

from yimi.accounts.models import Role
from yimi.demo import geo, names
from yimi.demo.clock import DAY_MINUTES, OfficeClock
from yimi.demo.templates import (
    BANKS,
    COMMISSIONER_VISIT_NOTES,
    FINANCE_CAMPAIGN_NOTE,
    FLOODS,
    GENERIC_REJECT_COMMENTS,
    LOCKDOWN,
    NOTES,
    REJECT_COMMENTS,
    RETURN_REASONS,
    TEMPLATES,
    VISIT_NOTES,
    IssueTemplate,
)
from yimi.enterprises.models import EnterpriseSize, RiskColor
from yimi.issues.deadlines import DEFAULT_RULES, DeadlineRules, deadline_for
from yimi.issues.models import (
    OPEN_STATUSES,
    DispatchRole,
    IssueCategory,
    IssuePriority,
    IssueSource,
    IssueStatus,
    Satisfaction,
)
from yimi.issues.warning import WarningColor, thresholds, warning_color
from yimi.issues.workflow import Action, next_status
from yimi.teams.models import TeamKind
from yimi.townships.models import TownshipKind
from yimi.townships.service import township_kind

DATA_DIR = Path(__file__).parent / "data"
SEED = 20200401

Row = dict[str, Any]
C = IssueCategory
S = IssueStatus


@dataclass(frozen=True)
class DemoConfig:
    county_code: str = "410223"
    number_prefix: str = "WS"
    deadline_rules: DeadlineRules = DEFAULT_RULES
    townships_csv: Path = DATA_DIR / "weishi_townships.csv"
    outline_geojson: Path = DATA_DIR / "weishi_outline.geojson"
    # The county seat (尉氏县城), the seed of the seat township's cell.
    seat: tuple[float, float] = (114.193, 34.411)
    n_staff: int = 120
    n_commissioners: int = 30
    n_enterprises: int = 600
    n_above_scale: int = 265
    n_issues: int = 3200
    n_visits: int = 800
    # The finance team visited 257 of the 265 above-scale enterprises after the 2020 lockdown.
    n_finance_campaign_visits: int = 257
    start: date = date(2020, 4, 1)
    # Issues reported in the last ``recent_days`` before today are in every status.
    recent_days: int = 60
    timezone: str = "Asia/Shanghai"
    warn_yellow_at: float = 0.5
    warn_orange_at: float = 0.8
    seed: int = SEED


@dataclass
class DemoData:
    as_of: datetime
    townships: list[Row] = field(default_factory=list)
    departments: list[Row] = field(default_factory=list)
    staff: list[Row] = field(default_factory=list)
    teams: list[Row] = field(default_factory=list)
    team_members: list[Row] = field(default_factory=list)
    team_coverage: list[Row] = field(default_factory=list)
    enterprises: list[Row] = field(default_factory=list)
    visits: list[Row] = field(default_factory=list)
    issues: list[Row] = field(default_factory=list)
    dispatch_orders: list[Row] = field(default_factory=list)
    issue_events: list[Row] = field(default_factory=list)


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


# --------------------------------------------------------------------------------------------
# Townships


def read_townships(path: Path, county_code: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["county_code"] == county_code]
    return sorted(rows, key=lambda r: r["code"])


def generate_townships(
    rng: random.Random,
    rows: Sequence[dict[str, str]],
    outline: MultiPolygon,
    seat: tuple[float, float],
    first_id: int = 1,
) -> tuple[list[Row], list[MultiPolygon]]:
    """Township rows with Voronoi boundaries tiling ``outline``; also returns the cells.

    The first subdistrict (the county seat, e.g. 两湖街道) gets the seed at ``seat``; the others
    are assigned clockwise around it in code order.
    """
    outline = geo.clean_outline(outline)
    # One township is the whole county (a Voronoi diagram needs two seeds).
    seeds = geo.seed_points(outline, len(rows), rng, fixed=[seat], iterations=6 if len(rows) > 1 else 0)
    seat_row = next((r for r in rows if township_kind(r["code"]) == TownshipKind.SUBDISTRICT), rows[0])
    others = [r for r in rows if r is not seat_row]
    # Clockwise from north around the seat.
    rest = sorted(seeds[1:], key=lambda p: math.atan2(p[0] - seat[0], p[1] - seat[1]) % (2 * math.pi))
    ordered_rows = [seat_row, *others]
    cells = geo.township_cells(outline, [seeds[0], *rest]) if len(rows) > 1 else [geo.snap(outline)]
    by_code = {}
    for row, seed, cell in zip(ordered_rows, [seeds[0], *rest], cells, strict=True):
        by_code[row["code"]] = (seed, cell)
    out_rows: list[Row] = []
    out_cells: list[MultiPolygon] = []
    for i, row in enumerate(rows):
        seed, cell = by_code[row["code"]]
        lon, lat = geo.seat_point(cell, seed)
        out_rows.append(
            {
                "id": first_id + i,
                "code": row["code"],
                "name": row["name"],
                "kind": township_kind(row["code"]),
                "county_code": row["county_code"],
                "county_name": row["county"],
                "seat_lon": lon,
                "seat_lat": lat,
                "boundary": geo.to_geojson(cell),
            }
        )
        out_cells.append(cell)
    return out_rows, out_cells


# --------------------------------------------------------------------------------------------
# Departments and staff


def generate_departments(department_names: Sequence[str] = names.DEPARTMENTS, first_id: int = 1) -> list[Row]:
    return [{"id": first_id + i, "name": n} for i, n in enumerate(department_names)]


def _unique_name(rng: random.Random, taken: set[str]) -> str:
    for _ in range(1000):
        name = names.person_name(rng)
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("ran out of names")


def generate_staff(
    rng: random.Random,
    departments: Sequence[Row],
    townships: Sequence[Row],
    n: int,
    n_commissioners: int,
    *,
    n_admins: int = 2,
    n_dispatchers: int = 4,
    n_viewers: int = 8,
    created_at: datetime,
    first_id: int = 1,
) -> list[Row]:
    """Staff with roles; the service centre (admins, dispatchers) sits in the first department."""
    n_members = n - n_admins - n_dispatchers - n_commissioners - n_viewers
    if n_members < len(departments):
        raise ValueError("too few staff for the departments")
    centre = departments[0]["id"]
    dept_ids = [d["id"] for d in departments]
    roles: list[tuple[list[str], int]] = []
    roles += [(["admin"], centre)] * n_admins
    roles += [(["dispatcher"], centre)] * n_dispatchers
    # Every department has team members; the rest spread with a few heavier departments.
    weights = [3 if i < 4 else 2 if i < 8 else 1 for i in range(len(dept_ids))]
    member_depts = dept_ids + rng.choices(dept_ids, weights=weights, k=n_members - len(dept_ids))
    rng.shuffle(member_depts)
    others: list[tuple[list[str], int]] = [(["team_member"], d) for d in member_depts]
    others += [(["commissioner"], d) for d in rng.choices(dept_ids, weights=weights, k=n_commissioners)]
    others += [(["viewer"], d) for d in rng.choices(dept_ids, k=n_viewers)]
    rng.shuffle(others)
    roles += others
    taken: set[str] = set()
    rows: list[Row] = []
    scoped = 0
    township_codes = [t["code"] for t in townships]
    for i, (role, dept) in enumerate(roles):
        scope: list[str] = []
        if role == ["viewer"] and scoped < 2 and len(township_codes) > 2:
            # A township's own officers see only their township (or two neighbouring ones).
            scope = sorted(rng.sample(township_codes[1:], 1 + scoped))
            scoped += 1
        rows.append(
            {
                "id": first_id + i,
                "username": f"staff{i + 1:03d}",
                "name": _unique_name(rng, taken),
                "department_id": dept,
                "phone": names.mobile_phone(rng),
                "roles": role,
                "password_hash": None,
                "is_active": True,
                "township_scope": scope,
                "created_at": utc(created_at),
            }
        )
    return rows


def staff_with_role(staff: Sequence[Row], role: Role | str) -> list[Row]:
    value = role.value if isinstance(role, Role) else role
    return [s for s in staff if value in s["roles"]]


# --------------------------------------------------------------------------------------------
# Service teams


@dataclass(frozen=True)
class TeamSpec:
    name: str
    kind: TeamKind
    lead_department: str
    specialities: tuple[IssueCategory, ...]
    # Departments the members come from, besides the lead department.
    related: tuple[str, ...] = ()
    parent: str | None = None
    # Share of townships covered (min, max); the county seat is always covered.
    coverage: tuple[float, float] = (1.0, 1.0)
    rural_only: bool = False
    # When the team takes orders (the model keeps no dates: this only shapes the demo history).
    since: date | None = None
    until: date | None = None
    # The codes of the townships it may cover (a county's own team in a city-wide call); empty: all.
    townships: tuple[str, ...] = ()


JOINT = "一米服务团"
TEAM_SPECS: tuple[TeamSpec, ...] = (
    TeamSpec(JOINT, TeamKind.JOINT, "县发改委", (C.POLICY,), ("县工信局", "县财政局", "县商务局")),
    # Epidemic prevention ended with the end of the zero-COVID policy.
    TeamSpec(
        "疫情防控组",
        TeamKind.JOINT,
        "县应急管理局",
        (C.LABOUR, C.LOGISTICS, C.POLICY),
        ("县交通运输局", "县人社局", "县商务局"),
        JOINT,
        (0.8, 0.93),
        until=date(2022, 12, 31),
    ),
    TeamSpec(
        "工业企业组",
        TeamKind.JOINT,
        "县工信局",
        (C.POWER, C.PERMITS, C.FINANCING, C.SALES),
        ("县供电公司", "县税务局", "县发改委"),
        JOINT,
        (0.8, 0.93),
    ),
    TeamSpec(
        "农业农村组",
        TeamKind.JOINT,
        "县农业农村局",
        (C.LOGISTICS, C.LAND, C.SALES),
        ("县乡村振兴局", "县自然资源局"),
        JOINT,
        (0.8, 0.93),
    ),
    TeamSpec(
        "商贸流通组",
        TeamKind.JOINT,
        "县商务局",
        (C.SALES, C.LOGISTICS),
        ("县市场监管局", "县交通运输局"),
        JOINT,
        (0.8, 0.93),
    ),
    TeamSpec(
        "项目建设组",
        TeamKind.JOINT,
        "县发改委",
        (C.LAND, C.PERMITS, C.POWER),
        ("县住建局", "县自然资源局", "县生态环境局"),
        JOINT,
        (0.8, 0.93),
    ),
    TeamSpec(
        "科技和工业服务团",
        TeamKind.SPECIALISED,
        "县科技局",
        (C.POWER, C.PERMITS, C.SALES, C.POLICY, C.TALENT),
        ("县工信局", "县供电公司", "县税务局"),
        None,
        (0.6, 0.8),
    ),
    TeamSpec(
        "金融服务团", TeamKind.SPECIALISED, "县金融工作局", (C.FINANCING,), ("县财政局", "县税务局"), None, (1.0, 1.0)
    ),
    TeamSpec("生态环境服务团", TeamKind.SPECIALISED, "县生态环境局", (C.ENVIRONMENT,), (), None, (0.55, 0.7)),
    TeamSpec("人社服务团", TeamKind.SPECIALISED, "县人社局", (C.LABOUR, C.TALENT), (), None, (0.7, 0.85)),
    TeamSpec("自然资源服务团", TeamKind.SPECIALISED, "县自然资源局", (C.LAND,), ("县住建局",), None, (0.5, 0.7)),
    # The later teams (the rural revitalisation bureaus were set up in early 2021).
    TeamSpec(
        "宣传服务团",
        TeamKind.SPECIALISED,
        "县委宣传部",
        (C.POLICY, C.SALES),
        ("县商务局",),
        None,
        (0.4, 0.6),
        since=date(2021, 3, 1),
    ),
    TeamSpec(
        "乡村振兴服务团",
        TeamKind.SPECIALISED,
        "县乡村振兴局",
        (C.LABOUR, C.SALES, C.LAND),
        ("县农业农村局", "县财政局"),
        None,
        (0.5, 0.7),
        True,
        since=date(2021, 3, 1),
    ),
    TeamSpec(
        "农业服务团",
        TeamKind.SPECIALISED,
        "县农业农村局",
        (C.LOGISTICS, C.SALES, C.LAND),
        ("县市场监管局",),
        None,
        (0.6, 0.8),
        True,
        since=date(2021, 3, 1),
    ),
)


@dataclass
class Teams:
    teams: list[Row]
    members: list[Row]
    coverage: list[Row]
    # team id -> (first, last) day it takes orders; None is open-ended.
    active: dict[int, tuple[date | None, date | None]] = field(default_factory=dict)


def generate_teams(
    rng: random.Random,
    departments: Sequence[Row],
    staff: Sequence[Row],
    townships: Sequence[Row],
    specs: Sequence[TeamSpec] = TEAM_SPECS,
    *,
    size: tuple[int, int] = (5, 10),
    first_id: int = 1,
) -> Teams:
    """Teams with a leader, members (leader included) and the townships they cover."""
    dept_id = {d["name"]: d["id"] for d in departments}
    pool = staff_with_role(staff, Role.TEAM_MEMBER)
    by_dept: dict[int, list[Row]] = defaultdict(list)
    for s in pool:
        by_dept[s["department_id"]].append(s)
    team_rows: list[Row] = []
    members: dict[int, list[int]] = {}
    targets: dict[int, int] = {}
    related: dict[int, set[int]] = {}
    name_to_id: dict[str, int] = {}
    leaders_taken: set[int] = set()
    admins = staff_with_role(staff, Role.ADMIN)
    for i, spec in enumerate(specs):
        tid = first_id + i
        name_to_id[spec.name] = tid
        lead_dept = dept_id[spec.lead_department]
        if spec.parent is None and spec.kind == TeamKind.JOINT and admins:
            # The joint team is led from the top (the county head's office runs it via an admin).
            leader = admins[0]
        else:
            candidates = [s for s in by_dept[lead_dept] if s["id"] not in leaders_taken] or by_dept[lead_dept] or pool
            leader = rng.choice(candidates)
        leaders_taken.add(leader["id"])
        team_rows.append(
            {
                "id": tid,
                "name": spec.name,
                "kind": spec.kind,
                "parent_id": name_to_id[spec.parent] if spec.parent else None,
                "lead_department_id": lead_dept,
                "leader_id": leader["id"],
                "specialities": [c.value for c in spec.specialities],
            }
        )
        members[tid] = [leader["id"]]
        targets[tid] = rng.randint(*size)
        related[tid] = {lead_dept, *(dept_id[d] for d in spec.related)}

    # Everyone with the team_member role belongs to at least one team, near their department.
    placed = {m for ms in members.values() for m in ms}
    unplaced = [s for s in pool if s["id"] not in placed]
    rng.shuffle(unplaced)
    for s in unplaced:
        open_teams = [t for t in members if len(members[t]) < targets[t]]
        near = [t for t in open_teams if s["department_id"] in related[t]]
        choice = near or open_teams or list(members)
        team = min(choice, key=lambda t: (len(members[t]) - targets[t], t))
        members[team].append(s["id"])
    # Fill every team up to its size, preferring related departments.
    for tid, ms in members.items():
        near = [s["id"] for s in pool if s["department_id"] in related[tid] and s["id"] not in ms]
        far = [s["id"] for s in pool if s["department_id"] not in related[tid] and s["id"] not in ms]
        rng.shuffle(near)
        rng.shuffle(far)
        while len(ms) < targets[tid] and (near or far):
            ms.append((near or far).pop())

    member_rows: list[Row] = []
    for tid in sorted(members):
        for sid in members[tid]:
            member_rows.append({"id": len(member_rows) + 1, "team_id": tid, "staff_id": sid})

    seat_ids = [t["id"] for t in townships if t["kind"] == TownshipKind.SUBDISTRICT][:1] or [townships[0]["id"]]
    coverage_rows: list[Row] = []
    for spec, team_row in zip(specs, team_rows, strict=True):
        area = [t for t in townships if t["code"] in spec.townships] if spec.townships else townships
        eligible = [t["id"] for t in area if not spec.rural_only or t["kind"] != TownshipKind.SUBDISTRICT]
        share = rng.uniform(*spec.coverage)
        k = max(1, min(len(eligible), round(share * len(area))))
        must = [] if spec.rural_only or spec.townships else [sid for sid in seat_ids if sid in eligible]
        rest = [t for t in eligible if t not in must]
        chosen = sorted(must + rng.sample(rest, max(0, k - len(must))))
        for township_id in chosen:
            coverage_rows.append({"id": len(coverage_rows) + 1, "team_id": team_row["id"], "township_id": township_id})
    active = {team["id"]: (spec.since, spec.until) for spec, team in zip(specs, team_rows, strict=True)}
    return Teams(team_rows, member_rows, coverage_rows, active)


# --------------------------------------------------------------------------------------------
# Enterprises

ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet: no I, O, S, V, Z
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body: str) -> str:
    """The check character of an 8-character organisation code (GB 11714)."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_uscc(rng: random.Random, region: str) -> str:
    """A USCC of a company (9 1) registered in ``region``, with valid check characters."""
    if rng.random() < 0.35:
        body = f"{rng.randint(10_000_000, 99_999_999)}"  # an old organisation code
    else:
        body = "MA" + "".join(rng.choice(ORG_ALPHABET) for _ in range(6))  # issued since 2015
    first17 = f"91{region}{body}{org_code_check(body)}"
    code = first17 + uscc.calc_check_digit(first17)
    assert uscc.is_valid(code), code
    return code


def _inner(cell: MultiPolygon) -> MultiPolygon:
    """The cell minus a 200 m margin, so points do not sit on the township border."""
    inner = geo.as_multipolygon(cell.buffer(-0.002))
    return inner if inner.area > 0.3 * cell.area else cell


def generate_enterprises(
    rng: random.Random,
    townships: Sequence[Row],
    cells: Sequence[MultiPolygon],
    n: int,
    n_above_scale: int,
    commissioners: Sequence[Row],
    *,
    region: str,
    created_at: datetime,
    first_id: int = 1,
    taken_names: set[str] | None = None,
    taken_usccs: set[str] | None = None,
    name_prefixes: Sequence[tuple[str, float]] = names.NAME_PREFIXES,
) -> list[Row]:
    """``n`` enterprises, exactly ``n_above_scale`` of them above scale, located in their township."""
    if n_above_scale > n:
        raise ValueError("more above-scale enterprises than enterprises")
    taken_names = set() if taken_names is None else taken_names
    taken_usccs = set() if taken_usccs is None else taken_usccs
    flags = [True] * n_above_scale + [False] * (n - n_above_scale)
    rng.shuffle(flags)
    kind_weight = {
        TownshipKind.SUBDISTRICT: 3.0,
        TownshipKind.TOWN: 1.3,
        TownshipKind.TOWNSHIP: 0.8,
        TownshipKind.PARK: 3.0,
    }
    weights = [kind_weight[t["kind"]] for t in townships]
    samplers = {}
    # Commissioners each follow a balanced share of the above-scale enterprises.
    commissioner_cycle: list[int] = []
    rows: list[Row] = []
    for i, above in enumerate(flags):
        t_index = rng.choices(range(len(townships)), weights=weights)[0]
        township = townships[t_index]
        section = names.weighted(rng, names.ABOVE_SCALE_SECTIONS if above else names.OTHER_SECTIONS)
        word, chain = rng.choice(names.INDUSTRY_WORDS[section])
        if above:
            size = names.weighted(
                rng, ((EnterpriseSize.LARGE, 10), (EnterpriseSize.MEDIUM, 52), (EnterpriseSize.SMALL, 38))
            )
        else:
            size = names.weighted(
                rng, ((EnterpriseSize.MEDIUM, 5), (EnterpriseSize.SMALL, 45), (EnterpriseSize.MICRO, 50))
            )
            if chain and rng.random() < 0.25:
                chain = None  # not (yet) in the chain committee
        suffix = (
            "股份有限公司"
            if size in (EnterpriseSize.LARGE, EnterpriseSize.MEDIUM) and rng.random() < 0.3
            else "有限公司"
        )
        for _ in range(1000):
            trade = "".join(rng.sample(names.TRADE_CHARS, 2))
            name = f"{names.weighted(rng, name_prefixes)}{trade}{word}{suffix}"
            if name not in taken_names:
                taken_names.add(name)
                break
        else:
            raise RuntimeError("ran out of enterprise names")
        while (code := make_uscc(rng, region)) in taken_usccs:
            pass
        taken_usccs.add(code)
        if t_index not in samplers:
            inner = _inner(cells[t_index])
            samplers[t_index] = (inner, prep(inner), prep(cells[t_index]))
        inner, prepared_inner, _ = samplers[t_index]
        lon, lat = geo.random_point_in(inner, rng, prepared_inner)
        commissioner = None
        if above and commissioners and rng.random() < 0.94:
            if not commissioner_cycle:
                commissioner_cycle = [c["id"] for c in commissioners]
                rng.shuffle(commissioner_cycle)
            commissioner = commissioner_cycle.pop()
        risk = names.weighted(
            rng,
            (
                (RiskColor.GREEN, 74),
                (RiskColor.BLUE, 12),
                (RiskColor.YELLOW, 8),
                (RiskColor.ORANGE, 4),
                (RiskColor.RED, 2),
            ),
        )
        rows.append(
            {
                "id": first_id + i,
                "name": name,
                "uscc": code,
                "industry": section,
                "size": size,
                "above_scale": above,
                "township_id": township["id"],
                "address": names.address(rng, township["name"]),
                "lon": lon,
                "lat": lat,
                "contact_person": names.person_name(rng),
                "contact_phone": names.mobile_phone(rng),
                "chain": chain,
                "risk_color": risk,
                "commissioner_id": commissioner,
                "created_at": utc(created_at),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# Visits and issues

BASE_CATEGORY_WEIGHTS = {
    C.FINANCING: 18,
    C.LABOUR: 16,
    C.POWER: 12,
    C.LOGISTICS: 12,
    C.PERMITS: 9,
    C.SALES: 8,
    C.ENVIRONMENT: 7,
    C.LAND: 6,
    C.TALENT: 6,
    C.POLICY: 6,
}
RECENT_STATUS_WEIGHTS = {
    S.CLOSED: 38,
    S.RESOLVED: 12,
    S.IN_PROGRESS: 18,
    S.DISPATCHED: 9,
    S.REPORTED: 7,
    S.RETURNED: 6,
    S.REOPENED: 10,
}
# A handful of old issues are still stuck (land and permits cases that wait on the province).
OLD_STATUS_WEIGHTS = {S.CLOSED: 990, S.IN_PROGRESS: 4, S.RESOLVED: 5, S.REOPENED: 1}
COLOUR_WEIGHTS = {WarningColor.GREEN: 45, WarningColor.YELLOW: 22, WarningColor.ORANGE: 15, WarningColor.RED: 18}
SOURCE_LABEL = {
    IssueSource.VISIT: "走访收集",
    IssueSource.HOTLINE: "热线来电",
    IssueSource.ONLINE: "线上平台",
    IssueSource.COMMISSIONER: "服务专员报送",
}


def _in(day: date, period: tuple[date, date]) -> bool:
    return period[0] <= day <= period[1]


def day_weight(day: date, recent_start: date) -> float:
    """How busy a day is: the 2020 post-lockdown months and the 2021 floods stand out."""
    if day >= recent_start:
        return 4.0  # the platform in daily use
    if _in(day, LOCKDOWN):
        return 3.0
    if day <= date(2020, 12, 31):
        return 1.8
    if _in(day, (FLOODS[0], date(2021, 9, 30))):
        return 1.7
    return 1.0


def category_weights(day: date) -> dict[IssueCategory, float]:
    w: dict[IssueCategory, float] = dict(BASE_CATEGORY_WEIGHTS)
    if _in(day, LOCKDOWN):
        w[C.LOGISTICS] *= 2.5
        w[C.LABOUR] *= 1.8
        w[C.FINANCING] *= 1.5
        w[C.POLICY] *= 1.5
    if _in(day, FLOODS):
        w[C.POWER] *= 4
    elif day.month in (6, 7, 8):
        w[C.POWER] *= 1.3
    return w


@dataclass
class Visit:
    enterprise: Row
    day: date
    team_id: int | None
    commissioner_id: int | None
    notes: str
    id: int = 0


@dataclass
class Order:
    team_id: int
    role: DispatchRole
    instruction: str
    dispatched: int  # office minute
    dispatched_by: int | None
    accepted: int | None = None
    returned: int | None = None
    return_reason: str = ""
    id: int = 0


@dataclass
class Event:
    action: Action
    at: int  # office minute
    actor: int | None = None
    note: str = ""
    from_status: IssueStatus | None = None
    to_status: IssueStatus | None = None
    second: int = 0


@dataclass
class Issue:
    seq: int
    enterprise: Row
    category: IssueCategory
    title: str
    description: str
    resolution_text: str
    source: IssueSource
    priority: IssuePriority
    status: IssueStatus
    reported: int
    deadline: datetime
    deadline_index: int
    numbers: dict[str, int] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    visit: Visit | None = None
    id: int = 0
    # Filled in by IssueFactory.resolve_events from the timeline.
    lead_team: int | None = None
    resolution: str = ""
    satisfaction: Satisfaction | None = None
    satisfaction_comment: str = ""
    resolved_at: int | None = None
    closed_at: int | None = None
    escalated_at: int | None = None


class IssueFactory:
    """Builds visits, issues, their dispatch orders and timelines for one county."""

    def __init__(
        self,
        rng: random.Random,
        config: DemoConfig,
        today: date,
        townships: Sequence[Row],
        staff: Sequence[Row],
        teams: Teams,
        enterprises: Sequence[Row],
    ):
        self.rng = rng
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self.today = today
        self.as_of = datetime.combine(today, time(0, 0), tzinfo=self.zone)
        self.clock = OfficeClock(config.start, today, config.timezone)
        self.as_of_index = self.clock.start_of(today)
        self.recent_start = today - timedelta(days=config.recent_days)
        self.townships = {t["id"]: t for t in townships}
        self.dispatchers = [s["id"] for s in staff_with_role(staff, Role.DISPATCHER)] or [staff[0]["id"]]
        self.admins = [s["id"] for s in staff_with_role(staff, Role.ADMIN)] or self.dispatchers
        self.teams = {t["id"]: t for t in teams.teams}
        self.members: dict[int, list[int]] = defaultdict(list)
        for m in teams.members:
            self.members[m["team_id"]].append(m["staff_id"])
        self.covering: dict[int, list[int]] = defaultdict(list)
        for c in teams.coverage:
            self.covering[c["township_id"]].append(c["team_id"])
        self.team_names = {t["id"]: t["name"] for t in teams.teams}
        self.active = teams.active
        self.enterprises = list(enterprises)
        self.enterprise_weights = [3.0 if e["above_scale"] else 1.0 for e in self.enterprises]
        self.by_chain: dict[str, list[Row]] = defaultdict(list)
        for e in self.enterprises:
            if e["chain"]:
                self.by_chain[e["chain"]].append(e)
        industrial = [e for e in self.enterprises if e["industry"] in ("C", "D", "B")]
        self.industrial = industrial or self.enterprises
        self.industrial_weights = [3.0 if e["above_scale"] else 1.0 for e in self.industrial]
        self.days = self.clock.working_days(config.start, today - timedelta(days=1))
        if not self.days:
            raise ValueError("today must be after the start of the demo period")
        self.recent_days = [d for d in self.days if d >= self.recent_start] or self.days[-1:]
        weights = [day_weight(d, self.recent_start) for d in self.days]
        total = 0.0
        self.cum_weights = []
        for w in weights:
            total += w
            self.cum_weights.append(total)
        self.templates: dict[IssueCategory, list[IssueTemplate]] = defaultdict(list)
        for t in TEMPLATES:
            self.templates[t.category].append(t)
        self.visits: list[Visit] = []
        self.campaign: dict[int, Visit] = {}
        self._deadlines: dict[tuple[date, IssueCategory, IssuePriority], datetime] = {}

    # -- helpers ---------------------------------------------------------------------------

    def sample_day(self) -> date:
        return self.rng.choices(self.days, cum_weights=self.cum_weights)[0]

    def member(self, team_id: int) -> int | None:
        ms = self.members.get(team_id)
        return self.rng.choice(ms) if ms else None

    def inactive_on(self, day: date) -> set[int]:
        return {
            t
            for t, (since, until) in self.active.items()
            if (since is not None and day < since) or (until is not None and day > until)
        }

    def teams_for(self, township_id: int, category: IssueCategory) -> list[int]:
        """Teams covering the township and handling the category (empty when uncovered)."""
        return [t for t in self.covering[township_id] if category.value in self.teams[t]["specialities"]]

    def nearby_teams_for(self, township_id: int, category: IssueCategory) -> list[int]:
        """Teams beyond the township's handling the category, co-handlers when its own are too few:
        the county's."""
        return [t for t in self.teams if category.value in self.teams[t]["specialities"]]

    def lead_candidates(
        self, township_id: int, category: IssueCategory, exclude: set[int]
    ) -> tuple[list[int], list[float]]:
        """The teams a lead is drawn from, and their weights."""
        candidates = [t for t in self.teams_for(township_id, category) if t not in exclude]
        if not candidates:
            # Nobody covers this township for this category: the centre sends it county-wide.
            candidates = [t for t in self.teams if category.value in self.teams[t]["specialities"] and t not in exclude]
        if not candidates:
            candidates = [t for t in self.teams if t not in exclude] or list(self.teams)
        weights = [
            2.0 if self.teams[t]["kind"] == TeamKind.SPECIALISED else 1.5 if self.teams[t]["parent_id"] else 0.5
            for t in candidates
        ]
        return candidates, weights

    def pick_lead(self, township_id: int, category: IssueCategory, exclude: set[int]) -> int:
        candidates, weights = self.lead_candidates(township_id, category, exclude)
        return self.rng.choices(candidates, weights=weights)[0]

    def pick_wrong_lead(self, township_id: int, category: IssueCategory, exclude: set[int]) -> int:
        """A team the order goes to by mistake (it will return it)."""
        candidates = [
            t
            for t in self.covering[township_id]
            if t not in exclude and category.value not in self.teams[t]["specialities"]
        ]
        return self.rng.choice(candidates) if candidates else self.pick_lead(township_id, category, exclude)

    def pick_co_handlers(self, township_id: int, category: IssueCategory, lead: int, exclude: set[int]) -> list[int]:
        k = self.rng.choices((0, 1, 2), weights=(55, 30, 15))[0]
        if not k:
            return []
        exclude = exclude | {lead}
        candidates = [t for t in self.teams_for(township_id, category) if t not in exclude]
        if len(candidates) < k:
            candidates += [
                t for t in self.nearby_teams_for(township_id, category) if t not in exclude and t not in candidates
            ]
        if len(candidates) < k:
            candidates += [t for t in self.covering[township_id] if t not in exclude and t not in candidates]
        return self.rng.sample(candidates, min(k, len(candidates)))

    def pick_enterprise(self, template: IssueTemplate) -> Row:
        if template.chain and self.by_chain.get(template.chain):
            return self.rng.choice(self.by_chain[template.chain])
        if template.category == C.ENVIRONMENT:
            return self.rng.choices(self.industrial, weights=self.industrial_weights)[0]
        return self.rng.choices(self.enterprises, weights=self.enterprise_weights)[0]

    def pick_template(self, category: IssueCategory, day: date) -> IssueTemplate:
        options = [
            t for t in self.templates[category] if t.applies(day) and (not t.chain or self.by_chain.get(t.chain))
        ]
        return self.rng.choices(options, weights=[t.weight for t in options])[0]

    def fill(self, text: str, enterprise: Row, team_id: int | None = None, numbers: dict | None = None) -> str:
        values = dict(numbers or {})
        values.setdefault("ent", enterprise["name"])
        values.setdefault("town", self.townships[enterprise["township_id"]]["name"])
        values.setdefault("team", self.team_names.get(team_id, "服务团") if team_id else "服务团")
        values.setdefault("bank", BANKS[enterprise["id"] % len(BANKS)])
        values.setdefault("dept", "相关职能部门")
        return text.format(**values)

    def colour_at_as_of(self, reported_at: datetime, deadline: datetime) -> WarningColor:
        yellow_at, orange_at = thresholds(reported_at, deadline, self.config.warn_yellow_at, self.config.warn_orange_at)
        return warning_color(S.IN_PROGRESS, yellow_at, orange_at, deadline, self.as_of)  # type: ignore[return-value]

    def deadline(self, reported_at: datetime, category: IssueCategory, priority: IssuePriority) -> datetime:
        """``deadline_for``, cached: it depends only on the local day of ``reported_at``."""
        key = (reported_at.astimezone(self.zone).date(), category, priority)
        deadline = self._deadlines.get(key)
        if deadline is None:
            deadline = self._deadlines[key] = deadline_for(
                reported_at, category, priority, self.config.timezone, self.config.deadline_rules
            )
        return deadline

    def reported_index(self, day: date) -> int:
        return self.clock.at(day, self.rng.randint(5, DAY_MINUTES - 30))

    # -- visits ----------------------------------------------------------------------------

    def finance_campaign(self, finance_team: int | None, n: int) -> None:
        """The finance team's 2020 round of the above-scale enterprises."""
        if finance_team is None or n <= 0:
            return
        above = [e for e in self.enterprises if e["above_scale"]]
        chosen = sorted(self.rng.sample(above, min(n, len(above))), key=lambda e: e["id"])
        days = self.clock.working_days(date(2020, 4, 7), date(2020, 6, 30))
        days = [d for d in days if d < self.today] or self.days[:1]
        for e in chosen:
            v = Visit(e, self.rng.choice(days), finance_team, None, FINANCE_CAMPAIGN_NOTE)
            self.visits.append(v)
            self.campaign[e["id"]] = v

    def visit_for(self, enterprise: Row, day: date) -> Visit:
        if enterprise["commissioner_id"] and self.rng.random() < 0.4:
            v = Visit(enterprise, day, None, enterprise["commissioner_id"], self.rng.choice(COMMISSIONER_VISIT_NOTES))
        else:
            inactive = self.inactive_on(day)
            teams = [t for t in self.covering[enterprise["township_id"]] if t not in inactive]
            teams = teams or [t for t in self.teams if t not in inactive] or list(self.teams)
            v = Visit(enterprise, day, self.rng.choice(teams), None, self.rng.choice(VISIT_NOTES))
        self.visits.append(v)
        return v

    def fill_visits(self, n_total: int) -> None:
        while len(self.visits) < n_total:
            e = self.rng.choices(self.enterprises, weights=self.enterprise_weights)[0]
            self.visit_for(e, self.sample_day())

    # -- issues ----------------------------------------------------------------------------

    def generate(self, n: int) -> list[Issue]:
        pending_statuses = list(S)
        pending_colours = list(WarningColor)
        misses: dict[object, int] = defaultdict(int)
        issues = []
        for seq in range(n):
            day = self.sample_day()
            recent = day >= self.recent_start
            if recent:
                status = pending_statuses.pop(0) if pending_statuses else self._weighted(RECENT_STATUS_WEIGHTS)
            else:
                status = self._weighted(OLD_STATUS_WEIGHTS)
            colour = None
            if recent and status in OPEN_STATUSES:
                colour = pending_colours.pop(0) if pending_colours else self._weighted(COLOUR_WEIGHTS)
            issue = self.make_issue(seq, day, status, colour, recent)
            issues.append(issue)
            # Some targets cannot be met (an orange issue when today follows a long holiday):
            # leave them to a later issue, so that every status and colour still shows up.
            if recent and issue.status != status and status not in pending_statuses:
                misses[status] += 1
                if misses[status] < 5:
                    pending_statuses.insert(0, status)
            got = self.colour_at_as_of(self.clock.to_datetime(issue.reported), issue.deadline)
            if (
                colour is not None
                and (issue.status not in OPEN_STATUSES or got != colour)
                and colour not in pending_colours
            ):
                misses[colour] += 1
                if misses[colour] < 5:
                    pending_colours.insert(0, colour)
        return issues

    def _weighted(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def make_issue(self, seq: int, day: date, status: IssueStatus, colour: WarningColor | None, recent: bool) -> Issue:
        rng = self.rng
        category = self._weighted(category_weights(day))
        template = self.pick_template(category, day)
        enterprise = self.pick_enterprise(template)
        priority = self._weighted({IssuePriority.NORMAL: 80, IssuePriority.URGENT: 12, IssuePriority.COMPLEX: 8})
        if "暴雨" in template.title:
            priority = IssuePriority.URGENT
        source = self._weighted(
            {IssueSource.ONLINE: 36, IssueSource.HOTLINE: 30, IssueSource.VISIT: 12, IssueSource.COMMISSIONER: 22}
        )
        campaign_visit = None
        if category == C.FINANCING and _in(day, LOCKDOWN) and enterprise["id"] in self.campaign and rng.random() < 0.5:
            source = IssueSource.VISIT
            campaign_visit = self.campaign[enterprise["id"]]
            day = campaign_visit.day
        if source == IssueSource.COMMISSIONER and not enterprise["commissioner_id"]:
            source = IssueSource.HOTLINE
        numbers = {
            "amount": rng.choice((50, 80, 100, 150, 200, 300, 500, 800, 1000, 1500, 2000)),
            "n": rng.choice((3, 5, 8, 10, 12, 15, 20, 30, 50, 80)),
            "kva": rng.choice((315, 400, 630, 800, 1000, 1250, 1600, 2000)),
        }
        # Where the issue must end up in a given warning colour, draw its report time until it does;
        # after many misses take any colour; if even the timeline never fits, settle for an earlier
        # status on the last attempt (a bare report always fits).
        attempts = 400
        for attempt in range(attempts):
            if attempt and recent:
                day = rng.choice(self.recent_days)
            reported = self.reported_index(day)
            reported_at = self.clock.to_datetime(reported)
            deadline = self.deadline(reported_at, category, priority)
            if colour is not None and attempt < 300 and self.colour_at_as_of(reported_at, deadline) != colour:
                continue
            issue = Issue(
                seq=seq,
                enterprise=enterprise,
                category=category,
                title=self.fill(template.title, enterprise, numbers=numbers),
                description=self.fill(template.description, enterprise, numbers=numbers),
                resolution_text=template.resolution,
                source=source,
                priority=priority,
                status=status,
                reported=reported,
                deadline=deadline,
                deadline_index=self.clock.deadline_index(deadline),
                numbers=numbers,
            )
            if self.build_timeline(issue):
                break
            if attempt == attempts - 1:
                for fallback in (S.IN_PROGRESS, S.DISPATCHED, S.REPORTED):
                    issue.status = fallback
                    if self.build_timeline(issue):
                        break
                else:  # pragma: no cover - a bare report is always before today
                    raise RuntimeError("could not place an issue timeline")
                break
            if not recent:
                day = rng.choice(self.days[: max(1, len(self.days) - 2 * self.config.recent_days)])
        if campaign_visit and campaign_visit.day != self.clock.date_of(issue.reported):
            campaign_visit = None  # the issue had to move to another day
        # The report itself, and the visit it came from.
        actor = None
        if source == IssueSource.VISIT:
            visit = campaign_visit or self.visit_for(enterprise, self.clock.date_of(issue.reported))
            issue.visit = visit
            actor = self.member(visit.team_id) if visit.team_id else visit.commissioner_id
        elif source == IssueSource.HOTLINE:
            actor = rng.choice(self.dispatchers)
        elif source == IssueSource.COMMISSIONER:
            actor = enterprise["commissioner_id"]
        issue.events[0].actor = actor
        return issue

    def _delay(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def plan(self, status: IssueStatus) -> list[Action]:
        rng = self.rng
        acts = [Action.REPORT]
        if status == S.REPORTED:
            return acts
        if status == S.RETURNED:
            return acts + [Action.DISPATCH, Action.RETURN] * (1 if rng.random() < 0.85 else 2)
        if rng.random() < 0.06:
            acts += [Action.DISPATCH, Action.RETURN]
        acts += [Action.DISPATCH]
        if status == S.DISPATCHED:
            return acts
        acts.append(Action.ACCEPT)
        acts += [Action.NOTE] * rng.choices((0, 1, 2), weights=(50, 35, 15))[0]
        if status == S.IN_PROGRESS:
            return acts
        acts.append(Action.RESOLVE)
        if status == S.REOPENED:
            return acts + [Action.REJECT] + [Action.NOTE] * (rng.random() < 0.3)
        if (status == S.CLOSED and rng.random() < 0.05) or (status == S.RESOLVED and rng.random() < 0.1):
            acts += [Action.REJECT] + [Action.NOTE] * (rng.random() < 0.5) + [Action.RESOLVE]
        if status == S.CLOSED:
            acts.append(Action.CONFIRM)
        return acts

    def build_timeline(self, issue: Issue) -> bool:
        """Times the planned actions; False when they do not fit before today."""
        rng = self.rng
        acts = self.plan(issue.status)
        allowed = issue.deadline_index - issue.reported
        on_time = rng.random() < 0.88
        times = [issue.reported]
        t = issue.reported
        resolves = 0
        for prev, act in itertools.pairwise(acts):
            if act == Action.DISPATCH:
                if prev == Action.RETURN:
                    d = self._delay(30, 540)
                else:  # mostly within the morning, sometimes the next day
                    d = self._delay(*rng.choices(((10, 120), (120, 540), (540, 1080)), weights=(50, 35, 15))[0])
            elif act == Action.RETURN:
                d = self._delay(60, 1000)
            elif act == Action.ACCEPT:
                d = self._delay(10, 480)
            elif act == Action.NOTE:
                d = self._delay(60, 1600)
            elif act == Action.RESOLVE:
                if resolves == 0:
                    share = rng.uniform(0.2, 0.95) if on_time else rng.uniform(1.05, 1.8)
                    d = max(30, issue.reported + int(share * allowed) - t)
                else:
                    d = self._delay(540, 2700)
                resolves += 1
            else:  # CONFIRM, REJECT: the centre calls the enterprise back
                d = self._delay(60, 1600)
            t += d
            times.append(t)
        if times[-1] >= self.as_of_index:
            span = self.as_of_index - 1 - issue.reported
            if span < len(times):
                return False
            scale = span / (times[-1] - issue.reported)
            if scale < 0.3:
                return False  # a whole cycle squeezed into an hour would not look real
            squeezed = [issue.reported]
            for old in times[1:]:
                squeezed.append(max(squeezed[-1] + 1, issue.reported + int((old - issue.reported) * scale)))
            if squeezed[-1] >= self.as_of_index:
                return False
            times = squeezed
        issue.events = [Event(a, at, second=rng.randint(0, 59)) for a, at in zip(acts, times, strict=True)]
        self.maybe_escalate(issue)
        return True

    def maybe_escalate(self, issue: Issue) -> None:
        """The centre escalates (督办) an issue still open some hours after its deadline."""
        te = issue.deadline_index + self.rng.randint(30, 600)
        if te >= self.as_of_index or self.rng.random() > 0.8:
            return
        status: IssueStatus | None = None
        position = len(issue.events)
        for i, e in enumerate(issue.events):
            if e.at == te:
                return
            if e.at > te:
                position = i
                break
            status = next_status(e.action, status)
        if status in OPEN_STATUSES:
            issue.events.insert(
                position, Event(Action.ESCALATE, te, actor=self.rng.choice(self.admins + self.dispatchers))
            )

    def resolve_events(self, issue: Issue) -> None:
        """Walks the timeline: statuses, actors, notes, dispatch orders and the issue's final fields."""
        rng = self.rng
        township = issue.enterprise["township_id"]
        status: IssueStatus | None = None
        returned_teams: set[int] = set()
        current: list[Order] = []
        lead: int | None = None
        deadline_text = f"{issue.deadline.astimezone(self.zone):%Y年%m月%d日}"
        for k, e in enumerate(issue.events):
            e.from_status = status
            e.to_status = next_status(e.action, status)
            will_return = k + 1 < len(issue.events) and issue.events[k + 1].action == Action.RETURN
            if e.action == Action.REPORT:
                e.note = f"{SOURCE_LABEL[issue.source]}：{issue.title}"
            elif e.action == Action.DISPATCH:
                e.actor = rng.choice(self.dispatchers)
                exclude = returned_teams | self.inactive_on(self.clock.date_of(e.at))
                if will_return:
                    lead = self.pick_wrong_lead(township, issue.category, exclude)
                    co = []
                else:
                    lead = self.pick_lead(township, issue.category, exclude)
                    co = self.pick_co_handlers(township, issue.category, lead, exclude)
                current = [Order(lead, DispatchRole.LEAD, f"请于{deadline_text}前办结并反馈办理结果。", e.at, e.actor)]
                current += [
                    Order(
                        t,
                        DispatchRole.CO_HANDLER,
                        f"请配合{self.team_names[lead]}办理，及时反馈协办意见。",
                        e.at,
                        e.actor,
                    )
                    for t in co
                ]
                issue.orders.extend(current)
                names_ = "、".join(self.team_names[o.team_id] for o in current[1:])
                e.note = f"派单至{self.team_names[lead]}（主办）" + (f"，{names_}（协办）" if names_ else "")
            elif e.action == Action.ACCEPT:
                assert lead is not None, "accepted before a dispatch"
                e.actor = self.member(lead)
                for o in current:
                    o.accepted = e.at
                e.note = "已接单，安排专人办理。"
            elif e.action == Action.RETURN:
                assert lead is not None, "returned before a dispatch"
                e.actor = self.member(lead)
                reason = rng.choice(RETURN_REASONS).format(dept="相关职能部门")
                for o in current:
                    o.returned = e.at
                    o.return_reason = reason if o.role == DispatchRole.LEAD else "主办单位已退单，本协办指令一并退回。"
                returned_teams.add(lead)
                e.note = reason
                lead = None
                current = []
            elif e.action == Action.NOTE:
                e.actor = self.member(lead) if lead else rng.choice(self.dispatchers)
                e.note = rng.choice(NOTES)
            elif e.action == Action.RESOLVE:
                assert lead is not None, "resolved before a dispatch"
                e.actor = self.member(lead)
                text = self.fill(issue.resolution_text, issue.enterprise, lead, issue.numbers)
                issue.resolution = text
                issue.resolved_at = e.at
                e.note = text
            elif e.action == Action.CONFIRM:
                e.actor = rng.choice(self.dispatchers)
                sat = Satisfaction.SATISFIED if rng.random() < 0.82 else Satisfaction.BASICALLY_SATISFIED
                issue.satisfaction = sat
                issue.satisfaction_comment = ""
                issue.closed_at = e.at
                e.note = "回访企业，评价：" + ("满意" if sat == Satisfaction.SATISFIED else "基本满意")
            elif e.action == Action.REJECT:
                e.actor = rng.choice(self.dispatchers)
                comment = rng.choice(REJECT_COMMENTS.get(issue.category, GENERIC_REJECT_COMMENTS))
                issue.satisfaction = Satisfaction.UNSATISFIED
                issue.satisfaction_comment = comment
                issue.resolved_at = None
                e.note = f"回访企业，评价：不满意。{comment}"
            elif e.action == Action.ESCALATE:
                issue.escalated_at = e.at
                e.note = "超过办理时限未办结，县营商环境服务中心督办。"
            status = e.to_status
        assert status == issue.status, (status, issue.status)
        issue.lead_team = lead
        if status not in (S.RESOLVED, S.CLOSED):
            issue.resolution = ""


def generate_visits_and_issues(
    rng: random.Random,
    config: DemoConfig,
    today: date,
    townships: Sequence[Row],
    staff: Sequence[Row],
    teams: Teams,
    enterprises: Sequence[Row],
    n_issues: int,
    n_visits: int,
    *,
    finance_team_name: str = "金融服务团",
) -> tuple[list[Row], list[Row], list[Row], list[Row]]:
    """Visits, issues, dispatch orders and issue events (all ids from 1, chronological)."""
    factory = IssueFactory(rng, config, today, townships, staff, teams, enterprises)
    finance = next((t["id"] for t in teams.teams if t["name"] == finance_team_name), None)
    factory.finance_campaign(finance, config.n_finance_campaign_visits if n_visits else 0)
    issues = factory.generate(n_issues)
    for issue in issues:
        factory.resolve_events(issue)
    factory.fill_visits(n_visits)

    clock = factory.clock
    visits = sorted(factory.visits, key=lambda v: (v.day, v.enterprise["id"]))
    visit_rows = []
    for i, v in enumerate(visits, start=1):
        v.id = i
        visit_rows.append(
            {
                "id": i,
                "enterprise_id": v.enterprise["id"],
                "team_id": v.team_id,
                "commissioner_id": v.commissioner_id,
                "visited_on": v.day,
                "notes": v.notes,
            }
        )

    issues.sort(key=lambda x: (x.reported, x.events[0].second, x.seq))
    issue_rows: list[Row] = []
    per_year: dict[int, int] = defaultdict(int)
    all_events: list[tuple[int, int, int, Event, Issue]] = []
    all_orders: list[tuple[int, int, int, Order, Issue]] = []
    for i, issue in enumerate(issues, start=1):
        issue.id = i
        reported_at = clock.to_datetime(issue.reported, issue.events[0].second)
        year = reported_at.year
        per_year[year] += 1
        yellow_at, orange_at = thresholds(reported_at, issue.deadline, config.warn_yellow_at, config.warn_orange_at)

        def when(index: int | None, issue=issue) -> datetime | None:
            if index is None:
                return None
            second = next((e.second for e in issue.events if e.at == index), 0)
            return utc(clock.to_datetime(index, second))

        issue_rows.append(
            {
                "id": i,
                "number": f"{config.number_prefix}-{year}-{per_year[year]:05d}",
                "enterprise_id": issue.enterprise["id"],
                "category": issue.category,
                "title": issue.title,
                "description": issue.description,
                "source": issue.source,
                "priority": issue.priority,
                "status": issue.status,
                "reported_at": utc(reported_at),
                "deadline": utc(issue.deadline),
                "yellow_at": utc(yellow_at),
                "orange_at": utc(orange_at),
                "lead_team_id": issue.lead_team,
                "resolution": issue.resolution,
                "resolved_at": when(issue.resolved_at) if issue.status in (S.RESOLVED, S.CLOSED) else None,
                "closed_at": when(issue.closed_at) if issue.status == S.CLOSED else None,
                "satisfaction": issue.satisfaction,
                "satisfaction_comment": issue.satisfaction_comment,
                "escalated_at": when(issue.escalated_at),
                "visit_id": issue.visit.id if issue.visit else None,
                "version": len(issue.events),
            }
        )
        for k, e in enumerate(issue.events):
            all_events.append((e.at, e.second, i * 1000 + k, e, issue))
        for k, o in enumerate(issue.orders):
            all_orders.append((o.dispatched, 0, i * 1000 + k, o, issue))

    all_events.sort(key=lambda x: x[:3])
    event_rows = []
    for n, (_, _, _, e, issue) in enumerate(all_events, start=1):
        event_rows.append(
            {
                "id": n,
                "issue_id": issue.id,
                "actor_id": e.actor,
                "action": e.action.value,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "created_at": utc(clock.to_datetime(e.at, e.second)),
            }
        )
    all_orders.sort(key=lambda x: x[:3])
    order_rows = []
    for n, (_, _, _, o, issue) in enumerate(all_orders, start=1):
        second = {e.at: e.second for e in issue.events}
        order_rows.append(
            {
                "id": n,
                "issue_id": issue.id,
                "team_id": o.team_id,
                "role": o.role,
                "instruction": o.instruction,
                "dispatched_at": utc(clock.to_datetime(o.dispatched, second.get(o.dispatched, 0))),
                "due_at": utc(issue.deadline),
                "accepted_at": utc(clock.to_datetime(o.accepted, second.get(o.accepted, 0)))
                if o.accepted is not None
                else None,
                "returned_at": utc(clock.to_datetime(o.returned, second.get(o.returned, 0)))
                if o.returned is not None
                else None,
                "return_reason": o.return_reason,
                "dispatched_by_id": o.dispatched_by,
            }
        )
    return visit_rows, issue_rows, order_rows, event_rows


# --------------------------------------------------------------------------------------------
# The whole county


def generate_demo(today: date, config: DemoConfig | None = None, *, on_stage=None) -> DemoData:
    """All demo rows for one county, as of the start of ``today`` (local time).

    ``on_stage(name)`` is called before each stage (for progress display).
    """
    config = config or DemoConfig()
    stage = on_stage or (lambda name: None)
    rng = random.Random(config.seed)
    zone = ZoneInfo(config.timezone)
    as_of = datetime.combine(today, time(0, 0), tzinfo=zone)
    if today <= config.start:
        raise ValueError(f"today ({today}) must be after {config.start}")
    data = DemoData(as_of=as_of)
    created = datetime.combine(config.start, time(8, 0), tzinfo=zone)

    stage("townships")
    rows = read_townships(config.townships_csv, config.county_code)
    outline = geo.read_outline(config.outline_geojson, config.county_code)
    data.townships, cells = generate_townships(rng, rows, outline, config.seat)

    stage("staff")
    data.departments = generate_departments()
    data.staff = generate_staff(
        rng, data.departments, data.townships, config.n_staff, config.n_commissioners, created_at=created
    )

    stage("teams")
    teams = generate_teams(rng, data.departments, data.staff, data.townships)
    data.teams, data.team_members, data.team_coverage = teams.teams, teams.members, teams.coverage

    stage("enterprises")
    data.enterprises = generate_enterprises(
        rng,
        data.townships,
        cells,
        config.n_enterprises,
        config.n_above_scale,
        staff_with_role(data.staff, Role.COMMISSIONER),
        region=config.county_code,
        created_at=created,
    )

    stage("issues")
    data.visits, data.issues, data.dispatch_orders, data.issue_events = generate_visits_and_issues(
        rng, config, today, data.townships, data.staff, teams, data.enterprises, config.n_issues, config.n_visits
    )
    return data
