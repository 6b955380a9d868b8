"""The map layer: the same points, counts and colours as counting on read; kept per (filter, caller
scope) and built again when the data version moves or a colour it shows changes with the clock."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import count_sql
from tests.databases import ON_POSTGRES
from yimi.accounts.read_rules import PUBLIC, STAFF, Access, AccessDenied, Grant
from yimi.common import data_version
from yimi.common.figures import next_colour_change
from yimi.common.ids import to_global_id
from yimi.enterprises.map_layer import MapLayerCache, build_layer
from yimi.enterprises.models import Enterprise
from yimi.enterprises.service import EnterpriseCriteria
from yimi.issues.models import OPEN_VALUES, Issue
from yimi.issues.warning import SEVERITY, warning_color

EVERYTHING = Access(grants=STAFF)


def features(layer) -> dict[str, dict]:
    return {f["properties"]["id"]: f for f in json.loads(layer.json)["features"]}


async def counted_on_read(now: datetime) -> dict[str, tuple]:
    """(lon, lat, open count, worst colour) per enterprise, from the issues themselves."""
    worst: dict[int, int] = {}
    counts: dict[int, int] = {}
    for issue in await Issue.filter(status__in=OPEN_VALUES):
        counts[issue.enterprise_id] = counts.get(issue.enterprise_id, 0) + 1
        color = warning_color(issue.status, issue.yellow_at, issue.orange_at, issue.deadline, now)
        worst[issue.enterprise_id] = max(worst.get(issue.enterprise_id, -1), SEVERITY[color])
    names = {v: k.name for k, v in SEVERITY.items()}
    return {
        to_global_id("Enterprise", e.id): (e.lon, e.lat, counts.get(e.id, 0), names.get(worst.get(e.id, -1)))
        for e in await Enterprise.all()
    }


async def test_the_layer_holds_what_counting_on_read_gives(demo):
    now = datetime.now(UTC)
    layer = await MapLayerCache().get(EnterpriseCriteria(), EVERYTHING, now, None)
    got = {
        k: (*f["geometry"]["coordinates"], f["properties"]["openIssueCount"], f["properties"]["warningColor"])
        for k, f in features(layer).items()
    }
    assert got == await counted_on_read(now)
    assert layer.features == len(got) == await Enterprise.all().count()


async def test_kept_until_the_data_version_moves(demo):
    cache = MapLayerCache()
    now = datetime.now(UTC)
    version = await data_version.current()
    first = await cache.get(EnterpriseCriteria(), EVERYTHING, now, version)
    assert await cache.get(EnterpriseCriteria(), EVERYTHING, now + timedelta(seconds=1), version) is first
    again = await cache.get(EnterpriseCriteria(), EVERYTHING, now, version + 1)
    assert again is not first and again.json == first.json


async def test_built_again_when_a_colour_changes_with_the_clock(demo):
    cache = MapLayerCache()
    now = datetime.now(UTC)
    version = await data_version.current()
    first = await cache.get(EnterpriseCriteria(), EVERYTHING, now, version)
    assert first.valid_until is not None and first.valid_until > now
    # Past the layer's valid_until an issue's colour changes, but its enterprise's worst colour may not
    # (a worse issue beside it): step over warning instants to the first one that changes what is shown.
    shown = {k: v[3] for k, v in (await counted_on_read(now)).items()}
    later = first.valid_until
    for _ in range(1000):
        later += timedelta(microseconds=1)
        if {k: v[3] for k, v in (await counted_on_read(later)).items()} != shown:
            break
        following = await next_colour_change(later)
        assert following is not None, "no open issue changes an enterprise's colour ahead"
        later = following
    with count_sql() as sent:
        changed = await cache.get(EnterpriseCriteria(), EVERYTHING, later, version)
    assert changed is not first
    # Only the clock moved: the colours are read again, the points (same data version) are not.
    assert sent and not any('FROM "enterprise"' in statement for statement in sent), sent
    assert all("open_issue" in statement for statement in sent), sent
    assert changed.json != first.json
    got = {k: f["properties"]["warningColor"] for k, f in features(changed).items()}
    assert got == {k: v[3] for k, v in (await counted_on_read(later)).items()}
    # A request instant from before the build (another process's clock) never reads a newer layer.
    assert await cache.get(EnterpriseCriteria(), EVERYTHING, now - timedelta(seconds=5), version) is not changed


async def test_each_caller_scope_and_filter_has_its_own_layer(demo):
    from yimi.townships.models import Township

    cache = MapLayerCache()
    now = datetime.now(UTC)
    version = await data_version.current()
    township = await Township.all().order_by("code").first()
    assert township is not None
    scoped = Access(grants=STAFF, township_ids=frozenset({township.id}))
    everything = await cache.get(EnterpriseCriteria(), EVERYTHING, now, version)
    mine = await cache.get(EnterpriseCriteria(), scoped, now, version)
    assert mine.features == await Enterprise.filter(township_id=township.id).count() < everything.features
    assert set(features(mine)) < set(features(everything))
    # Without figures (a token with enterprises:read only): points without counts or colours.
    no_figures = Access(grants=frozenset(PUBLIC | {Grant.ENTERPRISES}))
    bare = await cache.get(EnterpriseCriteria(), no_figures, now, version)
    assert bare.features == everything.features
    assert all(f["properties"]["openIssueCount"] is None for f in features(bare).values())
    assert all(f["properties"]["warningColor"] is None for f in features(bare).values())
    # Filters: a bounding box, and one that needs figures (refused without them, even when kept).
    busy = await cache.get(EnterpriseCriteria(has_open_issues=True), EVERYTHING, now, version)
    on_read = await counted_on_read(now)
    assert {
        k: (f["properties"]["openIssueCount"], f["properties"]["warningColor"]) for k, f in features(busy).items()
    } == {k: (v[2], v[3]) for k, v in on_read.items() if v[2] > 0}
    with pytest.raises(AccessDenied):
        await cache.get(EnterpriseCriteria(has_open_issues=True), no_figures, now, version)
    with pytest.raises(AccessDenied):
        await cache.get(EnterpriseCriteria(), Access(grants=PUBLIC), now, version)


async def test_a_report_shows_on_the_map_at_once(gql):
    from tests.issues.workflow_helpers import ok

    query = "query($f: EnterpriseFilter) { mapLayer(filter: $f) }"

    async def count(enterprise_gid: str) -> int:
        layer = (await gql(query, {"f": {}}))["mapLayer"]
        [feature] = [f for f in layer["features"] if f["properties"]["id"] == enterprise_gid]
        return feature["properties"]["openIssueCount"]

    enterprise = await Enterprise.all().order_by("-id").first()
    assert enterprise is not None
    gid = to_global_id("Enterprise", enterprise.id)
    before = await count(gid)
    issue = await ok(
        gql, "reportIssue", enterpriseId=gid, category="POWER", title="反复跳闸", source="HOTLINE", priority="URGENT"
    )
    assert await count(gid) == before + 1
    issue = await ok(gql, "dispatchIssue", issueId=issue["id"], version=issue["version"], leadTeamId=await _team(gql))
    issue = await ok(gql, "acceptDispatch", issueId=issue["id"], version=issue["version"])
    issue = await ok(gql, "resolveIssue", issueId=issue["id"], version=issue["version"], summary="已恢复供电")
    assert await count(gid) == before


async def _team(gql) -> str:
    return (await gql("{ serviceTeams(first: 1) { nodes { id } } }"))["serviceTeams"]["nodes"][0]["id"]


async def test_a_moved_enterprise_moves_on_the_map(demo):
    cache = MapLayerCache()
    now = datetime.now(UTC)
    enterprise = await Enterprise.all().order_by("id").first()
    assert enterprise is not None
    gid = to_global_id("Enterprise", enterprise.id)
    first = await cache.get(EnterpriseCriteria(), EVERYTHING, now, await data_version.current())
    assert features(first)[gid]["geometry"]["coordinates"] == [enterprise.lon, enterprise.lat]
    try:
        await Enterprise.filter(id=enterprise.id).update(lon=enterprise.lon + 0.001)
        moved = await cache.get(EnterpriseCriteria(), EVERYTHING, now, await data_version.current())
        assert features(moved)[gid]["geometry"]["coordinates"] == [enterprise.lon + 0.001, enterprise.lat]
    finally:
        await Enterprise.filter(id=enterprise.id).update(lon=enterprise.lon)


async def test_the_next_colour_change_is_the_earliest_threshold_still_ahead(demo):
    from yimi.townships.models import Township

    issues = await Issue.filter(status__in=OPEN_VALUES)
    township = await Township.all().order_by("code").first()
    assert township is not None
    theirs = {e.id for e in await Enterprise.filter(township_id=township.id)}
    start = datetime.now(UTC)
    for later in (timedelta(0), timedelta(hours=5), timedelta(days=3), timedelta(days=30), timedelta(days=400)):
        at = start + later
        ahead = [next(t for t in (i.yellow_at, i.orange_at, i.deadline) if t > at) for i in issues if i.deadline > at]
        assert await next_colour_change(at) == min(ahead, default=None)
        mine = [
            next(t for t in (i.yellow_at, i.orange_at, i.deadline) if t > at)
            for i in issues
            if i.deadline > at and i.enterprise_id in theirs
        ]
        chosen = 'SELECT id FROM "enterprise" WHERE township_id = ' + ("$1" if ON_POSTGRES else "?")
        assert await next_colour_change(at, chosen, [township.id]) == min(mine, default=None)


async def test_colours_updated_step_by_step_with_the_clock_equal_colours_read_afresh(demo):
    """Clock-only builds read again only the enterprises whose issues crossed a threshold since the last
    build: over many steps, small and large, they show what counting on read shows."""
    from yimi.townships.models import Township

    cache = MapLayerCache()
    version = await data_version.current()
    township = await Township.all().order_by("-code").first()
    assert township is not None
    scoped = Access(grants=STAFF, township_ids=frozenset({township.id}))
    at = datetime.now(UTC)
    steps = [timedelta(microseconds=1)] * 12 + [timedelta(hours=6), timedelta(days=2), timedelta(days=9)]
    for step in steps:
        for access in (EVERYTHING, scoped):
            layer = await cache.get(EnterpriseCriteria(), access, at, version)
            assert layer.built_for <= at
            on_read = await counted_on_read(at)
            assert {k: f["properties"]["warningColor"] for k, f in features(layer).items()} == {
                k: on_read[k][3] for k in features(layer)
            }
        following = await next_colour_change(at)
        if following is None:
            break
        at = max(following, at) + step


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_the_text_of_a_layer_is_its_features_as_geojson(n):
    from yimi.enterprises.map_layer import PointTexts, collection

    points = [(i + 1, 114.0 + i / 10, 34.5, i) for i in range(n)]
    texts = PointTexts()
    for _ in range(2):  # written, then joined from the kept texts
        parts = texts.features(points, {2: 3}, True)
        assert parts == [texts.feature(p, {2: 3}, True) for p in points]  # one at a time, as a patch writes them
        layer = json.loads(collection(parts))
        assert layer["type"] == "FeatureCollection"
        assert [
            (f["properties"]["id"], f["geometry"]["coordinates"], f["properties"]["warningColor"])
            for f in layer["features"]
        ] == [
            (to_global_id("Enterprise", pk), [lon, lat], ("RED" if pk == 2 else "GREEN" if count else None))
            for pk, lon, lat, count in points
        ]


# -- a kept layer brought up to date after writes ----------------------------------------------------


def _read_whole(sent: list[str]) -> bool:
    """Whether the statements read every point again (a patch reads the enterprises it names)."""
    return any('"lon"' in s and '"id" IN (' not in s for s in sent)


async def _open_issue() -> Issue:
    issue = await Issue.filter(status__in=OPEN_VALUES).order_by("deadline", "id").first()
    assert issue is not None
    return issue


@asynccontextmanager
async def _issue_closed():
    issue = await _open_issue()
    await Issue.filter(id=issue.id).update(status="closed")
    yield
    await Issue.filter(id=issue.id).update(status=issue.status)


@asynccontextmanager
async def _issue_turned_red():
    issue = await Issue.filter(status__in=OPEN_VALUES).order_by("-deadline", "id").first()
    assert issue is not None
    past = datetime.now(UTC) - timedelta(hours=1)
    await Issue.filter(id=issue.id).update(yellow_at=past, orange_at=past, deadline=past)
    yield
    await Issue.filter(id=issue.id).update(
        yellow_at=issue.yellow_at, orange_at=issue.orange_at, deadline=issue.deadline
    )


@asynccontextmanager
async def _issue_moved_to_another_enterprise():
    issue = await _open_issue()
    other = await Enterprise.exclude(township_id=(await issue.enterprise).township_id).order_by("id").first()
    assert other is not None
    await Issue.filter(id=issue.id).update(enterprise_id=other.id)
    yield
    await Issue.filter(id=issue.id).update(enterprise_id=issue.enterprise_id)


@asynccontextmanager
async def _enterprise_moved():
    enterprise = await Enterprise.all().order_by("-id").first()
    assert enterprise is not None
    await Enterprise.filter(id=enterprise.id).update(lon=enterprise.lon + 0.002, lat=enterprise.lat - 0.001)
    yield
    await Enterprise.filter(id=enterprise.id).update(lon=enterprise.lon, lat=enterprise.lat)


@asynccontextmanager
async def _enterprise_changed_township():
    """The first township's first enterprise with open issues goes to another township: out of a scope."""
    first = await _first_township()
    enterprise = await Enterprise.filter(township_id=first.id, issues__status__in=OPEN_VALUES).order_by("id").first()
    assert enterprise is not None
    other = await Enterprise.exclude(township_id=first.id).order_by("id").first()
    assert other is not None
    await Enterprise.filter(id=enterprise.id).update(township_id=other.township_id)
    yield
    await Enterprise.filter(id=enterprise.id).update(township_id=enterprise.township_id)


