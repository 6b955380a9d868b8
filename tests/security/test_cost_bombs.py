"""Attacks that stall the server for free: lists the cost did not count, and fragment bombs.

Both ran, anonymously, against a real `yimi serve`: the amplification query cost 2 points, ran
39 s and took 512 MB; 30 fragments each spreading the next twice cost 0 points and held the
event loop for 2^30 steps of the cost and limit walks (a concurrent `{ __typename }` waited).
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
    is_composite_type,
    is_object_type,
    parse,
)
from tests.servers import yimi_serve
from yimi.graphql.cost import document_shape, query_cost
from yimi.graphql.list_bounds import (
    BYTES_PER_OBJECT,
    LIST_BOUNDS,
    MAP_FEATURE_BYTES,
    SCALAR_WEIGHTS,
    STATISTICS,
    Argument,
    Data,
    Leaf,
    Page,
    read_sizes,
)
from yimi.graphql.schema import schema
from yimi.settings import Settings

AMPLIFICATION = "{ coverage { categories { teams { townships { coveringTeams { townships { name } } } } } } }"
# 14 aliases of every township's outline once per covering team: 467 points (< 500) ran anonymously
# for 5.4 s, answered 20 MB and grew the server by 130 MB (five at once: 691 MB).
OUTLINE_BOMB = "{ " + " ".join(f"a{i}: coverage {{ teams {{ townships {{ boundary }} }} }}" for i in range(14)) + " }"


def fragment_bomb(n: int, leaf: str = "rateLimit { cost }") -> str:
    """n fragments, each spreading the next twice: 2^n spreads once expanded, in ~40 bytes each."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return "query { ...F0 } " + " ".join(fragments) + f" fragment F{n} on Query {{ {leaf} }}"


def _is_list(type_) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def test_every_list_field_has_a_bound():
    lists = {
        f"{type_.name}.{name}": field
        for type_ in schema._schema.type_map.values()
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)) and not type_.name.startswith("__")
        for name, field in type_.fields.items()
        if _is_list(field.type)
    }
    assert sorted(set(lists) - set(LIST_BOUNDS)) == [], "list fields without a bound in yimi.graphql.list_bounds"
    assert sorted(set(LIST_BOUNDS) - set(lists)) == [], "bounds of fields that are no lists (any more)"
    for key, field in lists.items():
        bound = LIST_BOUNDS[key]
        assert bound.reason, key
        objects = is_composite_type(get_named_type(field.type))
        assert objects != isinstance(bound, Leaf), f"{key}: Leaf is for lists of values, and only for them"
        if isinstance(bound, Data):
            assert bound.statistic in STATISTICS, key
        if isinstance(bound, Page):
            assert key.split(".")[0].endswith("Connection"), key
        if isinstance(bound, Argument) and not bound.of_enclosing_field:
            assert bound.path.split(".")[0] in field.args, key
    assert is_object_type(schema._schema.get_type("RecordVisitPayload"))


async def test_bounds_from_the_data_are_upper_bounds(demo):
    """Each figure is at least what the largest parent really has (here: the demo county)."""
    from yimi.issues.models import IssueEvent
    from yimi.teams.models import TeamCoverage
    from yimi.townships.models import Township

    sizes = await read_sizes()
    assert sizes["townships"] == await Township.all().count() > 0
    by_township: dict[int, int] = {}
    for township_id in await TeamCoverage.all().values_list("township_id", flat=True):
        by_township[township_id] = by_township.get(township_id, 0) + 1
    assert sizes["teams_per_township"] == max(by_township.values())
    per_issue: dict[int, int] = {}
    for issue_id in await IssueEvent.all().values_list("issue_id", flat=True):
        per_issue[issue_id] = per_issue.get(issue_id, 0) + 1
    assert sizes["events_per_issue"] == max(per_issue.values())


async def test_amplification_through_plain_lists_is_counted(demo):
    from yimi.issues.models import IssueCategory

    sizes = await read_sizes()
    cost = query_cost(schema._schema, parse(AMPLIFICATION), sizes=sizes)
    t, per_township, per_team = sizes["townships"], sizes["teams_per_township"], sizes["townships_per_team"]
    # townships × categories × teams × townships × teams × townships, and each level above it.
    assert cost.objects >= t * len(IssueCategory) * per_township * per_team * per_township * per_team
    assert cost.points > 500  # the default YIMI_MAX_QUERY_COST


def test_every_json_field_has_a_weight():
    """A JSON scalar can be any size: each one's cost must say how large it is."""
    json_fields = {
        f"{type_.name}.{name}"
        for type_ in schema._schema.type_map.values()
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)) and not type_.name.startswith("__")
        for name, field in type_.fields.items()
        if get_named_type(field.type).name == "JSON"
    }
    assert json_fields == set(SCALAR_WEIGHTS), "JSON fields without a weight (or weights of no JSON field)"
    for key, weight in SCALAR_WEIGHTS.items():
        assert weight.statistic in STATISTICS and weight.bytes_per_unit > 0 and weight.reason, key


