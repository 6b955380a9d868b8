"""The response cache on public statistics: a repeated public query runs no resolver, still pays its
cost, and changes as soon as the data does; answers with errors and the caller's budget are not
cached, and the cache stays bounded."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import CSRF_HEADERS, count_sql
from tests.stats.helpers import FULL, release, report_issue
from yimi.graphql import documents as docs
from yimi.graphql import response_cache as rc
from yimi.stats.cache import public_statistics


def _named(name: str, query: str = FULL) -> str:
    """The same query under an operation name of its own: a document no other test has cached."""
    return query.replace("query(", f"query {name}(", 1)


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The figures' resolvers reaching the stats cache, counted."""
    seen: list[str] = []
    get, years = public_statistics.get, public_statistics.years

    async def counted_get(*args, **kwargs):
        seen.append("statistics")
        return await get(*args, **kwargs)

    async def counted_years(*args, **kwargs):
        seen.append("statisticsYears")
        return await years(*args, **kwargs)

    monkeypatch.setattr(public_statistics, "get", counted_get)
    monkeypatch.setattr(public_statistics, "years", counted_years)
    return seen


async def _post(client, query: str, variables: dict | None = None, name: str | None = None):
    body: dict = {"query": query, "variables": variables or {}}
    if name:
        body["operationName"] = name
    response = await client.post("/graphql", json=body, headers=CSRF_HEADERS)
    assert response.status_code == 200, response.text
    return response


async def test_a_repeated_public_query_runs_no_resolver_and_answers_the_same_body(client, calls):
    query = _named("RepeatedFull") + " query Other { statisticsYears }"
    first = await _post(client, query, {"year": 2024}, "RepeatedFull")
    assert calls == ["statistics"] and "errors" not in first.json()
    with count_sql() as statements:
        second = await _post(client, query, {"year": 2024}, "RepeatedFull")
    assert calls == ["statistics"]  # no resolver ran
    assert len(statements) == 1 and "FROM data_version" in statements[0], statements
    assert second.content == first.content
    # Another operation of the same document, or other variables, is another answer.
    years = await _post(client, query, {}, "Other")
    assert calls == ["statistics", "statisticsYears"] and years.json()["data"]["statisticsYears"]
    other_year = await _post(client, query, {"year": 2023}, "RepeatedFull")
    assert calls[-1] == "statistics" and len(calls) == 3
    assert other_year.json()["data"]["statistics"]["year"] == 2023


async def test_a_cached_answer_still_charges_the_budget_and_sends_the_headers(client, calls):
    query = _named("Charged")
    first = await _post(client, query, {"year": 2022})
    second = await _post(client, query, {"year": 2022})
    assert len(calls) == 1 and second.content == first.content
    cost = int(first.headers["X-RateLimit-Cost"])
    assert cost > 0 and second.headers["X-RateLimit-Cost"] == str(cost)
    assert second.headers["X-RateLimit-Limit"] == first.headers["X-RateLimit-Limit"]
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - cost
    assert "X-RateLimit-Reset" in second.headers


async def test_an_exhausted_budget_is_refused_before_the_cache(app, client, calls):
    query = _named("Refused")
    assert "errors" not in (await _post(client, query, {"year": 2021})).json()
    budget = app.state.budget
    caller = "ip:127.0.0.1"  # httpx's ASGI transport: the suite's anonymous caller
    remaining = int((await _post(client, "{ rateLimit { remaining } }")).headers["X-RateLimit-Remaining"])
    await budget.limiter.hit(budget.item, budget.prefix, caller, cost=remaining)
    try:
        refused = await _post(client, query, {"year": 2021})
        body = refused.json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert "Retry-After" in refused.headers
    finally:
        await budget.reset(caller)
    assert len(calls) == 1


async def test_a_reported_issue_changes_nothing_until_a_release_and_a_release_invalidates(anon, gql, settings, calls):
    query = "query FreshAfterRelease { statistics { year releasedAt total { reported { value withheld low high } } } }"
    before = (await anon(query))["statistics"]
    assert (await anon(query))["statistics"] == before and len(calls) == 1
    for n in range(settings.public_min_count):
        await report_issue(gql, f"响应缓存测试 {n}")
    assert (await anon(query))["statistics"] == before  # released figures: no write changes them
    assert before["year"] in await release(settings)
    after = (await anon(query))["statistics"]
    assert calls[-1] == "statistics"  # computed again
    assert after["year"] == before["year"] and after["releasedAt"] > before["releasedAt"]
    # Other tests' issues since the last release come in too.
    assert after["total"]["reported"]["value"] >= before["total"]["reported"]["value"] + settings.public_min_count