@asynccontextmanager
async def _enterprise_added():
    model = await Enterprise.all().order_by("id").first()
    assert model is not None
    added = await Enterprise.create(
        name="地图补丁测试有限公司",
        uscc="91410000MA0MAPTEST",
        industry=model.industry,
        size=model.size,
        township_id=model.township_id,
        lon=model.lon + 0.01,
        lat=model.lat,
    )
    yield
    await added.delete()


async def _first_township():
    from yimi.townships.models import Township

    township = await Township.filter(enterprises__id__gt=0).order_by("code").first()
    assert township is not None
    return township


@pytest.mark.parametrize(
    "write",
    [
        _issue_closed,
        _issue_turned_red,
        _issue_moved_to_another_enterprise,
        _enterprise_moved,
        _enterprise_changed_township,
        _enterprise_added,
    ],
)
async def test_a_layer_patched_after_a_write_equals_one_built_afresh(demo, write):
    """After a write (and after it is undone) the kept layers read again only the enterprises it touched,
    for every caller scope and filter, and show what a layer built from nothing shows."""
    township = await _first_township()
    views = [
        (EnterpriseCriteria(), EVERYTHING),
        (EnterpriseCriteria(), Access(grants=STAFF, township_ids=frozenset({township.id}))),
        (EnterpriseCriteria(has_open_issues=True), EVERYTHING),
        (EnterpriseCriteria(), Access(grants=frozenset(PUBLIC | {Grant.ENTERPRISES}))),
    ]
    cache = MapLayerCache()
    now = datetime.now(UTC)
    kept = [await cache.get(criteria, access, now, await data_version.current()) for criteria, access in views]

    async def patched_equal_afresh() -> list:
        layers = []
        for criteria, access in views:
            version = await data_version.current()
            with count_sql() as sent:
                layer = await cache.get(criteria, access, now, version)
            assert not _read_whole(sent), sent
            afresh = await build_layer(criteria, access, now, version)
            assert features(layer) == features(afresh)
            assert layer.features == afresh.features
            layers.append(layer)
        return layers

    async with write():
        changed = await patched_equal_afresh()
    assert [features(a) for a in changed] != [features(a) for a in kept]
    undone = await patched_equal_afresh()
    assert [features(a) for a in undone] == [features(a) for a in kept]


