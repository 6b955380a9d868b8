"""Townships as imports look them up: by code or by name, with their outlines for point checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from tortoise.backends.base.client import BaseDBAsyncClient

from yimi.imports.values import BadValue, text
from yimi.townships.models import Township


@dataclass
class Place:
    id: int
    code: str
    name: str
    seat: tuple[float, float]
    outline: Any  # a prepared shapely geometry, or None when the township has no boundary


class Places:
    def __init__(self, places: list[Place]):
        self.places = places
        self.by_code = {p.code: p for p in places}
        self.by_name: dict[str, list[Place]] = {}
        for p in places:
            self.by_name.setdefault(p.name, []).append(p)
        outlines = [p.outline for p in places if p.outline is not None]
        # The county is the union of its townships' outlines (a little tolerance for the seams).
        self.county = shapely.union_all(outlines).buffer(1e-6) if outlines else None
        if self.county is not None:
            shapely.prepare(self.county)

    @classmethod
    async def load(cls, conn: BaseDBAsyncClient) -> Places:
        rows = await Township.all().using_db(conn).values("id", "code", "name", "seat_lon", "seat_lat", "boundary")
        places = []
        for r in rows:
            outline = shape(r["boundary"]) if r["boundary"] else None
            if outline is not None:
                shapely.prepare(outline)
            places.append(Place(r["id"], r["code"], r["name"], (r["seat_lon"], r["seat_lat"]), outline))
        return cls(places)

    def find(self, value: object) -> Place:
        """The township a cell names: its 9-digit code, its name, or its name without 镇/乡/街道."""
        raw = text(value)
        if raw in self.by_code:
            return self.by_code[raw]
        found = self.by_name.get(raw) or [p for p in self.places if len(raw) >= 2 and p.name.startswith(raw)]
        if len(found) == 1:
            return found[0]
        if not self.places:
            raise BadValue("no townships in the database yet: import them first (yimi import townships)")
        if found:
            raise BadValue(f"several townships match: {', '.join(p.code for p in found)}; give the code")
        raise BadValue("unknown township (give its 9-digit code or its name)")

    def in_county(self, lon: float, lat: float) -> bool:
        return self.county is None or bool(shapely.contains_xy(self.county, lon, lat))

    @staticmethod
    def in_township(place: Place, lon: float, lat: float) -> bool:
        return place.outline is None or bool(shapely.contains_xy(place.outline, lon, lat))
