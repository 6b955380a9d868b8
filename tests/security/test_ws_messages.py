"""The attack: graphql-transport-ws messages that are not the protocol's shape.

After ``connection_init``, a message that was a JSON string, null or a list, a subscribe whose
payload was null or a string, an id that was an object, or JSON nested 1,000 levels deep escaped
from strawberry as "Exception in ASGI application" with a full traceback, and the socket dropped
without a close frame; a query that was a number answered with Python's "object of type 'int' has
no len()". Variables nested 40 deep and extensions 900 deep were run, though HTTP refuses variables
nested past 32 levels. Now each closes the socket with 4400 and a short reason, logged in one line.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.live.conftest import served
from yimi.common.http_body import MAX_VARIABLE_DEPTH

pytestmark = pytest.mark.timeout(60)

QUERY = "query($v: JSON) { __typename }"


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def subscribe(payload: object, op_id: object = "1") -> str:
    return json.dumps({"type": "subscribe", "id": op_id, "payload": payload})


BAD_MESSAGES = {
    "a JSON string": json.dumps("str"),
    "null": "null",
    "a list": "[1,2]",
    "a number": "5",
    "type missing": json.dumps({"id": "1"}),
    "type a number": json.dumps({"type": 5}),
    "payload null": subscribe(None),
    "payload a string": subscribe("x"),
    "payload missing": json.dumps({"type": "subscribe", "id": "1"}),
    "id an object": subscribe({"query": "{ __typename }"}, {"a": 1}),
    "id a number": subscribe({"query": "{ __typename }"}, 1),
    "id empty": subscribe({"query": "{ __typename }"}, ""),
    "complete without id": json.dumps({"type": "complete"}),
    "complete with an object id": json.dumps({"type": "complete", "id": {"a": 1}}),
    "query a number": subscribe({"query": 5}),
    "query missing": subscribe({"variables": {}}),
    "variables a list": subscribe({"query": "{ __typename }", "variables": [1]}),
    "extensions a string": subscribe({"query": "{ __typename }", "extensions": "x"}),
    "operationName an object": subscribe({"query": "{ __typename }", "operationName": {}}),
    "nested 1,000 deep": deep_json(1_000),
    "nested 5,000 deep": deep_json(5_000),
    "variables 40 deep": subscribe({"query": QUERY, "variables": {"v": nested(40)}}),
    "extensions 900 deep": subscribe({"query": "{ __typename }", "extensions": {"e": nested(900)}}),
    "ping payload 900 deep": json.dumps({"type": "ping", "payload": {"p": nested(900)}}),
}


@pytest.fixture(scope="module")
async def server_url(app):
    async with served(app) as url:
        yield url


async def close_code_after(url: str, raw: str) -> tuple[int | None, str]:
    """The close frame's code and reason after ``raw`` follows an acknowledged connection_init."""
    async with connect(url, subprotocols=["graphql-transport-ws"], close_timeout=2, proxy=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(raw)
        try:
            while True:
                answer = await asyncio.wait_for(ws.recv(), 5)
                assert "len()" not in answer and "Traceback" not in answer, answer
        except ConnectionClosed as closed:
            return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")


@pytest.mark.parametrize("raw", BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
async def test_a_malformed_message_closes_with_4400_and_one_log_line(server_url, raw, caplog):
    caplog.set_level(logging.INFO)
    code, reason = await close_code_after(server_url, raw)
    assert code == 4400, (code, reason)
    assert reason and len(reason.encode()) <= 123
    assert "len()" not in reason
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1, [r.getMessage() for r in caplog.records]


async def test_variables_at_the_http_bound_still_run(server_url):
    """The bound is HTTP's: variables nested exactly MAX_VARIABLE_DEPTH deep are not refused for it."""
    async with connect(server_url, subprotocols=["graphql-transport-ws"], close_timeout=2, proxy=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(
            subscribe({"query": "{ __typename }", "variables": {"v": nested(MAX_VARIABLE_DEPTH)}, "extensions": {}})
        )
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer == {"id": "1", "type": "next", "payload": {"data": {"__typename": "Query"}}}


async def test_http_refuses_extensions_nested_past_the_bound(client):
    body = {"query": "{ __typename }", "extensions": {"e": nested(MAX_VARIABLE_DEPTH + 1)}}
    response = await client.post("/graphql", json=body)
    assert response.status_code == 400, response.text
    assert "extensions" in response.text