async def test_every_point_is_read_again_when_the_log_cannot_tell(demo, monkeypatch):
    from tortoise.expressions import F

    from yimi.enterprises import map_layer
    from yimi.townships.models import Township

    cache = MapLayerCache()
    now = datetime.now(UTC)

    async def rebuilt_whole() -> bool:
        with count_sql() as sent:
            await cache.get(EnterpriseCriteria(), EVERYTHING, now, await data_version.current())
        return _read_whole(sent)

    await cache.get(EnterpriseCriteria(), EVERYTHING, now, await data_version.current())
    # A township's code: filters name townships by code.
    township = await _first_township()
    try:
        await Township.filter(id=township.id).update(code=township.code[:-3] + "999")
        assert await rebuilt_whole()
    finally:
        await Township.filter(id=township.id).update(code=township.code)
    assert await rebuilt_whole()
    # More enterprises than a patch is worth: one statement (an import, say) touching all of them.
    assert await Enterprise.all().count() > map_layer.MAX_PATCHED
    async with _enterprise_moved():
        assert not await rebuilt_whole()
    await Enterprise.all().update(lat=F("lat") + 0)
    assert await rebuilt_whole()
    # A layer older than the log reaches.
    await rebuilt_whole()
    monkeypatch.setattr(data_version, "CHANGES_KEPT", 1)
    async with _enterprise_moved():
        assert await rebuilt_whole()
