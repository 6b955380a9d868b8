"""One structured line per GraphQL request, under the caller's request id or a new one."""

import json
import logging

from yimi.ops.logs import JsonFormatter, logging_config


def request_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "yimi.requests"]


async def test_json_line_has_the_request_fields(gql, caplog):
    caplog.set_level(logging.INFO, "yimi.requests")
    response = await gql.http.post(
        "/graphql",
        json={"query": "query OpsLog { enterprises(first: 5) { totalCount } }"},
        headers={"X-Request-Id": "abc-123.x"},
    )
    assert response.status_code == 200 and response.headers["X-Request-Id"] == "abc-123.x"
    (line,) = request_lines(caplog)
    assert line["logger"] == "yimi.requests" and line["level"] == "INFO"
    assert line["request_id"] == "abc-123.x"
    assert line["caller"] == "staff" and line["operation"] == "OpsLog" and line["cost"] == 1
    assert line["status"] == 200 and line["outcome"] == "ok"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0


async def test_unusable_request_ids_are_replaced(anon, caplog):
    caplog.set_level(logging.INFO, "yimi.requests")
    outcomes = []
    for sent, query in (("x" * 65, "{ townships(first: 1) { totalCount } }"), ("a b<script>", "{ nope }")):
        response = await anon.http.post("/graphql", json={"query": query}, headers={"X-Request-Id": sent})
        returned = response.headers["X-Request-Id"]
        assert returned != sent and len(returned) == 16
        outcomes.append((returned, response.status_code))
    lines = request_lines(caplog)
    assert [(line["request_id"], line["status"]) for line in lines] == outcomes
    assert [(line["caller"], line["outcome"]) for line in lines] == [("public", "ok"), ("public", "rejected")]


def test_log_format_setting_picks_the_formatter():
    assert logging_config("json")["formatters"]["default"] == {"()": JsonFormatter}
    assert "format" in logging_config("text")["formatters"]["default"]


async def test_client_mistakes_are_not_logged_as_errors(anon, caplog):
    """Anyone can send a bad document: that must not write ERROR lines (Strawberry's default does,
    with a traceback); the request line says `rejected`."""
    caplog.set_level(logging.DEBUG)
    for query in ("query Bad { nosuchfield }", "query { townships(first: -1) { totalCount } }", "{ nope", "{"):
        response = await anon.http.post("/graphql", json={"query": query})
        assert response.status_code == 200 and response.json()["errors"], response.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [f"{r.name}: {r.getMessage()[:200]}" for r in errors]
    assert not any(r.exc_info for r in caplog.records)
    assert request_lines(caplog)[0]["outcome"] == "rejected"


async def test_an_interrupted_subscription_is_a_warning_not_an_error(settings, demo, caplog):
    import asyncio
    from contextlib import aclosing

    from tests.live.conftest import ISSUE_CHANGED, wait_for_subscribers
    from yimi.accounts.read_rules import STAFF, Access
    from yimi.graphql.context import Context
    from yimi.graphql.schema import schema
    from yimi.live.broker import RESYNC, MemoryBroker

    broker = MemoryBroker()
    results = await schema.subscribe(
        ISSUE_CHANGED, context_value=Context(settings=settings, broker=broker, access=Access(grants=STAFF))
    )
    caplog.set_level(logging.DEBUG)
    async with aclosing(results):
        pending = asyncio.ensure_future(anext(results))
        await wait_for_subscribers(broker, 1)
        await broker.publish("issues", RESYNC)  # a gap the subscriber did not ask to be told of
        ended = await asyncio.wait_for(pending, 5)
    assert [e.extensions["code"] for e in ended.errors] == ["LIVE_UPDATES_INTERRUPTED"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    warnings = [r for r in caplog.records if "LIVE_UPDATES_INTERRUPTED" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING and not warnings[0].exc_info
