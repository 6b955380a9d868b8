"""The map layer: every matching enterprise as one GeoJSON FeatureCollection of points, serialised
once and kept until the data or the clock changes it.

Building it is two SQL queries whatever the size — the points with their open-issue counts (kept on
write, yimi.common.figures), and the worst warning colour per enterprise with the next instant one
of them changes (from the ``open_issue`` table) — and one pass writing the JSON text. The text is
kept per (filter, caller scope) in a per-process cache, and served again while

* the data version (yimi.common.data_version, read before the data) is the one it was built at;
* no warning colour it shows has changed since: colours change with the clock, at the earliest
  yellow, orange or deadline instant still to come among the open issues it counts;
* it is younger than ``data_version.MAX_AGE_SECONDS``.

When it is not, the kept layer is the start of the next one: after a write only the enterprises the
writes since touched (the log of migration 0015) are read again, and after the clock moved only those
whose issues crossed a threshold. Every point is read again when the log cannot tell (more than
``MAX_PATCHED`` enterprises, a township's code changed, or a layer older than the log) and at most
``data_version.MAX_AGE_SECONDS`` after the last full read.

The caller scope is what the read rules make of the answer (yimi.accounts.read_rules): the
townships the caller may see, and whether they read figures. Grants are checked on every call,
before the cache is looked at.
"""

from __future__ import annotations

import asyncio
import gc
import time
from base64 import b64encode
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from datetime import datetime
from itertools import repeat
from operator import itemgetter, sub
from typing import Any, cast

from yimi.accounts.read_rules import Access, Grant
from yimi.common import data_version
from yimi.common.figures import (
    OPEN_ISSUES,
    THRESHOLDS,
    among_enterprises,
    next_colour_change,
    placeholders,
    raw_rows,
)
from yimi.enterprises.service import EnterpriseCriteria, enterprise_queryset
from yimi.issues.warning import SEVERITY

# The GraphQL enum names of the warning colours, by severity, as JSON.
_COLOR_JSON = {severity: f'"{color.name}"' for color, severity in SEVERITY.items()}

# At most this many layers, and this many bytes of them, per process (least recently used out).
MAX_ENTRIES = 32
MAX_BYTES = 96 << 20
# A layer whose data changed is patched when the writes since touched at most this many enterprises.
MAX_PATCHED = 500


@dataclass(frozen=True)
class Layer:
    json: bytes  # the FeatureCollection as JSON text
    features: int
    version: int  # the data version it was built at
    built_for: datetime  # the request instant it was built for
    valid_until: datetime | None  # the next instant a colour it shows changes; None: never
    built_at: float  # time.monotonic()
    # Its points (id, lon, lat, open issues), in id order, and when they were read (time.monotonic()): they
    # change with the data version only.
    points: list = field(default_factory=list, repr=False, compare=False)
    points_read_at: float = 0.0
    # The worst severity of each enterprise with an open issue yellow or worse, at built_for.
    worst: dict[int, int] = field(default_factory=dict, repr=False, compare=False)
    # The JSON text of each point's feature, in the order of ``points``: a layer patched from this one
    # writes again only the features that changed, and joins.
    parts: list[bytes] = field(default_factory=list, repr=False, compare=False)

    @property
    def memory(self) -> int:
        """Bytes it holds, about: its text, and its features' texts again (``parts``)."""
        return 2 * len(self.json)

    def a_start_for(self, now: datetime) -> bool:
        """Whether the next layer may start from this one (patched, not read whole): its points were read
        whole recently enough, and its colours are not ahead of ``now``."""
        return self.built_for <= now and time.monotonic() - self.points_read_at < data_version.MAX_AGE_SECONDS

    def fresh(self, version: int, now: datetime) -> bool:
        return (
            self.version == version
            and self.a_start_for(now)
            and (self.valid_until is None or now < self.valid_until)
            and time.monotonic() - self.built_at < data_version.MAX_AGE_SECONDS
        )


def _scope(access: Access) -> tuple:
    township_ids = None if access.township_ids is None else tuple(sorted(access.township_ids))
    return township_ids, access.allows(Grant.FIGURES)


def _criteria_key(criteria: EnterpriseCriteria) -> tuple:
    return tuple(tuple(v) if isinstance(v, list) else v for v in astuple(criteria))


