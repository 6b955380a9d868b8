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
