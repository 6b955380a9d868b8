"""Township outlines (GeoJSON from the natural-resources bureau, or a table without outlines)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from shapely.geometry import MultiPolygon, mapping, shape
from shapely.validation import explain_validity
from tortoise.backends.base.client import BaseDBAsyncClient

from yimi.imports import values as v
from yimi.imports.base import Checker, KindImporter, Outcome, Row, differing
from yimi.imports.coords import Crs, to_wgs84
from yimi.imports.headers import ALIASES, normalise
from yimi.townships.models import Township
from yimi.townships.service import township_kind

FIELDS = ("name", "kind", "county_code", "county_name", "seat_lon", "seat_lat", "boundary")
_PROPERTY = {normalise(a): f for f, aliases in ALIASES["townships"].items() for a in aliases}
# Seven decimals of a degree are about a centimetre: converted outlines keep no false precision.
DECIMALS = 7


def feature_cells(feature: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature as the cells of a row: its properties by field, and its geometry."""
    cells: dict[str, Any] = {}
    for key, value in (feature.get("properties") or {}).items():
        name = _PROPERTY.get(normalise(key))
        if name and name not in cells:
            cells[name] = value
    cells["boundary"] = feature.get("geometry")
    return cells


def _converted(coordinates: Any, crs: Crs) -> Any:
    if isinstance(coordinates[0], int | float):
        lon, lat = to_wgs84(float(coordinates[0]), float(coordinates[1]), crs)
        return [round(lon, DECIMALS), round(lat, DECIMALS)] if crs != Crs.WGS84 else [lon, lat]
    return [_converted(c, crs) for c in coordinates]


class TownshipImporter(KindImporter):
    kind = "townships"

    async def prepare(self, conn: BaseDBAsyncClient) -> None:
        self.seen: dict[str, int] = {}
        self.counties = dict(await Township.all().using_db(conn).values_list("county_code", "county_name"))

    async def check(self, rows: Sequence[Row], conn: BaseDBAsyncClient) -> list[Outcome]:
        codes = [v.text(r.cells.get("code")) for r in rows]
        existing = {
            r["code"]: r for r in await Township.filter(code__in=codes).using_db(conn).values("id", "code", *FIELDS)
        }
        outcomes = []
        for row in rows:
            values = self._values(row)
            if row.rejected:
                continue
            old = existing.get(values["code"])
            if old is None:
                outcomes.append(Outcome(row, "create", values))
                continue
            changed = differing({k: values[k] for k in FIELDS}, old)
            if outcome := self.compared(row, values, old["id"], changed, "code"):
                outcomes.append(outcome)
        return outcomes

    def _values(self, row: Row) -> dict[str, Any]:
        c = Checker(self.ctx, row)
        code = c.text("code", 9, required=True)
        if code and not (len(code) == 9 and code.isdigit()):
            c.error("code", "a township code has 9 digits (e.g. 410223101)")
            code = ""
        if code:
            first = self.seen.setdefault(code, row.number)
            if first != row.number:
                c.error("code", f"the same code as row {first} of this file")
        county_code = c.text("county_code", 6) or code[:6]
        if code and county_code != code[:6]:
            c.error("county_code", f"does not match the township code ({code[:6]})")
        county_name = c.text("county_name", 64) or self.counties.get(county_code, "")
        if code and not county_name:
            c.error("county_name", "required for a county not in the database yet")
        self.counties.setdefault(county_code, county_name)
        boundary = self._boundary(c)
        seat = self._seat(c, boundary)
        return {
            "code": code,
            "name": c.text("name", 64, required=True),
            "kind": c.parse("kind", v.TOWNSHIP_KIND, township_kind(code) if code else None),
            "county_code": county_code,
            "county_name": county_name,
            "seat_lon": seat[0] if seat else None,
            "seat_lat": seat[1] if seat else None,
            # Through JSON: shapely gives tuples, the database gives lists back, and they must compare equal.
            "boundary": json.loads(json.dumps(mapping(boundary))) if boundary is not None else None,
        }

    def _boundary(self, c: Checker) -> MultiPolygon | None:
        geometry = c.raw("boundary")
        if geometry is None:
            return None
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            c.error("", "the geometry must be a Polygon or a MultiPolygon", "")
            return None
        try:
            converted = dict(geometry, coordinates=_converted(geometry["coordinates"], self.ctx.crs))
            outline = shape(converted)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            c.error("", f"the geometry is malformed ({error})", "")
            return None
        if not outline.is_valid:
            c.error("", f"the outline is not a valid polygon: {explain_validity(outline)}", "")
            return None
        if not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in _corners(outline)):
            c.error("", "coordinates out of range: the outline must be in degrees (WGS-84, GCJ-02 or BD-09)", "")
            return None
        return outline if isinstance(outline, MultiPolygon) else MultiPolygon([outline])

    def _seat(self, c: Checker, boundary: MultiPolygon | None) -> tuple[float, float] | None:
        lon = c.parse("seat_lon", lambda x: v.number(x, "longitude"))
        lat = c.parse("seat_lat", lambda x: v.number(x, "latitude"))
        if lon is not None and lat is not None:
            return to_wgs84(lon, lat, self.ctx.crs)
        if boundary is None:
            if c.raw("boundary") is None:  # a bad outline has its own error already
                c.error("seat_lon", "give the seat (驻地经度, 驻地纬度) or an outline")
            return None
        point = boundary.representative_point()
        return point.x, point.y

    async def write(self, outcomes: Sequence[Outcome], conn: BaseDBAsyncClient) -> None:
        new = [Township(**o.values) for o in outcomes if o.action == "create"]
        if new:
            await Township.bulk_create(new, using_db=conn)
        for o in outcomes:
            if o.action == "update":
                await Township.filter(id=o.existing_id).using_db(conn).update(**{k: o.values[k] for k in FIELDS})


def _corners(outline) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = outline.bounds
    return [(minx, miny), (maxx, maxy)]
