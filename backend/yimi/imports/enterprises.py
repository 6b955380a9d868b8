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
from yimi.imports.base import Checker, KindImporter, Outcome, Row, differing
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

    async def check(self, rows: Sequence[Row], conn: BaseDBAsyncClient) -> list[Outcome]:
        checked = [(row, self._values(row)) for row in rows]
        usccs = [values["uscc"] for row, values in checked if not row.rejected]
        existing = {r["uscc"]: r for r in await Enterprise.filter(uscc__in=usccs).using_db(conn).values("id", *FIELDS)}
        outcomes = []
        for row, values in checked:
            if row.rejected:
                continue
            old = existing.get(values["uscc"])
            if old is None:
                outcomes.append(Outcome(row, "create", values))
                continue
            changed = differing(values, old)
            if not changed:
                outcomes.append(Outcome(row, "unchanged", values, old["id"]))
            elif self.ctx.update:
                outcomes.append(Outcome(row, "update", values, old["id"]))
            else:
                Checker(self.ctx, row).error(
                    "uscc",
                    f"already in the database with other {', '.join(changed)}: --update overwrites it",
                )
        return outcomes

    def _values(self, row: Row) -> dict[str, Any]:
        c = Checker(self.ctx, row)
        name = c.text("name", 128, required=True)
        uscc = c.parse("uscc", check_uscc, required=True)
        if uscc:
            first = self.seen.setdefault(uscc, row.number)
            if first != row.number:
                c.error("uscc", f"the same code as row {first} of this file")
        place = c.parse("township", self.places.find, required=True)
        industry = c.parse("industry", v.industry, required=True)
        size = c.parse("size", v.SIZE, EnterpriseSize.SMALL)
        if c.raw("size") is None:
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
            "contact_phone": c.text("contact_phone", 20),
            "risk_color": c.parse("risk_color", v.RISK, RiskColor.GREEN),
            "commissioner_id": None,
        }
        commissioner = c.text("commissioner", 64)
        if commissioner:
            values["commissioner_id"] = self.people.find(commissioner)
            if values["commissioner_id"] is None:
                c.warn("commissioner", "no such member of staff (username or name): left without a commissioner")
        values["lon"], values["lat"] = self._point(c, place)
        return values

    def _point(self, c: Checker, place) -> tuple[float | None, float | None]:
        lon = c.parse("lon", lambda x: v.number(x, "longitude in degrees"))
        lat = c.parse("lat", lambda x: v.number(x, "latitude in degrees"))
        if c.raw("lon") is None and c.raw("lat") is None:
            if place is None:
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
        lon, lat = to_wgs84(lon, lat, self.ctx.crs)
        if not self.places.in_county(lon, lat):
            c.error("lon", f"the point ({lon:.6f}, {lat:.6f}) lies outside the county{swapped}", f"{lon}, {lat}")
        elif place is not None and not self.places.in_township(place, lon, lat):
            c.warn("lon", f"the point lies outside {place.name}", f"{lon:.6f}, {lat:.6f}")
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