class MapLayerCache:
    """Built layers by (filter, caller scope), for one process; one build at a time per key."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._layers: OrderedDict[tuple, Layer] = OrderedDict()
        self._bytes = 0
        self._locks: dict[tuple, asyncio.Lock] = {}
        # Each enterprise's feature up to its figures, shared by every layer: what changes least.
        self.points = PointTexts()

    async def get(self, criteria: EnterpriseCriteria, access: Access, now: datetime, version: int | None) -> Layer:
        """The layer for this caller: the kept one if still fresh, else a new one (kept)."""
        enterprise_queryset(criteria, access)  # the grants, checked on every call
        key = (_criteria_key(criteria), _scope(access))
        if version is None:
            version = await data_version.current()  # before reading the data it stands for
        layer = self._fresh(key, version, now)
        if layer is not None:
            return layer
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # the requests that arrive meanwhile wait for this build, not build again
            layer = self._fresh(key, version, now)
            if layer is None:
                kept = self._layers.get(key)
                start = kept if kept is not None and kept.a_start_for(now) else None
                layer = await build_layer(criteria, access, now, version, self.points, start)
                self._keep(key, layer)
        return layer

    def _fresh(self, key: tuple, version: int, now: datetime) -> Layer | None:
        layer = self._layers.get(key)
        if layer is None or not layer.fresh(version, now):
            return None
        self._layers.move_to_end(key)
        return layer

    def _keep(self, key: tuple, layer: Layer) -> None:
        old = self._layers.pop(key, None)
        if old is not None:
            self._bytes -= old.memory
        if layer.memory > self.max_bytes:
            return
        self._layers[key] = layer
        self._bytes += layer.memory
        while len(self._layers) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._layers.popitem(last=False)
            self._bytes -= dropped.memory


def map_cache_of(context: Any) -> MapLayerCache:
    """The app's MapLayerCache (one per app, made on first use)."""
    request = getattr(context, "request", None)
    state = getattr(getattr(request, "app", None), "state", None)
    if state is None:
        return _DETACHED
    cache = getattr(state, "map_layers", None)
    if cache is None:
        cache = state.map_layers = MapLayerCache()
    return cache


async def build_layer(
    criteria: EnterpriseCriteria,
    access: Access,
    now: datetime,
    version: int,
    texts: PointTexts | None = None,
    start: Layer | None = None,
) -> Layer:
    """The layer at ``now``, from ``start`` (a kept layer of the same filter and scope) when it can be
    brought up to date: then only the enterprises written since and those whose colour the clock changed
    are read again."""
    qs = enterprise_queryset(criteria, access)
    texts = texts or PointTexts()
    changed: set[int] = set()
    if start is not None and start.version != version:
        known = await _changed_since(start.version)
        if known is None:
            start = None
        else:
            changed = known
    figures = access.allows(Grant.FIGURES)
    chosen = _ids_sql(qs) if figures else ("", [])
    worst: dict[int, int] = {}
    if start is None:
        points, points_read_at = await _points(qs), time.monotonic()
        if figures and points:
            worst = await _warnings(chosen, now)
        with _gc_paused():
            parts = texts.features(points, worst, figures)
    else:
        points, parts = await _patched(qs, start.points, start.parts, changed)
        points_read_at = start.points_read_at
        recoloured: set[int] = set()
        if figures and points:
            worst, recoloured = await _warnings_since(chosen, start.worst, start.built_for, now)
            if changed:
                worst = await _warnings_of(changed, worst, now)
        # Written again: the features of the enterprises written since and of those the clock recoloured.
        by_id = itemgetter(0)
        for pk in changed | recoloured:
            i = bisect_left(points, pk, key=by_id)
            if i < len(points) and points[i][0] == pk:
                parts[i] = texts.feature(points[i], worst, figures)
    valid_until = await next_colour_change(now, *chosen) if figures and points else None
    return Layer(
        json=collection(parts),
        features=len(points),
        version=version,
        built_for=now,
        valid_until=valid_until,
        built_at=time.monotonic(),
        points=points,
        points_read_at=points_read_at,
        worst=worst,
        parts=parts,
    )


async def _changed_since(version: int) -> set[int] | None:
    """The enterprises the writes after ``version`` touched, from the log of migration 0015; None when the
    log cannot tell: any enterprise, more than ``MAX_PATCHED`` of them, or the version is older than the
    log keeps (read in the same statement as the log, so that no pruning can come between)."""
    marks = placeholders(1, 2)
    sql = (
        "SELECT v.version, c.version, c.enterprise_id FROM data_version v LEFT JOIN "
        f"(SELECT version, enterprise_id FROM enterprise_change WHERE version > {marks[0]} LIMIT {marks[1]}) c "
        "ON 1 = 1 WHERE v.id = 1"
    )
    rows = await raw_rows(sql, [version, MAX_PATCHED * 4 + 1])
    if not rows or not version < rows[0][0] < version + data_version.CHANGES_KEPT:
        return None  # also when the version went back: a database restored under the server
    logged = [r for r in rows if r[1] is not None]
    if len(logged) > MAX_PATCHED * 4:
        return None
    changed = {r[2] for r in logged}
    if None in changed or len(changed) > MAX_PATCHED:
        return None
    return cast(set[int], changed)


