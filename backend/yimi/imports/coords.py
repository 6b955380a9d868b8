"""Coordinates copied from Chinese maps into WGS-84.

Amap/Gaode, Tencent and Google's China tiles use GCJ-02 ("Mars coordinates"), Baidu BD-09 on top
of it. eviltransform implements the published formulas; GCJ-02 to WGS-84 is solved iteratively
(``gcj2wgs_exact``), which is within a few centimetres, where the one-step inverse is off by metres.
"""

from __future__ import annotations

from enum import Enum

import eviltransform


class Crs(str, Enum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def to_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    """(lon, lat) in WGS-84; eviltransform itself takes and returns (lat, lon)."""
    if crs == Crs.GCJ02:
        lat, lon = eviltransform.gcj2wgs_exact(lat, lon)
    elif crs == Crs.BD09:
        lat, lon = eviltransform.gcj2wgs_exact(*eviltransform.bd2gcj(lat, lon))
    return lon, lat


def from_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    if crs == Crs.GCJ02:
        lat, lon = eviltransform.wgs2gcj(lat, lon)
    elif crs == Crs.BD09:
        lat, lon = eviltransform.wgs2bd(lat, lon)
    return lon, lat
