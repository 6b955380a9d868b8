"""Cached answers are the caller's own, stop holding when the clock changes them, and still cost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from tests.cache.test_invalidation import cached
from tests.conftest import CSRF_HEADERS, count_sql
from tests.issues.workflow_helpers import gid
from yimi.accounts.tokens import create_token
from yimi.issues.models import OPEN_VALUES, Issue

ISSUES = "query ScopeIssues { issues(first: 100) { totalCount nodes { id } } }"
ME = "query ScopeMe { me { id name } }"
ENTERPRISES = "query ScopeEnterprises { enterprises(first: 5) { totalCount nodes { name contactPhone } } }"


async def test_callers_with_other_read_rules_never_share_an_answer(gql, sign_in, anon):
    dispatcher = await sign_in("dispatcher")
    member = await sign_in("team_member")
    seen = (await cached(dispatcher, ISSUES))["issues"]
    mine = (await cached(member, ISSUES))["issues"]
    assert mine["totalCount"] < seen["totalCount"]  # a team member sees their teams' issues only
    assert (await dispatcher(ISSUES))["issues"] == seen
    error = await anon.error(ISSUES)  # the public reads no issues, cached answers or not
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    # Viewer-specific fields: the same document answers each caller about themselves.
    assert (await cached(dispatcher, ME))["me"]["id"] == gid("Staff", dispatcher.staff.id)
    assert (await cached(member, ME))["me"]["id"] == gid("Staff", member.staff.id)
    assert (await cached(anon, ME))["me"] is None


async def test_partner_tokens_with_other_scopes_never_share_an_answer(client):
    _, without = await create_token("cache scope plain", ["enterprises:read"])
    _, with_contacts = await create_token("cache scope contacts", ["enterprises:read", "enterprises:contacts"])

    async def ask(secret: str) -> dict:
        response = await client.post(
            "/graphql", json={"query": ENTERPRISES}, headers={"Authorization": f"Bearer {secret}"}
        )
        return response.json()

    plain = await ask(without)
    contacts = await ask(with_contacts)
    assert "errors" not in contacts and contacts["data"]["enterprises"]["nodes"][0]["contactPhone"]
    assert plain != contacts  # the phone is withheld (an error at that field) without the scope
    assert await ask(without) == plain and await ask(with_contacts) == contacts


class Clock:
    """The server's clock, moved by the test (yimi.app takes each request's time from it)."""

    def __init__(self, now: datetime):
        self.now_value = now

    def now(self, tz=None) -> datetime:
        return self.now_value if tz is None else self.now_value.astimezone(tz)


@pytest.fixture
def clock(monkeypatch):
    import yimi.app

    clock = Clock(datetime.now(UTC))

    class Moved(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now(tz)

    monkeypatch.setattr(yimi.app, "datetime", Moved)
    return clock


@asynccontextmanager
async def thresholds_moved(start: datetime, steps: dict[Issue, timedelta]) -> AsyncIterator[None]:
    """Each issue turns yellow, orange and red one, two and three of its step after ``start``; as it was after."""
    try:
        for issue, step in steps.items():
            await Issue.filter(id=issue.id).update(
                yellow_at=start + step, orange_at=start + 2 * step, deadline=start + 3 * step
            )
        yield
    finally:
        for issue in steps:
            await Issue.filter(id=issue.id).update(
                yellow_at=issue.yellow_at, orange_at=issue.orange_at, deadline=issue.deadline
            )


async def test_a_warning_colour_changes_in_a_cached_answer_when_its_time_comes(gql, clock):
    issue = await Issue.filter(status__in=OPEN_VALUES, escalated_at__isnull=True).order_by("id").first()
    assert issue is not None
    start = clock.now_value
    query = "query CachedColour($id: ID!) { node(id: $id) { ... on Issue { warningColor needsEscalation } } }"
    variables = {"id": gid("Issue", issue.id)}
    async with thresholds_moved(start, {issue: timedelta(hours=1)}):
        assert (await cached(gql, query, variables))["node"] == {"warningColor": "GREEN", "needsEscalation": False}
        for hours, colour in ((1, "YELLOW"), (2, "ORANGE")):
            clock.now_value = start + timedelta(hours=hours, seconds=1)
            assert (await gql(query, variables))["node"] == {"warningColor": colour, "needsEscalation": False}
        clock.now_value = start + timedelta(hours=3, seconds=1)
        assert (await gql(query, variables))["node"] == {"warningColor": "RED", "needsEscalation": True}


async def test_an_overdue_count_changes_in_a_cached_answer_when_a_deadline_passes(gql, clock):
    issue = await Issue.filter(status__in=OPEN_VALUES).order_by("-id").first()
    assert issue is not None
    start = clock.now_value
    query = "query CachedOverdue { issues(first: 0, filter: {overdue: true}) { totalCount } }"
    async with thresholds_moved(start, {issue: timedelta(minutes=1)}):
        before = (await cached(gql, query))["issues"]["totalCount"]
        clock.now_value = start + timedelta(minutes=3, seconds=1)
        after = (await gql(query))["issues"]["totalCount"]
        assert after >= before + 1  # this one, and any other whose deadline passed meanwhile


async def test_an_answer_is_kept_while_only_issues_it_does_not_show_change_colour(gql, clock):
    """At province scale some open issue changes colour every second or two: an answer showing a page of
    issues (or no colour at all) holds until one of its own values changes, not until any issue's does."""
    shown, other = await Issue.filter(status__in=OPEN_VALUES).order_by("id").limit(2)
    start = clock.now_value
    colour = "query KeptColour($id: ID!) { node(id: $id) { ... on Issue { warningColor needsEscalation } } }"
    variables = {"id": gid("Issue", shown.id)}
    # The other issue turns yellow in a minute; the shown one only in an hour.
    async with thresholds_moved(start, {other: timedelta(minutes=1), shown: timedelta(hours=1)}):
        assert (await cached(gql, colour, variables))["node"]["warningColor"] == "GREEN"
        no_clock = (await cached(gql, ENTERPRISES))["enterprises"]
        counted = "query KeptOverdue { issues(first: 0, filter: {overdue: true}) { totalCount } }"
        overdue = (await cached(gql, counted))["issues"]["totalCount"]

        clock.now_value = start + timedelta(minutes=3, seconds=1)  # the other issue is red now
        with count_sql() as statements:
            assert (await gql(colour, variables))["node"]["warningColor"] == "GREEN"
            assert (await gql(ENTERPRISES))["enterprises"] == no_clock
        assert all("FROM data_version" in statement for statement in statements), statements  # both kept
        # A count over every issue is not kept past the other issue's deadline.
        assert (await gql(counted))["issues"]["totalCount"] >= overdue + 1

        clock.now_value = start + timedelta(hours=1, seconds=1)  # the shown issue's own yellow instant
        assert (await gql(colour, variables))["node"]["warningColor"] == "YELLOW"


