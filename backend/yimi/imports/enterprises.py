"""Enterprise registers (企业名录): one enterprise per row, keyed by its USCC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, ValidationError
from tortoise.backends.base.client import BaseDBAsyncClient

from yimi.accounts.models import Staff
from yimi.enterprises.models import Enterprise, EnterpriseSize, RiskColor
from yimi.imports import values as v
from yimi.imports.base import Checker, KindImporter, Outcome, Problem, Row, differing
from yimi.imports.coords import to_wgs84
from yimi.imports.places import Places

# The columns an import sets (and compares, to tell an unchanged row).
FIELDS = (
    "name",
    "uscc",
    "township_id",
    "address",
    "lon",
    "lat",
    "industry",
    "size",
    "above_scale",
    "chain",
    "contact_person",
    "contact_phone",
    "risk_color",
    "commissioner_id",
)


def check_uscc(value: object) -> str:
    """The USCC without spaces, in capitals; BadValue saying what is wrong with it."""
    code = v.text(value).replace(" ", "").replace("-", "").upper()
    try:
        return str(stdnum_uscc.validate(code))
    except InvalidChecksum:
        raise v.BadValue("check digit wrong (a typo in the code?)") from None
    except ValidationError:
        raise v.BadValue("not a unified social credit code (18 digits and capital letters)") from None


# Stored field -> the file's columns that set it (an update keeps a field none of them is in the file).
COLUMNS_OF = {f: ("lon", "lat") if f in ("lon", "lat") else (f.removesuffix("_id"),) for f in FIELDS if f != "uscc"}
# The file's columns, in the order of FIELDS (the export writes them so).
COLUMNS = tuple(f.removesuffix("_id") for f in FIELDS)


def _uscc_or_none(value: object) -> str | None:
    try:
        return check_uscc(value) if value is not None else None
    except v.BadValue:
        return None


class People:
    """Staff by username or by (unique) name, for commissioners, leaders and members."""

    def __init__(self, rows: list[tuple[int, str, str]]):
        self.by_username = {u: i for i, u, _ in rows}
        self.by_name: dict[str, list[int]] = {}
        for i, _, name in rows:
            self.by_name.setdefault(name, []).append(i)
        self.usernames = {i: u for i, u, _ in rows}

    @classmethod
    async def load(cls, conn: BaseDBAsyncClient) -> People:
        return cls(await Staff.all().using_db(conn).values_list("id", "username", "name"))

    def find(self, value: str) -> int | None:
        if value in self.by_username:
            return self.by_username[value]
        found = self.by_name.get(value, [])
        return found[0] if len(found) == 1 else None


class EnterpriseImporter(KindImporter):
    kind = "enterprises"

    async def prepare(self, conn: BaseDBAsyncClient) -> None:
        self.places = await Places.load(conn)
        self.people = await People.load(conn)
        self.seen: dict[str, int] = {}  # USCC -> row it first appeared in
        self.green_by_default = 0  # rows without a risk colour, set to green (the model has no "unknown")

    async def check(self, rows: Sequence[Row], conn: BaseDBAsyncClient) -> list[Outcome]:
        codes = {code for row in rows if (code := _uscc_or_none(row.cells.get("uscc")))}
        existing = {r["uscc"]: r for r in await Enterprise.filter(uscc__in=codes).using_db(conn).values("id", *FIELDS)}
        checked = [(row, self._values(row, existing)) for row in rows]
        outcomes = []
        for row, values in checked:
            if row.rejected:
                continue
            old = existing.get(values["uscc"])
            if old is None:
                outcomes.append(Outcome(row, "create", values))
                continue
            changed = differing(values, old)
            outcome = self.compared(row, values, old["id"], changed, "uscc")
            if outcome is not None:
                if outcome.action == "update":
                    outcome.changes = {f: (old.get(f), values[f]) for f in changed}
                outcomes.append(outcome)
        return outcomes

    def _values(self, row: Row, existing: dict[str, dict[str, Any]]) -> dict[str, Any]:
        c = Checker(self.ctx, row)
        old = existing.get(_uscc_or_none(row.cells.get("uscc")) or "")
        values = self._parsed(c, row, keep=old)
        if old is not None:
            # An update sets only the columns the file has: the others keep what is stored.
            for name, columns in COLUMNS_OF.items():
                if not any(col in self.ctx.column_names for col in columns):
                    values[name] = old[name]
        return values

    def _parsed(self, c: Checker, row: Row, keep: dict[str, Any] | None) -> dict[str, Any]:
        def absent(column: str) -> bool:
            # A column the file lacks, for a record already stored: its value is kept, no warning.
            return keep is not None and column not in self.ctx.column_names

        name = c.text("name", 128, required=True)
        uscc = c.parse("uscc", check_uscc, required=True)
        if uscc:
            first = self.seen.setdefault(uscc, row.number)
            if first != row.number:
                c.error("uscc", f"the same code as row {first} of this file")
        place = c.parse("township", self.places.find, required=True)
        industry = c.parse("industry", v.industry, required=True)
        size = c.parse("size", v.SIZE, EnterpriseSize.SMALL)
        if c.raw("size") is None and not absent("size"):
            c.warn("size", "no size given: recorded as small (小型)")
        values: dict[str, Any] = {
            "name": name,
            "uscc": uscc,
            "township_id": place.id if place else None,
            "address": c.text("address", 255),
            "industry": industry,
            "size": size,
            "above_scale": c.parse("above_scale", v.YES_NO, False),
            "chain": c.text("chain", 32) or None,
            "contact_person": c.text("contact_person", 32),
            "contact_phone": self._phone(c),
            "risk_color": self._risk(c, absent("risk_color")),
            "commissioner_id": None,
        }
        commissioner = c.text("commissioner", 64)
        if commissioner:
            values["commissioner_id"] = self.people.find(commissioner)
            if values["commissioner_id"] is None:
                c.warn("commissioner", "no such member of staff (username or name): left without a commissioner")
        values["lon"], values["lat"] = self._point(c, place, absent("lon") and absent("lat"))
        return values

    def _risk(self, c: Checker, kept: bool) -> RiskColor:
        if c.raw("risk_color") is None and not kept:
            self.green_by_default += 1
        return c.parse("risk_color", v.RISK, RiskColor.GREEN)

    def file_problems(self) -> list[Problem]:
        if not self.green_by_default:
            return []
        n = self.green_by_default
        reason = f"{n} row{'s' if n != 1 else ''} without a risk colour (风险等级) were set to green"
        return [Problem("warning", self.ctx.file.name, 0, "", "", reason)]

    @staticmethod
    def _phone(c: Checker) -> str:
        raw = c.text("contact_phone", 20)
        try:
            number, note = v.phone(raw)
        except v.BadValue as error:
            c.error("contact_phone", str(error))
            return raw
        if note:
            c.warn("contact_phone", note)
        return number

    def _point(self, c: Checker, place, kept: bool = False) -> tuple[float | None, float | None]:
        lon = c.parse("lon", lambda x: v.number(x, "longitude in degrees"))
        lat = c.parse("lat", lambda x: v.number(x, "latitude in degrees"))
        if c.raw("lon") is None and c.raw("lat") is None:
            if place is None or kept:
                return None, None
            c.warn("lon", "no coordinates: placed at the township's seat")
            return place.seat
        if lon is None or lat is None:
            if c.raw("lon") is None or c.raw("lat") is None:
                c.error("lon" if c.raw("lon") is None else "lat", "give both longitude and latitude, or neither")
            return None, None
        swapped = " (经度 and 纬度 swapped?)" if self._inside(lat, lon) else ""
        if not (-180 <= lon <= 180):
            c.error("lon", f"longitude must be between -180 and 180{swapped}")
            return None, None
        if not (-90 <= lat <= 90):
            c.error("lat", f"latitude must be between -90 and 90{swapped}")
            return None, None
        # Problems name the point as the file writes it; the converted one only in the reason.
        written = f"{v.text(c.raw('lon'))}, {v.text(c.raw('lat'))}"
        lon, lat = to_wgs84(lon, lat, self.ctx.crs)
        converted = f" (WGS-84 {lon:.6f}, {lat:.6f})" if self.ctx.crs.value != "wgs84" else ""
        if not self.places.in_county(lon, lat):
            c.error("lon", f"the point{converted} lies outside the county{swapped}", written)
        elif place is not None and not self.places.in_township(place, lon, lat):
            c.warn("lon", f"the point{converted} lies outside {place.name}", written)
        return lon, lat

    def _inside(self, lon: float, lat: float) -> bool:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return False
        return self.places.in_county(*to_wgs84(lon, lat, self.ctx.crs))

    async def write(self, outcomes: Sequence[Outcome], conn: BaseDBAsyncClient) -> None:
        new = [Enterprise(**o.values) for o in outcomes if o.action == "create"]
        if new:
            await Enterprise.bulk_create(new, using_db=conn)
        changed = [Enterprise(id=o.existing_id, **o.values) for o in outcomes if o.action == "update"]
        if changed:
            await Enterprise.bulk_update(changed, fields=[f for f in FIELDS if f != "uscc"], using_db=conn)
