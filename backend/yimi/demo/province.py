"""Province-scale demo data (Henan, 河南省): every township, enterprises, staff and teams, in memory.

The county demo's pieces are reused county by county: ``generate_townships`` tiles each county's
outline with Voronoi cells, ``generate_enterprises`` places enterprises inside their township,
``generate_staff`` and ``generate_teams`` build the accounts and teams. Issues are made in chunks
by ``yimi.demo.province_issues`` (they do not fit in memory all at once) and written by
``yimi.demo.province_loader``.

Outlines: the shared county outlines lack 28 of Henan's 181 county-level units (development zones,
and four counties renamed since the data was made). Each of them gets a disc of plausible size
inside its city, carved out of the city's other counties, so that townships still tile the map
without overlapping. Their positions are made up; the disc is documented as an approximation.

Every random draw comes from a ``random.Random`` seeded with the seed and what it is for (a county
code, a city code), so the data depends only on the seed, the sizes and ``today``.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import shapely
from shapely.geometry import MultiPolygon, Point, shape

from yimi.accounts.models import Role
from yimi.demo import geo
from yimi.demo.generator import (
    DATA_DIR,
    SEED,
    TEAM_SPECS,
    DemoConfig,
    Row,
    Teams,
    TeamSpec,
    generate_departments,
    generate_enterprises,
    generate_staff,
    generate_teams,
    generate_townships,
    staff_with_role,
)
from yimi.issues.models import IssueCategory
from yimi.teams.models import TeamKind

JOINT_RELATED = ("县工信局", "县财政局", "县商务局")
CHINESE_ORDINALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class ProvinceConfig:
    """What ``yimi demo --scale province`` makes; the defaults are the benchmark's sizes."""

    n_enterprises: int = 100_000
    n_issues: int = 1_000_000
    n_teams: int = 300
    above_scale_share: float = 0.2
    # Visits in all, those an issue came from included.
    visits_per_enterprise: float = 2.0
    seed: int = SEED
    townships_csv: Path = DATA_DIR / "henan_townships.csv"
    outlines_geojson: Path = DATA_DIR / "henan_counties.geojson"
    # Numbering, deadline rules, time zone, start of the history, warning thresholds.
    county: DemoConfig = field(default_factory=DemoConfig)
    # Issues are generated and written this many at a time (the unit of determinism: see
    # province_issues.plan_chunks).
    chunk_issues: int = 5_000

    @property
    def n_above_scale(self) -> int:
        return round(self.n_enterprises * self.above_scale_share)

    @property
    def n_visits(self) -> int:
        return round(self.n_enterprises * self.visits_per_enterprise)

    @property
    def n_commissioners(self) -> int:
        # The county demo has 30 commissioners for 265 above-scale enterprises.
        return max(30, self.n_above_scale // 20)

    @property
    def n_dispatchers(self) -> int:
        return max(4, self.n_issues // 25_000)

    @property
    def n_viewers(self) -> int:
        return max(8, self.n_teams // 10)

    @property
    def n_team_members(self) -> int:
        return self.n_teams * 6

    @property
    def n_staff(self) -> int:
        return 2 + self.n_dispatchers + self.n_commissioners + self.n_viewers + self.n_team_members

    def rng(self, *purpose: object) -> random.Random:
        """The generator for one purpose (e.g. ``"townships", "410223"``): independent of the others."""
        return random.Random(":".join(map(str, (self.seed, *purpose))))


@dataclass
class County:
    code: str
    name: str
    city_code: str
    city: str
    rows: list[dict[str, str]]  # its townships, from the CSV, in code order
    outline: MultiPolygon | None = None
    approximated: bool = False  # the outline is a disc carved out of its city (see the module doc)


@dataclass
class ProvinceBase:
    """Everything but the issues: townships, accounts, teams, enterprises."""

    townships: list[Row] = field(default_factory=list)
    cells: list[MultiPolygon] = field(default_factory=list)
    departments: list[Row] = field(default_factory=list)
    staff: list[Row] = field(default_factory=list)
    teams: Teams = field(default_factory=lambda: Teams([], [], []))
    enterprises: list[Row] = field(default_factory=list)
    # county code -> city code, for picking teams and banks near an enterprise
    city_of_county: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Counties and their outlines


def read_counties(config: ProvinceConfig) -> list[County]:
    with open(config.townships_csv, encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["code"])
    counties: dict[str, County] = {}
    for r in rows:
        c = counties.get(r["county_code"])
        if c is None:
            c = counties[r["county_code"]] = County(r["county_code"], r["county"], r["city_code"], r["city"], [])
        c.rows.append(r)
    data = json.loads(Path(config.outlines_geojson).read_text(encoding="utf-8"))
    for feature in data["features"]:
        county = counties.get(feature["properties"]["code"])
        if county is not None:
            county.outline = geo.clean_outline(geo.as_multipolygon(shape(feature["geometry"])))
    return list(counties.values())


def carve_missing_outlines(counties: Sequence[County], config: ProvinceConfig) -> None:
    """Gives each county without an outline a disc inside its city, taken from its neighbours."""
    by_city: dict[str, list[County]] = defaultdict(list)
    for c in counties:
        by_city[c.city_code].append(c)
    for city_code, members in sorted(by_city.items()):
        missing = [c for c in members if c.outline is None]
        present = [c for c in members if c.outline is not None]
        if not missing:
            continue
        if not present:
            raise ValueError(f"city {city_code} has no county outline to place its counties in")
        rng = config.rng("outlines", city_code)
        city = shapely.union_all([c.outline for c in present])
        # The average township area of the city: a disc holds as many as the county has.
        per_township = city.area / sum(len(c.rows) for c in present)
        discs: list[MultiPolygon] = []
        for county in missing:
            disc = _place_disc(city, present, discs, len(county.rows) * per_township, rng)
            discs.append(disc)
            county.outline = disc
            county.approximated = True
        taken = shapely.union_all(discs)
        for c in present:
            assert c.outline is not None
            c.outline = geo.clean_outline(geo.as_multipolygon(c.outline.difference(taken)))


def _place_disc(
    city, present: Sequence[County], placed: Sequence[MultiPolygon], area: float, rng: random.Random
) -> MultiPolygon:
    radius = math.sqrt(area / math.pi)
    candidate = None
    for _shrink in range(6):
        for _ in range(60):
            centre = geo.random_point_in(city, rng, decimals=4)
            candidate = geo.as_multipolygon(Point(centre).buffer(radius, quad_segs=8).intersection(city))
            if candidate.area < 0.6 * math.pi * radius * radius:
                continue  # mostly outside the city
            if any(candidate.intersects(p) for p in placed):
                continue
            # Leave every neighbour most of its land (and its townships room to tile).
            if all(
                c.outline.difference(candidate).area >= 0.6 * c.outline.area
                for c in present
                if c.outline is not None and c.outline.intersects(candidate)
            ):
                return geo.clean_outline(candidate)
        radius *= 0.75
    assert candidate is not None
    return geo.clean_outline(candidate)


def seat_of(outline: MultiPolygon) -> tuple[float, float]:
    """A point surely inside the largest part of the outline (the county seat's township grows there)."""
    main = max(outline.geoms, key=lambda p: p.area)
    p = main.representative_point()
    return (p.x, p.y)


def county_townships(county: County, config: ProvinceConfig, first_id: int) -> tuple[list[Row], list[MultiPolygon]]:
    """The county's townships tiling its outline, ids from ``first_id`` in code order."""
    assert county.outline is not None
    rng = config.rng("townships", county.code)
    return generate_townships(rng, county.rows, county.outline, seat_of(county.outline), first_id)


# --------------------------------------------------------------------------------------------
# Staff and teams


def _allocate(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), each part at least ``minimum``."""
    if minimum * len(weights) > total:
        raise ValueError(f"cannot give {len(weights)} parts at least {minimum} of {total}")
    rest = total - minimum * len(weights)
    whole = sum(weights)
    exact = [rest * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def _team_specs(city: str, counties: Sequence[County], n_specialised: int) -> list[TeamSpec]:
    """A joint team (一米服务团) per county, covering it, and the city's specialised teams."""
    specs = [
        TeamSpec(
            f"{c.name}一米服务团",
            TeamKind.JOINT,
            "县发改委",
            tuple(IssueCategory),
            JOINT_RELATED,
            townships=tuple(r["code"] for r in c.rows),
        )
        for c in counties
    ]
    kinds = [s for s in TEAM_SPECS if s.kind == TeamKind.SPECIALISED]
    for i in range(n_specialised):
        spec = kinds[i % len(kinds)]
        round_ = i // len(kinds)
        suffix = f"{CHINESE_ORDINALS[round_]}队" if round_ else ""
        specs.append(replace(spec, name=f"{city}{spec.name}{suffix}"))
    return specs


def generate_province_teams(
    config: ProvinceConfig, counties: Sequence[County], base: ProvinceBase, team_members: Sequence[Row]
) -> Teams:
    """The teams of every city, each city's drawing on a share of the team members."""
    cities: dict[str, list[County]] = defaultdict(list)
    for c in counties:
        cities[c.city_code].append(c)
    city_codes = sorted(cities)
    township_counts = [sum(len(c.rows) for c in cities[code]) for code in city_codes]
    specialised = _allocate(config.n_teams - len(counties), township_counts)
    sizes = [len(cities[code]) + k for code, k in zip(city_codes, specialised, strict=True)]
    member_counts = _allocate(len(team_members), sizes, minimum=len(base.departments))
    pool = list(team_members)
    config.rng("team members").shuffle(pool)
    township_by_code = {t["code"]: t for t in base.townships}
    teams = Teams([], [], [], {})
    start = 0
    for code, n_specialised, n_members in zip(city_codes, specialised, member_counts, strict=True):
        city_staff = sorted(pool[start : start + n_members], key=lambda s: s["id"])
        start += n_members
        townships = [township_by_code[r["code"]] for c in cities[code] for r in c.rows]
        specs = _team_specs(cities[code][0].city, cities[code], n_specialised)
        made = generate_teams(
            config.rng("teams", code),
            base.departments,
            city_staff,
            townships,
            specs,
            first_id=len(teams.teams) + 1,
        )
        teams.teams += made.teams
        teams.members += made.members
        teams.coverage += made.coverage
        teams.active.update(made.active)
    for i, m in enumerate(teams.members, start=1):
        m["id"] = i
    for i, row in enumerate(teams.coverage, start=1):
        row["id"] = i
    return teams


# --------------------------------------------------------------------------------------------
# Enterprises


def _name_prefixes(county: County) -> tuple[tuple[str, float], ...]:
    city = county.city.removesuffix("市")
    local = county.name if county.name.endswith(("县", "市")) else county.city
    return ((local, 5), ("河南", 4), (city, 2), ("河南省", 1))


def generate_province_enterprises(
    config: ProvinceConfig, counties: Sequence[County], base: ProvinceBase, created_at: datetime
) -> list[Row]:
    """Enterprises county by county, in numbers following the county's townships, located inside them."""
    kind_weight = {"subdistrict": 3.0, "town": 1.3, "township": 0.8, "park": 3.0}
    by_county: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(base.townships):
        by_county[t["county_code"]].append(i)
    weights = [sum(kind_weight[base.townships[i]["kind"]] for i in by_county[c.code]) for c in counties]
    counts = _allocate(config.n_enterprises, weights)
    above = _allocate(config.n_above_scale, weights)
    commissioners = staff_with_role(base.staff, Role.COMMISSIONER)
    # Commissioners work for a city: each city gets a share by its enterprises.
    city_codes = sorted({c.city_code for c in counties})
    city_above = [sum(a for c, a in zip(counties, above, strict=True) if c.city_code == code) for code in city_codes]
    shares = _allocate(len(commissioners), [max(a, 1) for a in city_above])
    pool = list(commissioners)
    config.rng("commissioners").shuffle(pool)
    of_city: dict[str, list[Row]] = {}
    start = 0
    for code, k in zip(city_codes, shares, strict=True):
        of_city[code] = sorted(pool[start : start + k], key=lambda s: s["id"])
        start += k
    taken_names: set[str] = set()
    taken_usccs: set[str] = set()
    rows: list[Row] = []
    for county, n, n_above in zip(counties, counts, above, strict=True):
        indexes = by_county[county.code]
        rows += generate_enterprises(
            config.rng("enterprises", county.code),
            [base.townships[i] for i in indexes],
            [base.cells[i] for i in indexes],
            n,
            min(n_above, n),
            of_city[county.city_code],
            region=county.code,
            created_at=created_at,
            first_id=len(rows) + 1,
            taken_names=taken_names,
            taken_usccs=taken_usccs,
            name_prefixes=_name_prefixes(county),
        )
    return rows


# --------------------------------------------------------------------------------------------
# The whole province, issues aside


def generate_province_base(
    config: ProvinceConfig | None = None, on_stage: Callable[[str, int], Callable[[int], None]] | None = None
) -> ProvinceBase:
    """Townships, departments, staff, teams and enterprises of the province (the same whatever the day).

    ``on_stage(name, total)`` is called before each stage and returns ``advance(n)``.
    """
    config = config or ProvinceConfig()
    stage = on_stage or (lambda name, total: lambda n: None)
    zone = ZoneInfo(config.county.timezone)
    created = datetime.combine(config.county.start, time(8, 0), tzinfo=zone)
    counties = read_counties(config)
    if config.n_teams < len(counties):
        raise ValueError(f"too few teams: {config.n_teams} (at least {len(counties)}, one joint team per county)")
    base = ProvinceBase(city_of_county={c.code: c.city_code for c in counties})
    carve_missing_outlines(counties, config)

    advance = stage("Generating townships", sum(len(c.rows) for c in counties))
    for county in counties:
        rows, cells = county_townships(county, config, len(base.townships) + 1)
        base.townships += rows
        base.cells += cells
        advance(len(rows))

    advance = stage("Generating staff and teams", config.n_staff + config.n_teams)
    base.departments = generate_departments()
    base.staff = generate_staff(
        config.rng("staff"),
        base.departments,
        base.townships,
        config.n_staff,
        config.n_commissioners,
        n_dispatchers=config.n_dispatchers,
        n_viewers=config.n_viewers,
        created_at=created,
    )
    base.teams = generate_province_teams(config, counties, base, staff_with_role(base.staff, Role.TEAM_MEMBER))
    advance(config.n_staff + config.n_teams)

    advance = stage("Generating enterprises", config.n_enterprises)
    base.enterprises = generate_province_enterprises(config, counties, base, created)
    advance(len(base.enterprises))
    return base
