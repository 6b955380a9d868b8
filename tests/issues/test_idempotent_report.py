"""reportIssue with an idempotency key: a retry gets the first call's issue, never a duplicate."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import aclosing
from pathlib import Path

import pytest

from tests.accounts.test_partner_access import partner
from tests.issues.workflow_helpers import call, gid
from tests.live.conftest import wait_for_subscribers
from yimi.enterprises.models import Enterprise
from yimi.issues.models import Issue, IssueEvent, IssueReportKey

ROOT = Path(__file__).resolve().parents[2]
REPORT = """mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  issue { id number title } userErrors { field code message } } }"""


@pytest.fixture
async def enterprise(demo) -> Enterprise:
    # Not the first one, which the workflow tests load with issues: other tests page through them.
    return await Enterprise.all().order_by("-id").first()


def new_report(enterprise: Enterprise, key: str | None, **overrides) -> dict:
    return {
        "enterpriseId": gid("Enterprise", enterprise.id),
        "category": "POWER",
        "title": "汛后厂区反复跳闸",
        "description": "暴雨后配电房进水，一周内跳闸三次。",
        "source": "HOTLINE",
        "idempotencyKey": key,
        **overrides,
    }


async def stored(title: str) -> list[tuple[int, int]]:
    """(issue id, report events) of every issue with this title."""
    return [(i.id, await IssueEvent.filter(issue_id=i.id).count()) for i in await Issue.filter(title=title)]


async def test_a_retry_returns_the_first_issue_without_a_second_event_or_notification(app, gql, enterprise):
    title = f"重试不重复 {uuid.uuid4().hex[:6]}"
    input = new_report(enterprise, str(uuid.uuid4()), title=title)
    heard: list[dict] = []

    async def listen() -> None:
        async with aclosing(app.state.broker.subscribe("issues")) as messages:
            async for message in messages:
                heard.append(message)

    listener = asyncio.create_task(listen())
    await wait_for_subscribers(app.state.broker, 1)
    try:
        first = await call(gql, "reportIssue", **input)
        retries = [await call(gql, "reportIssue", **input) for _ in range(2)]
        await asyncio.sleep(0.1)
    finally:
        listener.cancel()
    assert first["userErrors"] == [] and first["issue"]["number"]
    assert all(r == first for r in retries)
    [(issue_id, events)] = await stored(title)
    assert events == 1
    assert [m["action"] for m in heard if m["issueId"] == issue_id] == ["report"]


async def test_the_key_on_another_report_is_refused_and_nothing_is_written(gql, enterprise):
    key = str(uuid.uuid4())
    title = f"同键不同内容 {uuid.uuid4().hex[:6]}"
    first = await call(gql, "reportIssue", **new_report(enterprise, key, title=title))
    before = await Issue.all().count()
    for change in ({"title": title + "（补充）"}, {"priority": "URGENT"}, {"description": "另一件事"}):
        payload = await call(gql, "reportIssue", **new_report(enterprise, key, **{"title": title, **change}))
        assert payload["issue"] is None
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == ("idempotencyKey", "IDEMPOTENCY_KEY_REUSED"), error
        assert first["issue"]["number"] in error["message"]
    assert await Issue.all().count() == before
    # Surrounding spaces are not part of the report: the same title, trimmed, is the same report.
    again = await call(gql, "reportIssue", **new_report(enterprise, key, title=f"  {title} "))
    assert again == first


async def test_keys_are_checked_and_name_their_field(gql, enterprise):
    before = await Issue.all().count()
    for bad in ("", "x" * 101, "two words", "键"):
        payload = await call(gql, "reportIssue", **new_report(enterprise, bad))
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == ("idempotencyKey", "INVALID"), (bad, error)
    assert await Issue.all().count() == before
    longest = await call(gql, "reportIssue", **new_report(enterprise, "k" * 100, title=uuid.uuid4().hex))
    assert longest["userErrors"] == []


async def test_each_reporter_has_keys_of_its_own(client, gql, sign_in, enterprise):
    key = f"shared-{uuid.uuid4()}"
    title = f"各自的键 {uuid.uuid4().hex[:6]}"
    dispatcher = await sign_in("dispatcher")
    mine = await call(gql, "reportIssue", **new_report(enterprise, key, title=title))
    theirs = await call(dispatcher, "reportIssue", **new_report(enterprise, key, title=title))
    # The same key and even another report: a token does not see the staff's keys either.
    async with partner(client, ["issues:report"]) as token:
        body = await token(REPORT, {"input": new_report(enterprise, key, title=title + "（合作方）")})
        by_token = body["data"]["reportIssue"]
        assert by_token["userErrors"] == []
        retried = (await token(REPORT, {"input": new_report(enterprise, key, title=title + "（合作方）")}))["data"]
        assert retried["reportIssue"] == by_token
    numbers = {mine["issue"]["number"], theirs["issue"]["number"], by_token["issue"]["number"]}
    assert len(numbers) == 3
    assert len(await stored(title)) == 2


async def test_concurrent_calls_with_one_key_make_one_issue(gql, enterprise):
    title = f"并发重试 {uuid.uuid4().hex[:6]}"
    input = new_report(enterprise, str(uuid.uuid4()), title=title)
    payloads = await asyncio.gather(*(call(gql, "reportIssue", **input) for _ in range(8)))
    assert all(p["userErrors"] == [] for p in payloads), payloads
    assert len({p["issue"]["id"] for p in payloads}) == 1
    assert [events for _, events in await stored(title)] == [1]
    # The one key that won: the rolled-back attempts left nothing.
    assert await IssueReportKey.filter(key=input["idempotencyKey"]).count() == 1
