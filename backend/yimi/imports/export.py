"""Export: enterprises, issues (the traditional ledger layout), teams and townships, as XLSX, CSV or
GeoJSON, with the columns the importer reads back (a round trip into an empty database reproduces
the data). Times are in the county's time zone. Rows stream from the database by pages, and XLSX
is written in xlsxwriter's constant-memory mode, so memory stays flat for any number of rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from yimi.accounts.models import Department, Staff
from yimi.accounts.read_rules import Access, Grant
from yimi.enterprises.models import EnterpriseSize, RiskColor
from yimi.enterprises.service import EnterpriseCriteria, enterprise_queryset
from yimi.imports import values as v
from yimi.imports.enterprises import COLUMNS as ENTERPRISE_COLUMNS
from yimi.imports.headers import label
from yimi.issues.filters import IssueCriteria, issue_queryset
from yimi.issues.models import DispatchOrder, DispatchRole, IssueStatus
from yimi.settings import Settings
from yimi.teams.models import ServiceTeam, TeamCoverage, TeamMember
from yimi.townships.models import Township

PAGE = 2000
FORMATS = ("xlsx", "csv", "geojson")
# The word each value is exported as: the first Chinese word the importer knows for it.
STATUS_WORDS = {
    IssueStatus.REPORTED: "待派单",
    IssueStatus.DISPATCHED: "已派单",
    IssueStatus.IN_PROGRESS: "办理中",
    IssueStatus.RETURNED: "已退单",
    IssueStatus.REOPENED: "重新办理",
    IssueStatus.RESOLVED: "已办结",
    IssueStatus.CLOSED: "已销号",
}


def _word(vocabulary: v.Vocabulary, member: Any) -> str:
    if member is None:
        return ""
    return next(w for w, m in vocabulary.words.items() if m == member and not w.isascii())


def _words(vocabulary: v.Vocabulary) -> dict[Any, str]:
    members = set(vocabulary.words.values())
    return {m: _word(vocabulary, m) for m in members}


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    kind: str = "text"  # text, number, time, date


async def township_codes(values: list[str]) -> list[str]:
    """The codes of the townships given by code or by name (as an import reads them); ExportError
    naming any that is unknown or ambiguous."""
    from yimi.imports.values import BadValue
    from yimi.townships.models import Township

    rows = await Township.all().values("code", "name")
    by_code = {r["code"] for r in rows}
    codes = []
    for value in values:
        if value in by_code:
            codes.append(value)
            continue
        found = [r["code"] for r in rows if r["name"] == value] or [
            r["code"] for r in rows if len(value) >= 2 and r["name"].startswith(value)
        ]
        if len(found) != 1:
            reason = "several match: give the code" if found else "no township of this code or name"
            known = "、".join(r["name"] for r in rows[:30])
            raise ExportError(f"--township {value!r}: {reason} (known: {known})") from BadValue(reason)
        codes.append(found[0])
    return codes


class ExportError(Exception):
    pass


def everything() -> Access:
    """The CLI runs as the county's operator: every row (the API's filters still apply)."""
    return Access(grants=frozenset(Grant))


async def _pages(qs) -> AsyncIterator[list]:
    last = 0
    while True:
        page = await qs.filter(id__gt=last).order_by("id").limit(PAGE)
        if not page:
            return
        yield page
        last = page[-1].id


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


# ------------------------------------------------------------------------------------ kinds


async def enterprise_rows(criteria: EnterpriseCriteria, settings: Settings) -> tuple[list[Column], AsyncIterator]:
    widths = {"name": 32, "uscc": 22, "address": 36, "contact_phone": 14}
    numbers = {"lon", "lat"}
    columns = [
        Column(label("enterprises", f), widths.get(f, 12), "number" if f in numbers else "text")
        for f in ENTERPRISE_COLUMNS
    ]
    townships = dict(await Township.all().values_list("id", "name"))
    usernames = dict(await Staff.all().values_list("id", "username"))
    sizes, risks = _words(v.SIZE), _words(v.RISK)

    async def rows() -> AsyncIterator[tuple[list[Any], dict[str, Any]]]:
        async for page in _pages(enterprise_queryset(criteria, everything())):
            for e in page:
                yield (
                    [
                        e.name,
                        e.uscc,
                        townships[e.township_id],
                        e.address,
                        e.lon,
                        e.lat,
                        e.industry,
                        sizes[EnterpriseSize(e.size)],
                        "是" if e.above_scale else "否",
                        e.chain or "",
                        e.contact_person,
                        e.contact_phone,
                        risks[RiskColor(e.risk_color)],
                        usernames.get(e.commissioner_id, "") if e.commissioner_id else "",
                    ],
                    {"point": (e.lon, e.lat)},
                )

    return columns, rows()


ISSUE_FIELDS = (
    "serial",
    "number",
    "enterprise",
    "uscc",
    "township",
    "category",
    "title",
    "description",
    "source",
    "priority",
    "reported_at",
    "lead_team",
    "co_handlers",
    "deadline",
    "status",
    "resolution",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "satisfaction_comment",
)


async def issue_rows(criteria: IssueCriteria, settings: Settings) -> tuple[list[Column], AsyncIterator]:
    tz = ZoneInfo(settings.timezone)
    widths = {"enterprise": 30, "uscc": 22, "title": 30, "description": 50, "resolution": 40, "number": 16}
    times = {"reported_at", "deadline", "resolved_at", "closed_at"}
    columns = [
        Column(label("issues", f), widths.get(f, 20 if f in times else 12), "time" if f in times else "text")
        for f in ISSUE_FIELDS
    ]
    columns[0] = Column(columns[0].header, 6, "number")
    teams = dict(await ServiceTeam.all().values_list("id", "name"))
    words = {"category": _words(v.CATEGORY), "source": _words(v.SOURCE), "priority": _words(v.PRIORITY)}
    satisfaction = _words(v.SATISFACTION)
    now = datetime.now(UTC)

    async def rows() -> AsyncIterator[tuple[list[Any], dict[str, Any]]]:
        serial = 0
        qs = issue_queryset(criteria, now, everything())
        async for page in _pages(qs.prefetch_related("enterprise__township")):
            orders = await DispatchOrder.filter(issue_id__in=[i.id for i in page]).order_by("dispatched_at", "id")
            co: dict[int, list[str]] = {}
            returned_by: dict[int, int] = {}
            for o in orders:
                if o.role == DispatchRole.CO_HANDLER and o.returned_at is None:
                    co.setdefault(o.issue_id, []).append(teams[o.team_id])
                if o.role == DispatchRole.LEAD and o.returned_at is not None:
                    returned_by[o.issue_id] = o.team_id
            for i in page:
                serial += 1
                lead = i.lead_team_id or (returned_by.get(i.id) if i.status == IssueStatus.RETURNED else None)
                yield (
                    [
                        serial,
                        i.ledger_number or i.number,
                        i.enterprise.name,
                        i.enterprise.uscc,
                        i.enterprise.township.name,
                        words["category"][i.category],
                        i.title,
                        i.description,
                        words["source"][i.source],
                        words["priority"][i.priority],
                        _local(i.reported_at, tz),
                        teams.get(lead, "") if lead else "",
                        "、".join(co.get(i.id, [])),
                        _local(i.deadline, tz),
                        STATUS_WORDS[IssueStatus(i.status)],
                        i.resolution,
                        _local(i.resolved_at, tz),
                        _local(i.closed_at, tz),
                        satisfaction.get(i.satisfaction, "") if i.satisfaction else "",
                        i.satisfaction_comment,
                    ],
                    {},
                )

    return columns, rows()


TEAM_FIELDS = ("name", "kind", "parent", "lead_department", "leader", "members", "specialities", "townships")


async def team_rows(settings: Settings) -> tuple[list[Column], AsyncIterator]:
    widths = {"name": 28, "lead_department": 20, "members": 40, "specialities": 30, "townships": 60}
    columns = [Column(label("teams", f), widths.get(f, 12)) for f in TEAM_FIELDS]
    names = dict(await ServiceTeam.all().values_list("id", "name"))
    departments = dict(await Department.all().values_list("id", "name"))
    usernames = dict(await Staff.all().values_list("id", "username"))
    townships = dict(await Township.all().values_list("id", "name"))
    members: dict[int, list[int]] = {}
    for team_id, staff_id in await TeamMember.all().order_by("id").values_list("team_id", "staff_id"):
        members.setdefault(team_id, []).append(staff_id)
    coverage: dict[int, list[int]] = {}
    for team_id, township_id in await TeamCoverage.all().order_by("id").values_list("team_id", "township_id"):
        coverage.setdefault(team_id, []).append(township_id)
    kinds, categories = _words(v.TEAM_KIND), _words(v.CATEGORY)

    async def rows() -> AsyncIterator[tuple[list[Any], dict[str, Any]]]:
        # Parents first: the importer needs a sub-team's parent on an earlier row.
        teams = await ServiceTeam.all().order_by("id")
        teams.sort(key=lambda t: (t.parent_id is not None, t.id))
        for t in teams:
            yield (
                [
                    t.name,
                    kinds[t.kind],
                    names.get(t.parent_id, "") if t.parent_id else "",
                    departments[t.lead_department_id],
                    usernames.get(t.leader_id, "") if t.leader_id else "",
                    "、".join(usernames[s] for s in members.get(t.id, [])),
                    "、".join(categories[v.CATEGORY(c)] for c in t.specialities),
                    "、".join(townships[s] for s in coverage.get(t.id, [])),
                ],
                {},
            )

    return columns, rows()


async def township_features() -> list[dict[str, Any]]:
    features = []
    for t in await Township.all().order_by("code"):
        properties = {
            "code": t.code,
            "name": t.name,
            "kind": t.kind.value if hasattr(t.kind, "value") else t.kind,
            "county_code": t.county_code,
            "county_name": t.county_name,
            "seat_lon": t.seat_lon,
            "seat_lat": t.seat_lat,
        }
        features.append({"type": "Feature", "properties": properties, "geometry": t.boundary})
    return features


# ------------------------------------------------------------------------------------ writers


async def export(
    kind: str,
    path: Path,
    settings: Settings,
    fmt: str | None = None,
    *,
    enterprise_criteria: EnterpriseCriteria | None = None,
    issue_criteria: IssueCriteria | None = None,
    on_row: Callable[[int], None] | None = None,
) -> int:
    """Writes ``kind`` to ``path`` (format from ``fmt`` or the file's suffix); returns the rows written."""
    if not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: no directory {path.parent} (create it first)")
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt == "json":
        fmt = "geojson"
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    if kind == "townships":
        if fmt != "geojson":
            raise ExportError("townships are exported as GeoJSON (their outlines do not fit a table)")
        features = await township_features()
        _write_json(path, features)
        return len(features)
    if kind == "enterprises":
        columns, rows = await enterprise_rows(enterprise_criteria or EnterpriseCriteria(), settings)
    elif kind == "issues":
        columns, rows = await issue_rows(issue_criteria or IssueCriteria(), settings)
    elif kind == "teams":
        columns, rows = await team_rows(settings)
    else:
        raise ExportError(f"unknown kind {kind!r}: enterprises, issues, teams or townships")
    if fmt == "geojson":
        if kind != "enterprises":
            raise ExportError("only enterprises and townships have a GeoJSON form")
        features = []
        async for cells, extra in rows:
            lon, lat = extra["point"]
            properties = {c.header: value for c, value in zip(columns, cells, strict=True)}
            features.append({"type": "Feature", "properties": properties, "geometry": _point(lon, lat)})
        _write_json(path, features)
        return len(features)
    writer = _XlsxWriter(path, columns) if fmt == "xlsx" else _CsvWriter(path, columns)
    count = 0
    try:
        async for cells, _ in rows:
            writer.row(cells)
            count += 1
            if on_row:
                on_row(1)
    finally:
        writer.close()
    return count


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _write_json(path: Path, features: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False)


class _CsvWriter:
    """UTF-8 with a BOM, so that Excel opens the Chinese correctly; times as 2023-05-06 14:30:00."""

    def __init__(self, path: Path, columns: Sequence[Column]):
        self.file = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow([c.header for c in columns])

    def row(self, cells: Sequence[Any]) -> None:
        self.writer.writerow([_csv_cell(c) for c in cells])

    def close(self) -> None:
        self.file.close()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else value


class _XlsxWriter:
    def __init__(self, path: Path, columns: Sequence[Column]):
        import xlsxwriter

        # constant_memory: each row goes to disk once the next one starts.
        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
        self.sheet = self.book.add_worksheet()
        self.columns = list(columns)
        head = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        self.time = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.text = self.book.add_format({"num_format": "@"})
        for i, c in enumerate(self.columns):
            self.sheet.set_column(i, i, c.width, self.text if c.kind == "text" else None)
            self.sheet.write_string(0, i, c.header, head)
        self.sheet.freeze_panes(1, 0)
        self.index = 0

    def row(self, cells: Sequence[Any]) -> None:
        self.index += 1
        for i, (column, value) in enumerate(zip(self.columns, cells, strict=True)):
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                self.sheet.write_datetime(self.index, i, value, self.time)
            elif isinstance(value, int | float) and column.kind == "number":
                self.sheet.write_number(self.index, i, value)
            else:
                # Text stays text: a USCC or a phone number must not become a number.
                self.sheet.write_string(self.index, i, str(value))

    def close(self) -> None:
        self.sheet.autofilter(0, 0, max(self.index, 1), len(self.columns) - 1)
        self.book.close()
