"""Bad input is the client's error, named, never HTTP 500 or "Unexpected error." (issue 10, finding 7).

Each request here crashed the server before: an exception out of Strawberry's body parsing (a
500), or an unexpected error from SQLite (LIKE pattern too complex, too many SQL variables), from
a time zone conversion past year 9999, or from encoding an unpaired surrogate. PostgreSQL's own
failures (NUL characters, IDs past int4) are in test_bad_input_postgres.py.
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import CSRF_HEADERS

JSON = {"content-type": "application/json", **CSRF_HEADERS}


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


@pytest.mark.parametrize(
    "body,reason",
    [
        (b'"{ __typename }"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b'["not an operation"]', "must be a JSON object"),
        (b'{"query": "{ __typename \xff }"}', "not valid UTF-8"),
        (b'{"query": "{ __typename }", "variables": {"c": ' + b"[" * 1000 + b"]" * 1000 + b"}}", "deeper than"),
        (b'{"query": "{ __typename }", "variables": {"c": ' + b"[" * 100 + b"]" * 100 + b"}}", "'$c' nests"),
    ],
)
async def test_malformed_bodies_are_http_400(client, body, reason):
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert reason in response.text


async def test_a_subscription_sent_by_post_is_refused(client):
    response = await client.post("/graphql", json={"query": "subscription { issueChanged { action } }"})
    assert response.status_code == 400, response.text
    assert "WebSocket" in response.text
    # The word alone, in a query, changes nothing.
    response = await client.post(
        "/graphql", json={"query": '{ townships(filter: {search: "subscription"}) { totalCount } }'}
    )
    assert response.json() == {"data": {"townships": {"totalCount": 0}}}


async def named_error(gql, query: str, variables: dict) -> dict:
    # json.dumps escapes an unpaired surrogate as JSON allows ("\\ud800"); httpx would not encode it.
    content = json.dumps({"query": query, "variables": variables})
    response = await gql.http.post("/graphql", content=content, headers=JSON)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors"), body
    error = body["errors"][0]
    assert error["message"] != "Unexpected error.", error
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error


SEARCHES = [
    ("issues", "query($s: String) { issues(filter: {search: $s}) { totalCount } }"),
    ("enterprises", "query($s: String) { enterprises(filter: {search: $s}) { totalCount } }"),
    ("mapLayer", "query($s: String) { mapLayer(filter: {search: $s}) }"),
    ("serviceTeams", "query($s: String) { serviceTeams(filter: {search: $s}) { totalCount } }"),
    ("townships", "query($s: String) { townships(filter: {search: $s}) { totalCount } }"),
    ("coverage", "query($s: String) { coverage(filter: {search: $s}) { gaps } }"),
]


@pytest.mark.parametrize("field,query", SEARCHES)
@pytest.mark.parametrize(
    "text,reason",
    [
        ("%_" * 25_000, "at most 100 characters"),  # SQLite: "LIKE or GLOB pattern too complex"
        ("电\ud800", "unpaired UTF-16 surrogates"),  # could not be encoded for the database
        ("电\x00", "NUL"),  # PostgreSQL refuses it; SQLite would compare it
    ],
)
async def test_search_text_is_checked(gql, field, query, text, reason):
    error = await named_error(gql, query, {"s": text})
    assert error["extensions"]["argument"] == "filter.search"
    assert reason in error["message"]


@pytest.mark.parametrize(
    "query,argument",
    [
        ("query($c: [String!]) { issues(filter: {townshipCodes: $c}) { totalCount } }", "filter.townshipCodes"),
        ("query($c: [String!]) { enterprises(filter: {townshipCodes: $c}) { totalCount } }", "filter.townshipCodes"),
        ("query($c: [String!]) { enterprises(filter: {industries: $c}) { totalCount } }", "filter.industries"),
        ("query($c: [String!]) { mapLayer(filter: {chains: $c}) }", "filter.chains"),
        ("query($c: [String!]) { serviceTeams(filter: {townshipCodes: $c}) { totalCount } }", "filter.townshipCodes"),
        ("query($c: [String!]) { townships(filter: {codes: $c}) { totalCount } }", "filter.codes"),
        ("query($c: [String!]) { coverage(filter: {countyCodes: $c}) { gaps } }", "filter.countyCodes"),
    ],
)
async def test_long_code_lists_are_refused_by_name(gql, query, argument):
    # More values than SQLite's 32,766 SQL variables ("too many SQL variables": an unexpected
    # error), in a body under the 1 MB limit (the 400,000 of the attack now get HTTP 413).
    codes = [str(i) for i in range(50_000)]
    error = await named_error(gql, query, {"c": codes})
    assert error["extensions"]["argument"] == argument
    assert "at most 1,000 values, got 50,000" in error["message"]
    error = await named_error(gql, query, {"c": ["410223105", "4102\x00"]})
    assert error["extensions"]["argument"] == f"{argument}[1]"


async def test_long_enum_lists_are_refused_by_name(gql):
    error = await named_error(
        gql, "query($s: [IssueStatus!]) { issues(filter: {statuses: $s}) { totalCount } }", {"s": ["REPORTED"] * 50_000}
    )
    assert error["extensions"]["argument"] == "filter.statuses"


@pytest.mark.parametrize(
    "query,argument",
    [
        (
            '{ issues(filter: {reportedBetween: {from: "9999-12-31T23:59:59-14:00"}}) { totalCount } }',
            "filter.reportedBetween.from",
        ),
        (
            '{ issues(filter: {reportedBetween: {to: "0001-01-01T00:00:00+14:00"}}) { totalCount } }',
            "filter.reportedBetween.to",
        ),
        (
            '{ issues(filter: {reportedBetween: {from: "0001-01-01T00:00:00"}}) { totalCount } }',
            "filter.reportedBetween.from",
        ),
        ('{ serviceTeams(first: 1) { nodes { figures(since: "9999-12-31T23:59:59-14:00") { open } } } }', "since"),
        ('{ serviceTeams(first: 1) { nodes { figures(since: "0001-01-01T00:00:00+14:00") { open } } } }', "since"),
    ],
)
async def test_extreme_dates_are_refused_by_name(gql, query, argument):
    error = await named_error(gql, query, {})
    assert error["extensions"]["argument"] == argument
    assert "between 1900-01-01 and 2199-12-31" in error["message"]


async def test_ordinary_dates_still_work(gql):
    data = await gql(
        '{ issues(filter: {reportedBetween: {from: "1900-01-01T00:00:00Z", to: "2199-12-31T00:00:00+08:00"}}) { totalCount }'
        ' serviceTeams(first: 1) { nodes { figures(since: "2021-01-01T00:00:00") { open } } } }'
    )
    assert data["issues"]["totalCount"] > 0


@pytest.mark.parametrize("pk", [2**31, 2**40])
async def test_ids_past_int4_are_not_ids_of_this_api(gql, pk):
    error = await named_error(gql, "query($i: ID!) { node(id: $i) { id } }", {"i": gid("Issue", pk)})
    assert error["extensions"]["argument"] == "id"
    error = await named_error(
        gql, "query($i: ID) { issues(filter: {team: $i}) { totalCount } }", {"i": gid("ServiceTeam", pk)}
    )
    assert error["extensions"]["argument"] == "filter.team"
    # The largest key an int4 column holds is an ID, of nothing here.
    error = await named_error(gql, "query($i: ID!) { node(id: $i) { id } }", {"i": gid("Issue", 2**31 - 1)})
    assert "no Issue has the ID" in error["message"]


async def test_a_deadline_past_year_9999_is_a_user_error(gql):
    issue = (await gql("{ issues(first: 1, filter: {statuses: [REPORTED]}) { nodes { id version } } }"))["issues"][
        "nodes"
    ][0]
    team = (await gql("{ serviceTeams(first: 1) { nodes { id } } }"))["serviceTeams"]["nodes"][0]["id"]
    result = await gql(
        "mutation($i: ID!, $v: Int!, $t: ID!, $d: DateTime) { dispatchIssue(input: {issueId: $i, version: $v,"
        " leadTeamId: $t, deadline: $d}) { issue { id } userErrors { field code message } } }",
        {"i": issue["id"], "v": issue["version"], "t": team, "d": "9999-12-31T23:59:59-14:00"},
    )
    assert result["dispatchIssue"]["userErrors"] == [
        {"field": "deadline", "code": "OUT_OF_RANGE", "message": "must be between 1900-01-01 and 2199-12-31"}
    ]
