"""Geometry for the demo: township cells that tile a county outline, and points inside them.

Real township boundaries are not open data, so the demo draws plausible ones: a Voronoi diagram of
seed points spread over the county by a few Lloyd iterations, clipped to the county's real outline
and snapped to a 1e-5° grid (about 1 m) so that the stored GeoJSON stays small. Everything here is
a pure function of its inputs and the ``random.Random`` it is given.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from pathlib import Path

import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, mapping, shape
from shapely.ops import voronoi_diagram
from shapely.prepared import prep

GRID = 1e-5  # degrees; coordinates are stored with 5 decimals
DECIMALS = 5


def read_outline(path: Path, code: str | None = None) -> MultiPolygon:
    """The county outline from a GeoJSON file (a Feature, a FeatureCollection or a bare geometry)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("type") == "FeatureCollection":
        features = [f for f in data["features"] if code is None or f["properties"].get("code") == code]
        if len(features) != 1:
            raise ValueError(f"{path}: expected one feature with code {code}, found {len(features)}")
        geometry = features[0]["geometry"]
    elif data.get("type") == "Feature":
        geometry = data["geometry"]
    else:
        geometry = data
    return as_multipolygon(shape(geometry))


def as_multipolygon(geom) -> MultiPolygon:
    """Keeps only the polygonal parts of ``geom``, as a MultiPolygon."""
    if geom.is_empty:
        return MultiPolygon()
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    return MultiPolygon(parts)


def clean_outline(outline: MultiPolygon, min_area: float = 1e-5) -> MultiPolygon:
    """Drops islands and holes smaller than ``min_area`` square degrees (about 0.1 km²).

    The simplified outlines in shared/data carry a few triangles and pin-holes of some 100 m across
    left by the simplification; a township map with pin-holes in it looks broken.
    """
    parts = []
    for poly in outline.geoms:
        if poly.area < min_area:
            continue
        holes = [ring for ring in poly.interiors if Polygon(ring).area >= min_area]
        parts.append(Polygon(poly.exterior, holes))
    return MultiPolygon(parts)


def random_point_in(
    geom, rng: random.Random, prepared=None, decimals: int = 6, max_tries: int = 10_000
) -> tuple[float, float]:
    """A point uniformly distributed in ``geom`` (rejection sampling in its bounding box).

    The point is rounded to ``decimals`` and checked again after rounding, so the stored point is
    strictly inside ``geom``.
    """
    prepared = prepared or prep(geom)
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(max_tries):
        x = round(rng.uniform(minx, maxx), decimals)
        y = round(rng.uniform(miny, maxy), decimals)
        if prepared.contains(Point(x, y)):
            return x, y
    raise ValueError("could not sample a point inside the geometry")


def seed_points(
    outline: MultiPolygon,
    n: int,
    rng: random.Random,
    *,
    fixed: Sequence[tuple[float, float]] = (),
    iterations: int = 6,
) -> list[tuple[float, float]]:
    """``n`` seeds inside ``outline``: the ``fixed`` ones first, the rest spread by Lloyd relaxation."""
    if len(fixed) > n:
        raise ValueError("more fixed seeds than seeds")
    main = max(outline.geoms, key=lambda p: p.area)
    prepared = prep(main)
    points = [(x, y) for x, y in fixed]
    for p in points:
        if not prepared.contains(Point(p)):
            raise ValueError(f"fixed seed {p} lies outside the outline")
    while len(points) < n:
        candidate = random_point_in(main, rng, prepared)
        # Keep random seeds from landing on top of each other before relaxation.
        if all(math.dist(candidate, q) > 0.01 for q in points):
            points.append(candidate)
    for _ in range(iterations):
        cells = voronoi_cells(outline, points)
        moved = list(points[: len(fixed)])
        for cell, point in zip(cells[len(fixed) :], points[len(fixed) :], strict=True):
            c = cell.centroid
            moved.append((c.x, c.y) if not cell.is_empty and prepared.contains(c) else point)
        points = moved
    return points


def voronoi_cells(outline: MultiPolygon, seeds: Sequence[tuple[float, float]]) -> list[MultiPolygon]:
    """The Voronoi cell of each seed, clipped to ``outline``, in the order of ``seeds``."""
    minx, miny, maxx, maxy = outline.bounds
    margin = max(maxx - minx, maxy - miny)
    envelope = shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin)
    diagram = voronoi_diagram(MultiPoint(list(seeds)), envelope=envelope)
    cells: list[MultiPolygon | None] = [None] * len(seeds)
    # The diagram's cells come in no promised order: match each to the seed it contains.
    for region in diagram.geoms:
        for i, seed in enumerate(seeds):
            if cells[i] is None and region.contains(Point(seed)):
                cells[i] = as_multipolygon(region.intersection(outline))
                break
    found = [c for c in cells if c is not None]
    if len(found) < len(cells):
        raise ValueError("a seed has no Voronoi cell (duplicate seeds?)")
    return found


def snap(geom: MultiPolygon) -> MultiPolygon:
    """Snaps to the 1e-5° grid, keeping the result valid and polygonal."""
    snapped = shapely.set_precision(geom, GRID)
    return as_multipolygon(snapped)


def absorb_fragments(cells: list[MultiPolygon], max_share: float = 0.2) -> list[MultiPolygon]:
    """Gives small detached parts of a cell to the neighbour they share the longest border with.

    Clipping a Voronoi cell to a concave outline can leave a township with a tiny exclave across
    a narrow neck of the county; real townships rarely look like that.
    """
    cells = list(cells)
    for i, cell in enumerate(cells):
        if len(cell.geoms) < 2:
            continue
        parts = sorted(cell.geoms, key=lambda p: p.area, reverse=True)
        keep = [parts[0]]
        for part in parts[1:]:
            if part.area > max_share * cell.area:
                keep.append(part)
                continue
            shared = [(part.boundary.intersection(other.boundary).length, j) for j, other in enumerate(cells) if j != i]
            length, j = max(shared)
            if length <= 0:
                keep.append(part)
                continue
            cells[j] = as_multipolygon(shapely.union(cells[j], part))
        cells[i] = MultiPolygon(keep)
    return cells


def township_cells(outline: MultiPolygon, seeds: Sequence[tuple[float, float]]) -> list[MultiPolygon]:
    """Cells that tile ``outline`` without gaps or overlaps, snapped to the storage grid."""
    return [snap(cell) for cell in absorb_fragments(voronoi_cells(outline, seeds))]


def to_geojson(geom: MultiPolygon, decimals: int = DECIMALS) -> dict:
    """A GeoJSON MultiPolygon dict with coordinates rounded to ``decimals`` (as plain lists)."""
    geo = mapping(as_multipolygon(geom))
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [[[round(x, decimals), round(y, decimals)] for x, y, *_ in ring] for ring in polygon]
            for polygon in geo["coordinates"]
        ],
    }


def seat_point(cell: MultiPolygon, seed: tuple[float, float], decimals: int = DECIMALS) -> tuple[float, float]:
    """The seed when it lies inside its (snapped) cell, else a point surely inside the cell."""
    x, y = round(seed[0], decimals), round(seed[1], decimals)
    if cell.contains(Point(x, y)):
        return x, y
    # representative_point() is inside but may fall back outside once rounded: step inwards.
    p = cell.buffer(-0.001).representative_point() if cell.buffer(-0.001).area > 0 else cell.representative_point()
    x, y = round(p.x, decimals), round(p.y, decimals)
    if not cell.contains(Point(x, y)):
        raise ValueError("could not place a seat inside the township cell")
    return x, y