async def test_a_query_reading_the_budget_is_not_cached_and_other_mixes_are(app, anon, calls):
    cache = app.state.response_cache
    size = len(cache)
    first = await anon("query Mixed { statistics(year: 2024) { year } rateLimit { remaining } }")
    second = await anon("query Mixed { statistics(year: 2024) { year } rateLimit { remaining } }")
    assert first["statistics"] == second["statistics"] == {"year": 2024}
    assert second["rateLimit"]["remaining"] < first["rateLimit"]["remaining"]
    assert len(calls) == 2 and len(cache) == size
    for query in (
        "query Mixed2 { statistics(year: 2024) { year } townships { totalCount } }",
        "query Spread { ...F } fragment F on Query { statistics(year: 2024) { year } }",
    ):
        first = await anon(query)
        assert first == await anon(query) and first["statistics"] == {"year": 2024}
    assert len(calls) == 4 and len(cache) == size + 2


async def test_errors_are_not_cached(app, anon, calls):
    size = len(app.state.response_cache)
    query = "query PartlyWrong { good: statistics(year: 2024) { year } bad: statistics(year: 1990) { year } }"
    for _ in range(2):
        body = await anon.raw(query)
        assert body["errors"] and body["errors"][0]["path"] == ["bad"]
    assert calls == ["statistics", "statistics"]  # `good` computed each time: the answer was not kept
    wrong = "query Wrong { statistics(year: 1990) { year } }"
    for _ in range(2):
        assert (await anon.raw(wrong))["errors"]
    assert len(app.state.response_cache) == size


def _cached(data: dict, weight: int = 1, until: datetime | None = None) -> rc.Cached:
    now = datetime.now(UTC)
    until = until or now + timedelta(hours=1)
    return rc.Cached(
        data=data, computed_at=now - timedelta(minutes=1), until=until, stale_after=time.monotonic() + 60, size=weight
    )


def test_the_cache_is_least_recently_used_and_bounded():
    now = datetime.now(UTC)
    cache = rc.ResponseCache(max_entries=3, max_bytes=10)
    keys = [(bytes([i]), 1, 0) for i in range(6)]
    for key in keys[:3]:
        cache.put(key, _cached({"k": key[0]}))
    assert cache.get(keys[0], now) is not None  # now the most recently used
    cache.put(keys[3], _cached({}))
    assert len(cache) == 3 and cache.get(keys[1], now) is None  # the least recently used went
    assert cache.get(keys[0], now) is not None and cache.get(keys[3], now) is not None
    cache.put(keys[4], _cached({}, weight=8))  # weight 1 + 1 + 1 + 8 > 10: the oldest go
    assert cache.total_bytes <= 10 and len(cache) <= 3 and cache.get(keys[4], now) is not None
    cache.put(keys[5], _cached({}, weight=11))  # heavier than the whole cache: not kept
    assert cache.get(keys[5], now) is None and cache.total_bytes <= 10
    # An answer stops holding at its deadline.
    cache.put(keys[1], _cached({}, until=now + timedelta(seconds=1)))
    assert cache.get(keys[1], now) is not None
    assert cache.get(keys[1], now + timedelta(seconds=1)) is None and keys[1] not in cache._entries


async def test_endless_distinct_documents_do_not_grow_the_caches(app, anon, monkeypatch):
    cache = app.state.response_cache
    monkeypatch.setattr(cache, "max_entries", 5)
    monkeypatch.setattr(docs.documents, "max_entries", 7)
    for i in range(12):
        assert (await anon(f"query Distinct{i} {{ statisticsYears }}"))["statisticsYears"]
        assert len(cache) <= 5 and len(docs.documents) <= 7
    assert len(cache) == 5 and len(docs.documents) == 7


async def test_a_public_document_is_parsed_and_validated_once(anon, monkeypatch):
    import strawberry.schema.schema as strawberry_schema

    parsed: list[str] = []
    validated: list[object] = []
    parse, validate = strawberry_schema.parse, strawberry_schema.validate_document

    def counted_parse(query, **options):
        parsed.append(query)
        return parse(query, **options)

    def counted_validate(schema, document, rules):
        validated.append(document)
        return validate(schema, document, rules)

    monkeypatch.setattr(strawberry_schema, "parse", counted_parse)
    monkeypatch.setattr(strawberry_schema, "validate_document", counted_validate)
    query = "query ParsedOnce { statisticsYears }"
    for _ in range(3):
        assert (await anon(query))["statisticsYears"]
    assert parsed == [query] and len(validated) == 1
    # Any document is kept; one that does not validate is validated (and refused) every time.
    invalid = "query Invalid { statistics { nope } }"
    for _ in range(2):
        assert (await anon.raw(invalid))["errors"]
    assert parsed.count(invalid) == 1 and len(validated) == 3
    mixed = "query NotOnlyFigures { statisticsYears townships { totalCount } }"
    for _ in range(2):
        await anon(mixed)
    assert parsed.count(mixed) == 1 and len(validated) == 4