async def test_a_cached_answer_costs_what_a_computed_one_does(gql):
    async def post():
        response = await gql.http.post("/graphql", json={"query": ISSUES}, headers=CSRF_HEADERS)
        assert response.status_code == 200 and "errors" not in response.json()
        return response

    first = await post()
    second = await post()  # from the cache
    assert second.content == first.content
    cost = int(first.headers["X-RateLimit-Cost"])
    assert cost >= 1 and second.headers["X-RateLimit-Cost"] == str(cost)
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - cost


async def test_a_township_overdue_count_holds_until_a_deadline_in_that_township(gql, clock):
    """At province scale some issue changes colour every second or two: a township's overdue count is kept
    until the next deadline among that township's open issues, not until any issue changes."""
    from tortoise import connections

    start = clock.now_value
    # A township whose open issues have no deadline in the next four hours, and an open issue elsewhere.
    rows = await connections.get("default").execute_query_dict("SELECT issue_id, township_id, deadline FROM open_issue")
    soon: dict[int, bool] = {}
    first: dict[int, int] = {}
    for row in rows:
        deadline = row["deadline"] if isinstance(row["deadline"], datetime) else datetime.fromisoformat(row["deadline"])
        soon[row["township_id"]] = soon.get(row["township_id"], False) or start < deadline <= start + timedelta(hours=4)
        first[row["township_id"]] = min(first.get(row["township_id"], row["issue_id"]), row["issue_id"])
    township_id = next(t for t in sorted(soon) if not soon[t])
    other_township = next(t for t in sorted(first) if t != township_id)
    shown, other = await Issue.get(id=first[township_id]), await Issue.get(id=first[other_township])
    query = "query KeptTownship($id: ID!) { node(id: $id) { ... on Township { overdueIssueCount } } }"
    variables = {"id": gid("Township", township_id)}
    # The other township's issue is overdue in three minutes; this township's own one in three hours.
    async with thresholds_moved(start, {other: timedelta(minutes=1), shown: timedelta(hours=1)}):
        before = (await cached(gql, query, variables))["node"]["overdueIssueCount"]
        clock.now_value = start + timedelta(minutes=3, seconds=1)
        with count_sql() as statements:
            assert (await gql(query, variables))["node"]["overdueIssueCount"] == before
        assert all("FROM data_version" in statement for statement in statements), statements  # kept
        clock.now_value = start + timedelta(hours=3, seconds=1)  # this township's own issue is overdue now
        assert (await gql(query, variables))["node"]["overdueIssueCount"] == before + 1
