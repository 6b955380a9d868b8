"""What PostgreSQL refuses where SQLite does not, refused before it gets there (issue 10, finding 7).

PostgreSQL refuses a NUL character in text ("invalid byte sequence for encoding UTF8: 0x00") and a
key past int4 ("value out of int32 range"): both reached the client as "Unexpected error.", while
SQLite stored the NUL and found nothing for the key. Both databases now answer alike: a
BAD_USER_INPUT error naming the argument, or a userError naming the field, and nothing stored.

The suite runs on both databases (tests/databases.py): the answers below are the same on each.
"""

from __future__ import annotations

import base64
import json

import pytest

from yimi.enterprises.models import Enterprise
from yimi.issues.models import Issue


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


BIG = 2**31
REPORT = (
    'mutation($e: ID!, $d: String!) { reportIssue(input: {enterpriseId: $e, category: POWER, title: "线路跳闸",'
    " source: HOTLINE, description: $d}) { issue { description } userErrors { field code } } }"
)
# (query, variables); "$ENTERPRISE" stands for the one enterprise's global ID.
REQUESTS: list[tuple[str, dict]] = [
    ("query($s: String) { issues(filter: {search: $s}) { totalCount } }", {"s": "跳\x00闸"}),
    ("query($s: String) { enterprises(filter: {search: $s}) { totalCount } }", {"s": "\x00"}),
    ("query($c: [String!]) { enterprises(filter: {townshipCodes: $c}) { totalCount } }", {"c": ["41022\x00"]}),
    ("query($c: [String!]) { townships(filter: {codes: $c}) { totalCount } }", {"c": ["41022\x00"]}),
    ("query($i: ID!) { node(id: $i) { id } }", {"i": gid("Issue", BIG)}),
    ("query($i: ID!) { node(id: $i) { id } }", {"i": gid("Enterprise", 2**40)}),
    ("query($i: [ID!]!) { nodes(ids: $i) { id } }", {"i": [gid("ServiceTeam", BIG)]}),
    ("query($i: ID) { issues(filter: {team: $i}) { totalCount } }", {"i": gid("ServiceTeam", BIG)}),
    ("query($i: ID) { issues(filter: {enterprise: $i}) { totalCount } }", {"i": gid("Enterprise", BIG)}),
    (REPORT, {"e": gid("Enterprise", BIG), "d": ""}),
    (REPORT, {"e": "$ENTERPRISE", "d": "跳\x00闸"}),
    (
        'mutation($i: ID!) { addIssueNote(input: {issueId: $i, note: "看看"}) { userErrors { field code } } }',
        {"i": gid("Issue", BIG)},
    ),
    (REPORT, {"e": "$ENTERPRISE", "d": "汛后线路频繁跳闸"}),  # the same database takes a proper report
]


@pytest.mark.timeout(240)
async def test_postgres_refuses_nothing_that_sqlite_takes(gql, demo):
    enterprise = await Enterprise.all().order_by("id").first()
    before = {"issues": await Issue.all().count(), "enterprises": await Enterprise.all().count()}
    answers = []
    for query, variables in REQUESTS:
        variables = {k: gid("Enterprise", enterprise.id) if v == "$ENTERPRISE" else v for k, v in variables.items()}
        answers.append(await gql.raw(query, variables))  # HTTP 200, or it fails
    for answer in answers:
        assert "Unexpected error." not in json.dumps(answer), answer
    errors = [a.get("errors") or [] for a in answers[:9]]
    assert all(e and e[0]["extensions"]["code"] == "BAD_USER_INPUT" for e in errors), errors
    assert [e[0]["extensions"]["argument"] for e in errors] == [
        "filter.search", "filter.search", "filter.townshipCodes[0]", "filter.codes[0]",
        "id", "id", "ids[0]", "filter.team", "filter.enterprise",
    ]  # fmt: skip
    report_big, report_nul, note_big, report_ok = (a["data"] for a in answers[9:])
    assert report_big["reportIssue"]["userErrors"] == [{"field": "enterpriseId", "code": "NOT_A_GLOBAL_ID"}]
    assert report_nul["reportIssue"]["userErrors"] == [{"field": "description", "code": "INVALID"}]
    assert note_big["addIssueNote"]["userErrors"] == [{"field": "issueId", "code": "NOT_A_GLOBAL_ID"}]
    assert report_ok["reportIssue"] == {"issue": {"description": "汛后线路频繁跳闸"}, "userErrors": []}
    after = {"issues": await Issue.all().count(), "enterprises": await Enterprise.all().count()}
    assert after == {**before, "issues": before["issues"] + 1}  # the proper report only
