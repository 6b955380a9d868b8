"""Small geometry helpers shared by the domains."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from yimi.common.errors import UserInputError


@strawberry.type(description="A WGS-84 point.")
class GeoPoint:
    lon: float
    lat: float


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float


def parse_bbox(values: list[float] | None, argument: str) -> BBox | None:
    """A GeoJSON-style bounding box [west, south, east, north] in degrees."""
    if values is None:
        return None
    if len(values) != 4:
        raise UserInputError(argument, f"expected 4 numbers [west, south, east, north], got {len(values)}")
    west, south, east, north = values
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise UserInputError(argument, "longitudes must be between -180 and 180")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise UserInputError(argument, "latitudes must be between -90 and 90")
    if west > east or south > north:
        raise UserInputError(argument, "west must not exceed east, nor south exceed north")
    return BBox(west, south, east, north)


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def point_feature(lon: float, lat: float, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
