from __future__ import annotations

from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class TownshipKind(str, Enum):
    SUBDISTRICT = "subdistrict"  # 街道
    TOWN = "town"  # 镇
    TOWNSHIP = "township"  # 乡
    PARK = "park"  # 园区


class Township(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=9, unique=True)
    name = fields.CharField(max_length=64, db_index=True)
    kind = fields.CharEnumField(TownshipKind, max_length=16, db_index=True)
    county_code = fields.CharField(max_length=6, db_index=True)
    county_name = fields.CharField(max_length=64)
    seat_lon = fields.FloatField()
    seat_lat = fields.FloatField()
    # GeoJSON MultiPolygon geometry, WGS-84.
    boundary: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)

    # Everything but the boundary: outlines are large and most uses need only names and codes.
    LIGHT_FIELDS = ("id", "code", "name", "kind", "county_code", "county_name", "seat_lon", "seat_lat")

    class Meta:
        table = "township"
        ordering = ["code"]
