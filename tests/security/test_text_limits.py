"""Every free-text input has a limit, and only text both databases store (issue 10, finding 10).

Only titles had a limit: a partner token stored a 5,000,000-character description and staff
20 MB. Now each field refuses text over its limit (yimi.common.text), NUL characters and unpaired
surrogates with a userError naming the field, before anything is written.
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import CSRF_HEADERS
from yimi.common.text import MAX_DESCRIPTION, MAX_LIST, MAX_NOTE, MAX_SUMMARY, MAX_TITLE
from yimi.enterprises.models import Visit
from yimi.enterprises.service import MAX_VISIT_ISSUES
from yimi.issues.models import DispatchOrder, ExtensionRequest, Issue, IssueEvent
from yimi.issues.service import MAX_CO_HANDLERS
from yimi.teams.models import TeamCoverage


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def rows() -> list[int]:
    models = (Issue, IssueEvent, DispatchOrder, ExtensionRequest, Visit, TeamCoverage)
    return [await model.all().count() for model in models]


async def user_errors(gql, mutation: str, input: dict) -> list[dict]:
    query = f"mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) {{ {mutation}(input: $input) {{ userErrors {{ field code message }} }} }}"
    # json.dumps escapes an unpaired surrogate ("\\ud800") as JSON allows; httpx would refuse to encode it.
    content = json.dumps({"query": query, "variables": {"input": input}})
    response = await gql.http.post(
        "/graphql", content=content, headers={"content-type": "application/json", **CSRF_HEADERS}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"][mutation]["userErrors"]


@pytest.fixture(scope="module")
async def ids(gql):
    issue = (await gql("{ issues(first: 1, filter: {statuses: [IN_PROGRESS]}) { nodes { id version } } }"))["issues"][
        "nodes"
    ][0]
    team = (await gql("{ serviceTeams(first: 1) { nodes { id } } }"))["serviceTeams"]["nodes"][0]["id"]
    enterprise = (await gql("{ enterprises(first: 1) { nodes { id } } }"))["enterprises"]["nodes"][0]["id"]
    return {"issue": issue["id"], "version": issue["version"], "team": team, "enterprise": enterprise}


# (mutation, the rest of a valid input, the field, its limit); the text goes in the last part of the field path.
FIELDS = [
    ("reportIssue", {"category": "POWER", "source": "HOTLINE", "description": "x"}, "title", MAX_TITLE),
    ("reportIssue", {"category": "POWER", "source": "HOTLINE", "title": "跳闸"}, "description", MAX_DESCRIPTION),
    ("recordVisit", {"visitedOn": "2024-03-01"}, "notes", MAX_DESCRIPTION),
    ("recordVisit", {"visitedOn": "2024-03-01"}, "issues[0].description", MAX_DESCRIPTION),
    ("recordVisit", {"visitedOn": "2024-03-01"}, "issues[0].title", MAX_TITLE),
    ("dispatchIssue", {}, "instruction", MAX_NOTE),
    ("acceptDispatch", {}, "note", MAX_NOTE),
    ("returnDispatch", {}, "reason", MAX_NOTE),
    ("addIssueNote", {}, "note", MAX_NOTE),
    ("resolveIssue", {}, "summary", MAX_SUMMARY),
    ("confirmIssue", {"satisfaction": "SATISFIED"}, "comment", MAX_NOTE),
    ("confirmIssue", {"satisfaction": "UNSATISFIED"}, "comment", MAX_NOTE),
    ("reopenIssue", {}, "reason", MAX_NOTE),
    ("requestExtension", {"requestedDeadline": "2199-01-01T00:00:00+08:00"}, "reason", MAX_NOTE),
    ("decideExtension", {"approve": False}, "note", MAX_NOTE),
    ("escalateIssue", {}, "reason", MAX_NOTE),
]


def full_input(ids: dict, mutation: str, rest: dict, field: str, text: str) -> dict:
    base: dict = {"enterpriseId": ids["enterprise"]} if mutation in ("reportIssue", "recordVisit") else {}
    if mutation == "decideExtension":
        base = {"extensionRequestId": gid("ExtensionRequest", 1), "version": ids["version"]}
    elif not base:
        base = {"issueId": ids["issue"], "version": ids["version"]}
    if mutation == "dispatchIssue":
        base["leadTeamId"] = ids["team"]
    if mutation == "recordVisit":
        base["teamId"] = ids["team"]
    filled = {**base, **rest}
    if field.startswith("issues[0]."):
        issue = {"category": "POWER", "title": "跳闸", field.removeprefix("issues[0]."): text}
        return {**filled, "issues": [issue]}
    return {**filled, field: text}


@pytest.mark.parametrize("mutation,rest,field,limit", FIELDS, ids=[f"{m}.{f}" for m, _, f, _ in FIELDS])
@pytest.mark.parametrize("kind", ["too long", "NUL", "surrogate"])
async def test_free_text_is_refused_by_field(gql, ids, mutation, rest, field, limit, kind):
    text = {"too long": "长" * (limit + 1), "NUL": "前\x00后", "surrogate": "前\ud800后"}[kind]
    before = await rows()
    errors = await user_errors(gql, mutation, full_input(ids, mutation, rest, field, text))
    code = "TOO_LONG" if kind == "too long" else "INVALID"
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)], errors
    reason = {"too long": f"at most {limit:,} characters, got {limit + 1:,}", "NUL": "NUL", "surrogate": "surrogates"}
    assert reason[kind] in errors[0]["message"]
    assert await rows() == before


async def test_text_at_the_limit_is_taken(gql, ids):
    result = await gql(
        "mutation($e: ID!, $t: String!, $d: String!) { reportIssue(input: {enterpriseId: $e, category: POWER,"
        " source: HOTLINE, title: $t, description: $d}) { issue { id title description } userErrors { message } } }",
        {"e": ids["enterprise"], "t": "题" * MAX_TITLE, "d": "述" * MAX_DESCRIPTION},
    )
    issue = result["reportIssue"]["issue"]
    assert len(issue["title"]) == MAX_TITLE and len(issue["description"]) == MAX_DESCRIPTION


async def test_lists_in_mutations_have_limits(gql, ids):
    before = await rows()
    teams = [gid("ServiceTeam", 10_000 + i) for i in range(MAX_CO_HANDLERS + 1)]
    errors = await user_errors(
        gql,
        "dispatchIssue",
        {"issueId": ids["issue"], "version": ids["version"], "leadTeamId": ids["team"], "coHandlerTeamIds": teams},
    )
    assert [(e["field"], e["code"]) for e in errors] == [("coHandlerTeamIds", "TOO_MANY")]
    visit_issues = [{"category": "POWER", "title": "跳闸"}] * (MAX_VISIT_ISSUES + 1)
    errors = await user_errors(
        gql,
        "recordVisit",
        {"enterpriseId": ids["enterprise"], "visitedOn": "2024-03-01", "teamId": ids["team"], "issues": visit_issues},
    )
    assert [(e["field"], e["code"]) for e in errors] == [("issues", "TOO_MANY")]
    codes = [f"41022{i:04d}" for i in range(MAX_LIST + 1)]
    errors = await user_errors(gql, "setTeamCoverage", {"teamId": ids["team"], "townshipCodes": codes})
    assert [(e["field"], e["code"]) for e in errors] == [("townshipCodes", "TOO_MANY")]
    errors = await user_errors(gql, "setTeamCoverage", {"teamId": ids["team"], "townshipCodes": ["410223105", "4\x00"]})
    assert [(e["field"], e["code"]) for e in errors] == [("townshipCodes[1]", "INVALID")]
    assert await rows() == before


# Required text: "\u200b" * 5 was taken as a note, a reason, a title. (mutation, rest, field)
REQUIRED = [
    ("reportIssue", {"category": "POWER", "source": "HOTLINE", "description": "x"}, "title"),
    ("recordVisit", {"visitedOn": "2024-03-01"}, "issues[0].title"),
    ("returnDispatch", {}, "reason"),
    ("addIssueNote", {}, "note"),
    ("resolveIssue", {}, "summary"),
    ("confirmIssue", {"satisfaction": "UNSATISFIED"}, "comment"),
    ("reopenIssue", {}, "reason"),
    ("requestExtension", {"requestedDeadline": "2199-01-01T00:00:00+08:00"}, "reason"),
    ("escalateIssue", {}, "reason"),
]
INVISIBLE = {
    "zero-width spaces": "\u200b" * 5,
    "joiners and BOM": "\u200c\u200d\ufeff\u2060",
    "bidi marks": "\u200e\u200f\u202a\u202c",
    "ideographic and no-break spaces": "\u3000\u00a0\u2003",
    "line and paragraph separators": "\u2028\u2029",
    "mixed with whitespace": " \u200b\n\u3000\u200d\t",
    "Hangul filler": "\u3164\u3164",
}


@pytest.mark.parametrize("mutation,rest,field", REQUIRED, ids=[f"{m}.{f}" for m, _, f in REQUIRED])
@pytest.mark.parametrize("text", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_required_text_that_shows_nothing_is_empty(gql, ids, mutation, rest, field, text):
    before = await rows()
    errors = await user_errors(gql, mutation, full_input(ids, mutation, rest, field, text))
    assert [(e["field"], e["code"]) for e in errors] == [(field, "REQUIRED")], errors
    assert "required" in errors[0]["message"]
    assert await rows() == before


async def test_required_text_with_something_visible_is_taken(gql, ids):
    issue = await gql(f'{{ node(id: "{ids["issue"]}") {{ ... on Issue {{ version }} }} }}')
    note = "\u200b已联系\u200d企业\ufeff"
    errors = await user_errors(
        gql, "addIssueNote", {"issueId": ids["issue"], "version": issue["node"]["version"], "note": note}
    )
    assert errors == []
