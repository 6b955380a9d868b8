"""Partner tokens: what scopes open, what their townships and categories limit, reporting issues."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager

from yimi.accounts.models import PartnerToken
from yimi.accounts.tokens import create_token
from yimi.enterprises.models import Enterprise
from yimi.issues.models import Issue, IssueEvent
from yimi.townships.models import Township


@asynccontextmanager
async def partner(client, scopes, townships=None, categories=None):
    token, secret = await create_token(f"partner-{uuid.uuid4().hex[:8]}", scopes, townships, categories)
    headers = {"authorization": f"Bearer {secret}"}

    async def call(query: str, variables: dict | None = None) -> dict:
        response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    try:
        yield call
    finally:
        await PartnerToken.filter(id=token.id).delete()


def codes(body: dict) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors", [])}


CONTACTS = "{ enterprises(first: 3) { nodes { name contactPerson contactPhone } } }"


async def test_contacts_need_their_scope(client, demo, gql):
    staff = await gql(CONTACTS)
    assert all(n["contactPhone"] for n in staff["enterprises"]["nodes"])
    async with partner(client, ["enterprises:read"]) as call:
        body = await call(CONTACTS)
        assert codes(body) == {"FORBIDDEN"} and body["data"] is None
        assert "enterprises:contacts" in body["errors"][0]["message"]
        names = await call("{ enterprises(first: 3) { nodes { name } } }")
        assert [n["name"] for n in names["data"]["enterprises"]["nodes"]] == [
            n["name"] for n in staff["enterprises"]["nodes"]
        ]
    async with partner(client, ["enterprises:read", "enterprises:contacts"]) as call:
        assert (await call(CONTACTS))["data"] == staff


async def test_issue_details_and_people_need_more_than_issues_read(client, demo):
    # Closed demo issues have every guarded part (a resolution, events, dispatch orders), whatever
    # issues earlier tests added.
    query = "{ issues(first: 2, filter: {statuses: [CLOSED]}) { nodes { number title %s } } }"
    async with partner(client, ["enterprises:read", "issues:read"]) as call:
        assert "errors" not in await call(query % "category leadTeam { name }")
        for field in ("description", "resolution", "events { action }", "dispatches { instruction }"):
            body = await call(query % field)
            assert codes(body) == {"FORBIDDEN"}, (field, body)
            assert body["errors"][0]["extensions"]["needs"] == "issue_details"
    async with partner(client, ["enterprises:read", "issues:read", "issues:details"]) as call:
        assert "errors" not in await call(query % "description events { action note }")
        # People's names are for staff only, whatever the scopes.
        body = await call(query % "events { actor { name } }")
        assert codes(body) == {"FORBIDDEN"} and body["errors"][0]["extensions"]["needs"] == "people"


async def test_a_token_sees_only_its_townships_and_categories(client, demo, gql):
    township = await Township.get(code="410223105")
    async with partner(client, ["enterprises:read", "issues:read"], [township.code], ["financing"]) as call:
        body = await call(
            "{ issues(first: 100) { totalCount nodes { category enterprise { township { code } } } } "
            "enterprises(first: 100) { totalCount nodes { township { code } } } }"
        )
        assert "errors" not in body, body
        issues, enterprises = body["data"]["issues"], body["data"]["enterprises"]
        assert {n["category"] for n in issues["nodes"]} == {"FINANCING"}
        assert {n["enterprise"]["township"]["code"] for n in issues["nodes"]} == {township.code}
        expected = await Issue.filter(category="financing", enterprise__township_id=township.id).count()
        assert issues["totalCount"] == expected > 0
        assert enterprises["totalCount"] == await Enterprise.filter(township_id=township.id).count()
        assert {n["township"]["code"] for n in enterprises["nodes"]} == {township.code}
        # An issue outside the token's limits does not exist for it.
        other = await Issue.filter(category="labour").first()
        body = await call("query($id: ID!) { node(id: $id) { id } }", {"id": _gid("Issue", other.id)})
        assert body["data"]["node"] is None and "no Issue has the ID" in body["errors"][0]["message"]


async def test_the_map_layer_shows_warnings_only_with_figures(client, demo):
    query = "{ mapLayer }"
    async with partner(client, ["enterprises:read"]) as call:
        features = (await call(query))["data"]["mapLayer"]["features"]
        assert len(features) == 600
        assert {f["properties"]["warningColor"] for f in features} == {None}
        assert {f["properties"]["openIssueCount"] for f in features} == {None}
    async with partner(client, ["enterprises:read", "stats:read"]) as call:
        features = (await call(query))["data"]["mapLayer"]["features"]
        assert sum(f["properties"]["openIssueCount"] for f in features) > 0


REPORT = """mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  issue { number status category } userErrors { field code message } } }"""


async def test_a_token_with_issues_report_reports_within_its_limits(client, demo):
    township = await Township.get(code="410223105")
    inside = await Enterprise.filter(township_id=township.id).first()
    outside = await Enterprise.exclude(township_id=township.id).first()

    def report(enterprise: Enterprise, category: str = "FINANCING") -> dict:
        return {
            "input": {
                "enterpriseId": _gid("Enterprise", enterprise.id),
                "category": category,
                "title": "贷款续贷咨询",
                "source": "ONLINE",
            }
        }

    async with partner(client, ["enterprises:read", "issues:read"]) as call:
        payload = (await call(REPORT, report(inside)))["data"]["reportIssue"]
        assert payload["issue"] is None and payload["userErrors"][0]["code"] == "FORBIDDEN"
        assert "issues:report" in payload["userErrors"][0]["message"]

    before = await Issue.all().count()
    async with partner(client, ["issues:report"], [township.code], ["financing"]) as call:
        for variables, field in ((report(outside), "enterpriseId"), (report(inside, "LABOUR"), "category")):
            payload = (await call(REPORT, variables))["data"]["reportIssue"]
            assert payload["issue"] is None and payload["userErrors"][0]["field"] == field, payload
        assert await Issue.all().count() == before  # nothing written

        payload = (await call(REPORT, report(inside)))["data"]["reportIssue"]
        assert payload["userErrors"] == [] and payload["issue"]["status"] == "REPORTED"
        issue = await Issue.get(number=payload["issue"]["number"])
        event = await IssueEvent.get(issue_id=issue.id)
        assert event.actor_id is None and "合作方 partner-" in event.note

        # Reporting is all a token may do in the workflow.
        dispatch = """mutation($id: ID!) { escalateIssue(input: {issueId: $id, version: 1, reason: "x"}) {
          userErrors { code } } }"""
        body = await call(dispatch, {"id": _gid("Issue", issue.id)})
        assert body["data"]["escalateIssue"]["userErrors"][0]["code"] == "UNAUTHENTICATED"


def _gid(type_name: str, pk: int) -> str:
    from yimi.common.ids import to_global_id

    return to_global_id(type_name, pk)


async def test_search_does_not_look_into_text_the_token_may_not_read(client, demo, gql):
    # A word from a description that is not in any title or number.
    issue = next(i for i in await Issue.all().order_by("id") if len(i.description) > 12)
    word = issue.description[3:11]
    assert not await Issue.filter(title__icontains=word).exists()
    query = "query($s: String) { issues(filter: {search: $s}) { totalCount } }"
    assert (await gql(query, {"s": word}))["issues"]["totalCount"] >= 1
    async with partner(client, ["enterprises:read", "issues:read"]) as call:
        assert (await call(query, {"s": word}))["data"]["issues"]["totalCount"] == 0
    async with partner(client, ["enterprises:read", "issues:read", "issues:details"]) as call:
        assert (await call(query, {"s": word}))["data"]["issues"]["totalCount"] >= 1


async def test_filtering_or_ordering_by_open_issues_needs_figures(client, demo):
    queries = (
        "{ enterprises(filter: {hasOpenIssues: true}) { totalCount } }",
        "{ mapLayer(filter: {hasOpenIssues: true}) }",
        "{ enterprises(orderBy: {field: OPEN_ISSUE_COUNT, direction: DESC}, first: 5) { nodes { name } } }",
    )
    async with partner(client, ["enterprises:read"]) as call:
        for query in queries:
            body = await call(query)
            assert codes(body) == {"FORBIDDEN"} and body["errors"][0]["extensions"]["needs"] == "figures", query
    async with partner(client, ["enterprises:read", "stats:read"]) as call:
        for query in queries:
            assert "errors" not in await call(query), query