async def _patched(qs, points: list, parts: list[bytes], changed: set[int]) -> tuple[list, list[bytes]]:
    """``points`` (in id order) and their ``parts`` with those of the ``changed`` enterprises read again (gone
    when they are no longer among ``qs``); the parts of those read again are left to write (``b""``)."""
    if not changed:
        return points, list(parts)
    sql, params = _sql_of(qs.filter(id__in=sorted(changed)).values_list("id", "lon", "lat", OPEN_ISSUES))
    fresh = list(map(tuple, await raw_rows(sql, params)))
    points, parts = list(points), list(parts)
    by_id = itemgetter(0)
    for pk in changed:
        i = bisect_left(points, pk, key=by_id)
        if i < len(points) and points[i][0] == pk:
            del points[i], parts[i]
    for row in fresh:
        i = bisect_left(points, row[0], key=by_id)
        points.insert(i, row)
        parts.insert(i, b"")
    return points, parts


async def _points(qs) -> list:
    """(id, lon, lat, open issues) of each enterprise of ``qs``, in id order: the driver's rows as they come
    (building 100,000 Tortoise values takes longer than the query), sorted here (PostgreSQL sorts 100,000
    rows on disk with its default work_mem: twice the scan)."""
    sql, params = _sql_of(qs.values_list("id", "lon", "lat", OPEN_ISSUES))
    rows = await raw_rows(sql, params)
    with _gc_paused():
        # Plain tuples, which the cycle collector stops tracking (they hold numbers only): the driver's rows
        # (asyncpg's Records) it would walk, all 100,000 of them, in every full collection while the layer is kept.
        return sorted(map(tuple, rows), key=itemgetter(0))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cycle collector off while a layer's text is written, never across an await: its 100,000 texts set
    off full collections that walk every object of the process (measured: 110 of 280 ms at province
    scale). Nothing it makes holds a cycle; the block that turned collections off turns them on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def _warnings(chosen: tuple[str, list[Any]], now: datetime) -> dict[int, int]:
    """The worst warning severity of each enterprise ``chosen`` selects (``_ids_sql``) with an open issue yellow or
    worse (the others with open issues are green)."""
    sql_filter, params = chosen
    with_chosen, among = among_enterprises(sql_filter)
    marks = placeholders(len(params) + 1, 4)
    # Each coloured issue's severity, the worst taken in Python: SQLite's GROUP BY walks the enterprise index
    # and looks every row up (twice the time).
    sql = f"{with_chosen}SELECT enterprise_id, {_severity(marks)} FROM open_issue WHERE yellow_at <= {marks[3]} {among}"
    return _worst(await raw_rows(sql, [*params, now, now, now, now]))


async def _warnings_since(
    chosen: tuple[str, list[Any]], worst_then: dict[int, int], then: datetime, now: datetime
) -> tuple[dict[int, int], set[int]]:
    """``_warnings`` at ``now`` from those at ``then`` with no write between, and the enterprises read again:
    those with an issue that crossed a threshold since (three index ranges of open_issue), a handful in a
    busy minute of the province instead of every coloured issue."""
    sql_filter, params = chosen
    with_chosen, among = among_enterprises(sql_filter)
    marks = placeholders(len(params) + 1, 9)
    crossed = " UNION ".join(
        f"SELECT enterprise_id FROM open_issue WHERE {column} > {marks[3 + 2 * i]} AND {column} <= {marks[4 + 2 * i]}"
        f" {among}"
        for i, column in enumerate(THRESHOLDS)
    )
    sql = f"{with_chosen}SELECT enterprise_id, {_severity(marks)} FROM open_issue WHERE enterprise_id IN ({crossed})"
    fresh = _worst(await raw_rows(sql, [*params, now, now, now, *[then, now] * 3]))
    if not fresh:
        return worst_then, set()
    worst = dict(worst_then)
    for enterprise_id, severity in fresh.items():
        if severity:
            worst[enterprise_id] = severity
        else:
            worst.pop(enterprise_id, None)
    return worst, set(fresh)


async def _warnings_of(changed: set[int], worst_then: dict[int, int], now: datetime) -> dict[int, int]:
    """``worst_then`` with the worst severity of each ``changed`` enterprise read again at ``now`` (kept for
    those outside the layer too, which no point looks up)."""
    ids = sorted(changed)
    marks = placeholders(1, len(ids) + 4)  # in the order they appear: SQLite numbers them so
    sql = (
        f"SELECT enterprise_id, {_severity(marks[:3])} FROM open_issue "
        f"WHERE enterprise_id IN ({','.join(marks[3:-1])}) AND yellow_at <= {marks[-1]}"
    )
    fresh = _worst(await raw_rows(sql, [now, now, now, *ids, now]))
    worst = dict(worst_then)
    for pk in changed:
        worst.pop(pk, None)
    worst.update((pk, severity) for pk, severity in fresh.items() if severity)
    return worst