async def test_outlines_count_by_their_size(demo):
    from yimi.townships.models import Township

    sizes = await read_sizes()
    outlines = [
        len(json.dumps(b, separators=(",", ":"))) for b in await Township.all().values_list("boundary", flat=True) if b
    ]
    assert sizes["boundary_bytes"] >= sum(outlines) / len(outlines) > 2 * BYTES_PER_OBJECT
    cost = query_cost(schema._schema, parse(OUTLINE_BOMB), sizes=sizes)
    t, per_township, per_team = sizes["townships"], sizes["teams_per_township"], sizes["townships_per_team"]
    outlines_sent = 14 * t * per_township * per_team
    assert cost.objects >= outlines_sent * sizes["boundary_bytes"] / BYTES_PER_OBJECT
    assert cost.points > 500  # the default YIMI_MAX_QUERY_COST
    # One alias is within the default: the bound is proportional, not a ban.
    one = query_cost(schema._schema, parse("{ coverage { teams { townships { boundary } } } }"), sizes=sizes)
    assert one.points <= 500


def test_a_whole_province_map_is_allowed_once_and_aliases_cannot_multiply_it():
    # 100,000 enterprises: 20 MB of GeoJSON text per resolution.
    province = dict.fromkeys(STATISTICS, 10) | {"enterprises": 100_000, "townships": 2_500}
    default = Settings.model_fields["max_query_cost"].default
    one = query_cost(schema._schema, parse("{ mapLayer }"), sizes=province)
    assert one.points <= default // 2
    assert one.objects * BYTES_PER_OBJECT >= 100_000 * MAP_FEATURE_BYTES / 10  # its bytes still count
    three = query_cost(schema._schema, parse("{ a: mapLayer b: mapLayer c: mapLayer }"), sizes=province)
    assert three.points > default


def test_cost_and_limits_walk_each_fragment_once():
    document = parse(fragment_bomb(200))
    started = time.perf_counter()
    cost = query_cost(schema._schema, document, sizes=dict.fromkeys(STATISTICS, 10))
    shape = document_shape(document)
    assert time.perf_counter() - started < 0.1
    assert cost.points == 0  # still only rateLimit: free
    assert shape.depth == {"anonymous": 1}
    # Aliases count once per expanded occurrence, as before, however many that makes.
    aliased = parse(fragment_bomb(40, leaf="a: __typename"))
    assert document_shape(aliased).aliases >= 2**40


@pytest.fixture(scope="module")
def server(settings, demo):
    with yimi_serve(settings.database_url, settings.frontend_dist) as live:
        yield live


def _post(server, query: str, timeout: float) -> tuple[httpx.Response | None, float]:
    started = time.perf_counter()
    try:
        response = httpx.post(f"{server.url}/graphql", json={"query": query}, timeout=timeout)
    except httpx.TimeoutException:
        response = None
    return response, time.perf_counter() - started


def test_fragment_bomb_answers_at_once_and_blocks_nobody(server):
    bomb = fragment_bomb(30)
    assert len(bomb.encode()) < 1500
    results: dict[str, tuple[httpx.Response | None, float]] = {}
    attack = threading.Thread(target=lambda: results.__setitem__("bomb", _post(server, bomb, timeout=10)))
    attack.start()
    time.sleep(0.05)  # the bomb is in the server first
    results["bystander"] = _post(server, "{ __typename }", timeout=10)
    attack.join(15)
    response, seconds = results["bomb"]
    assert response is not None, "the fragment bomb held the server for more than 10 s"
    assert response.status_code == 200 and seconds < 1.0, (response.text[:300], seconds)
    bystander, waited = results["bystander"]
    assert bystander is not None and bystander.json() == {"data": {"__typename": "Query"}}
    assert waited < 1.0, f"a concurrent {{ __typename }} waited {waited:.1f} s"


def test_list_amplification_is_refused_without_growing_the_server(server):
    before = server.rss_kib()
    response, seconds = _post(server, AMPLIFICATION, timeout=10)
    assert response is not None, "the amplification query ran for more than 10 s"
    grown_mib = (server.rss_kib() - before) / 1024
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED", body
    assert seconds < 2.0 and grown_mib < 20, (seconds, grown_mib)


def test_outline_bomb_is_refused_without_growing_the_server(server):
    before = server.rss_kib()
    response, seconds = _post(server, OUTLINE_BOMB, timeout=10)
    assert response is not None, "the outline bomb ran for more than 10 s"
    grown_mib = (server.rss_kib() - before) / 1024
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED", str(body)[:300]
    assert len(response.content) < 10_000 and seconds < 2.0 and grown_mib < 20, (seconds, grown_mib)