def _severity(marks: list[str]) -> str:
    """An open issue's warning severity at the instant given three times (``marks``): 0 green to 3 red
    (yimi.issues.warning.SEVERITY)."""
    return (
        f"CASE WHEN deadline <= {marks[0]} THEN 3 WHEN orange_at <= {marks[1]} THEN 2 "
        f"WHEN yellow_at <= {marks[2]} THEN 1 ELSE 0 END"
    )


def _worst(rows) -> dict[int, int]:
    """The worst severity of each enterprise among (enterprise id, severity) rows."""
    worst: dict[int, int] = {}
    for enterprise_id, severity in rows:
        if severity >= worst.get(enterprise_id, 0):
            worst[enterprise_id] = severity
    return worst


def _sql_of(query) -> tuple[str, list[Any]]:
    """The SQL and parameters Tortoise would send for ``query``."""
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, params = query.query.get_parameterized_sql()
    return sql, list(params)


def _ids_sql(qs) -> tuple[str, list[Any]]:
    """The SQL and parameters selecting the ids of ``qs``; ("", []) when it selects every
    enterprise (no filter, no township limit), which needs no subquery."""
    ids = qs.values("id")
    sql, params = _sql_of(ids)
    return ("", []) if not ids.query._wheres else (sql, params)


class PointTexts:
    """The JSON text of each enterprise's point feature, kept by what it was written from (id, coordinates,
    colour and count), and written again only when one of those changes: a layer built afresh after the
    points were read again then takes the kept texts but for the few features that changed. The features
    are written directly: json.dumps of 100,000 feature dicts takes longer than the SQL. The columns are
    gathered and looked up with map() and zip(), not a Python loop per point (a loop took 200 ms at
    province scale)."""

    def __init__(self) -> None:
        # The feature's text by (id, lon, lat, severity, count), for layers with and without figures.
        self._texts: dict[tuple, bytes] = {}

    def features(self, points, worst: dict[int, int], figures: bool) -> list[bytes]:
        """The feature text of each point (id, lon, lat, open issues), in their order."""
        texts = self._texts
        if len(texts) > 4 * len(points) + 1000:  # enterprises gone or changed since: start afresh
            texts.clear()
        # (id, lon, lat, open issues): Tortoise may select the figure twice.
        ids = list(map(itemgetter(0), points))
        lons, lats = map(itemgetter(1), points), map(itemgetter(2), points)
        if figures:
            counts = list(map(itemgetter(3), points))
            # Green (0) with open issues none yellow yet, -1 (no colour) without any: bool(count) - 1.
            uncoloured = map(sub, map(bool, counts), repeat(1))
            keys = list(zip(ids, lons, lats, map(worst.get, ids, uncoloured), counts, strict=True))
        else:
            keys = list(zip(ids, lons, lats, repeat(None), repeat(None)))
        parts = list(map(texts.get, keys))
        if None in parts:
            for i, text in enumerate(parts):
                if text is None:
                    parts[i] = texts[keys[i]] = _feature(*keys[i])
        return cast(list[bytes], parts)

    def feature(self, point, worst: dict[int, int], figures: bool) -> bytes:
        """One point's feature text, as ``features`` writes it."""
        pk, lon, lat, count = point[:4]
        key = (pk, lon, lat, worst.get(pk, bool(count) - 1), count) if figures else (pk, lon, lat, None, None)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = _feature(*key)
        return text


def collection(parts: list[bytes]) -> bytes:
    """The FeatureCollection of these feature texts: one copy of 17 MB at province scale, not three (a str
    joined, concatenated, encoded), the head and tail going with the first and last features."""
    if not parts:
        return b'{"type":"FeatureCollection","features":[]}'
    ends = list(parts)
    ends[0] = b'{"type":"FeatureCollection","features":[' + ends[0]
    ends[-1] += b"]}"  # the same one when there is only one
    return b",".join(ends)


def _feature(pk: int, lon: float, lat: float, severity: int | None, count: int | None) -> bytes:
    # yimi.common.ids.to_global_id, without its objects; lon and lat as repr() writes them (the shortest
    # text that reads back the same float, as JSON encoders do).
    gid = b64encode(b"Enterprise:%d" % pk).decode()
    color = "null" if severity is None else _COLOR_JSON.get(severity, "null")
    return (
        f'{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lon!r},{lat!r}]}},'
        f'"properties":{{"id":"{gid}","warningColor":{color},"openIssueCount":{"null" if count is None else count}}}}}'
    ).encode()


_DETACHED = MapLayerCache(max_entries=4)
