"""`issueChanged` in one process: through the schema, and over a WebSocket to a running server."""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing, asynccontextmanager, suppress

import pytest
from strawberry.relay import GlobalID
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.issues.workflow_helpers import cast, gid, ok
from tests.live.conftest import ISSUE_CHANGED, SubscriptionClient, live_subscribers, served, wait_for_subscribers
from yimi.accounts.read_rules import PUBLIC_ACCESS, STAFF, Access
from yimi.app import SESSION_COOKIE
from yimi.enterprises.models import Enterprise
from yimi.graphql.context import Context
from yimi.graphql.schema import schema
from yimi.issues.models import Issue
from yimi.live.broker import MemoryBroker

pytestmark = pytest.mark.timeout(60)

# Staff who read every issue (as the administrator of the `gql` fixture does), for the tests of
# the subscription itself; the row rules have tests of their own below.
EVERY_ISSUE = Access(grants=STAFF)

IDS = "query($filter: IssueFilter, $first: Int) { issues(filter: $filter, first: $first) { nodes { id number } } }"


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


def change(issue_id: int, action: str = "dispatch", version: int = 2) -> dict:
    return {"issueId": issue_id, "action": action, "status": "dispatched", "version": version}


def session(client) -> dict:
    """The WebSocket headers that carry the cookie session of a signed-in GraphQLClient."""
    return {"Cookie": f"{SESSION_COOKIE}={client.http.cookies[SESSION_COOKIE]}"}


@asynccontextmanager
async def subscription(
    settings, variables: dict | None = None, query: str = ISSUE_CHANGED, access: Access = EVERY_ISSUE
):
    """``(broker, take)`` for one subscription run by the schema itself; ``await take()`` is its next result."""
    broker = MemoryBroker()
    context = Context(settings=settings, broker=broker, access=access)
    results = await schema.subscribe(query, variable_values=variables or {}, context_value=context)
    # The subscription starts when its first result is asked for; publishing waits until then.
    pending: asyncio.Future | None = asyncio.ensure_future(anext(results))

    async def take(timeout: float = 5.0):
        nonlocal pending
        task, pending = pending or asyncio.ensure_future(anext(results)), None
        return await asyncio.wait_for(task, timeout)

    try:
        await wait_for_subscribers(broker, 1)
        yield broker, take
    finally:
        if pending is not None:
            pending.cancel()
            with suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        await results.aclose()
    assert await broker.subscriber_count("issues") == 0, "the broker subscription outlived the GraphQL one"


async def test_a_change_arrives_with_the_issue_loaded(settings, demo):
    issue = await Issue.filter(status="in_progress").order_by("id").first()
    async with subscription(settings) as (broker, take):
        await broker.publish("issues", change(issue.id, "accept", issue.version))
        result = await take()
    assert result.errors is None, result.errors
    data = result.data["issueChanged"]
    assert data["action"] == "accept" and data["version"] == issue.version
    assert pk(data["issue"]["id"]) == issue.id
    assert data["issue"]["number"] == issue.number and data["issue"]["status"] == "IN_PROGRESS"


async def test_the_filter_excludes_other_issues(settings, demo):
    power = await Issue.filter(category="power").order_by("id").first()
    land = await Issue.filter(category="land").order_by("id").first()
    async with subscription(settings, {"filter": {"categories": ["POWER"]}}) as (broker, take):
        await broker.publish("issues", change(land.id))
        await broker.publish("issues", change(power.id))
        result = await take()
    assert pk(result.data["issueChanged"]["issue"]["id"]) == power.id


@pytest.mark.parametrize(
    "filter",
    [
        {"statuses": ["REPORTED", "RETURNED"]},
        {"townshipCodes": ["410223105"]},
        {"warningColors": ["RED", "ORANGE"]},
        {"overdue": False, "statuses": ["DISPATCHED", "IN_PROGRESS"]},
        {"categories": ["FINANCING"], "reportedBetween": {"from": "2024-01-01T00:00:00Z"}},
        "team",
    ],
)
async def test_the_filter_means_what_it_means_for_the_issues_query(settings, gql, filter):
    if filter == "team":
        team = (await gql("{ serviceTeams(first: 1) { nodes { id } } }"))["serviceTeams"]["nodes"][0]
        filter = {"team": team["id"]}
    newest = (await gql(IDS, {"first": 40}))["issues"]["nodes"]
    some_matching = (await gql(IDS, {"filter": filter, "first": 5}))["issues"]["nodes"]
    sample = list({n["id"]: n for n in newest + some_matching}.values())

    async def matches(node: dict) -> bool:
        found = await gql(IDS, {"filter": {**filter, "search": node["number"]}, "first": 1})
        return [n["id"] for n in found["issues"]["nodes"]] == [node["id"]]

    expected = [n["id"] for n in sample if await matches(n)]
    assert expected and len(expected) < len(sample), "the sample should hold issues on both sides"

    async with subscription(settings, {"filter": filter}) as (broker, take):
        for node in sample:
            await broker.publish("issues", change(pk(node["id"])))
        # A last matching change marks the end: nothing may arrive between the expected ones.
        await broker.publish("issues", change(pk(expected[0]), "end"))
        received = []
        while True:
            data = (await take()).data["issueChanged"]
            received.append(data["issue"]["id"])
            if data["action"] == "end":
                break
    assert received == [*expected, expected[0]]


async def test_each_change_shows_the_data_as_committed_then(settings, demo):
    """Nothing is served from a cache filled by an earlier change of the same subscription."""
    issue = await Issue.filter(status="dispatched").order_by("id").first()
    enterprise = await Enterprise.get(id=issue.enterprise_id)
    title, name = issue.title, enterprise.name
    try:
        async with subscription(settings) as (broker, take):
            await broker.publish("issues", change(issue.id, version=issue.version))
            first = (await take()).data["issueChanged"]["issue"]
            await Issue.filter(id=issue.id).update(title=title + " (更新)")
            await Enterprise.filter(id=enterprise.id).update(name=name + "（新）")
            await broker.publish("issues", change(issue.id, "note", issue.version + 1))
            second = (await take()).data["issueChanged"]
    finally:
        await Issue.filter(id=issue.id).update(title=title)
        await Enterprise.filter(id=enterprise.id).update(name=name)
    assert (first["title"], first["enterprise"]["name"]) == (title, name)
    assert second["action"] == "note" and second["version"] == issue.version + 1
    assert (second["issue"]["title"], second["issue"]["enterprise"]["name"]) == (title + " (更新)", name + "（新）")


async def test_ill_formed_and_unknown_changes_are_skipped(settings, demo, caplog):
    issue = await Issue.all().order_by("id").first()
    async with subscription(settings) as (broker, take):
        with caplog.at_level(logging.WARNING, "yimi.issues.subscriptions"):
            for junk in [
                {},
                {"issueId": "x", "action": "a", "version": 1},
                {"issueId": 1, "action": "", "version": 1},
                {"issueId": True, "action": "a", "version": 1},
                {"issueId": 1, "action": "a"},
            ]:
                await broker.publish("issues", junk)
            await broker.publish("issues", change(10**9))  # no such issue (deleted, or another database)
            await broker.publish("issues", change(issue.id, "report", 1))
            result = await take()
    assert result.data["issueChanged"]["action"] == "report"
    assert caplog.text.count("ill-formed issue change") == 5


async def test_a_bad_filter_is_refused_before_subscribing(settings, demo):
    broker = MemoryBroker()
    context = Context(settings=settings, broker=broker, access=EVERY_ISSUE)
    results = await schema.subscribe(
        ISSUE_CHANGED, variable_values={"filter": {"team": "nonsense"}}, context_value=context
    )
    async with aclosing(results):
        result = await asyncio.wait_for(anext(results), 5)
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "filter.team" in result.errors[0].message
    assert await broker.subscriber_count("issues") == 0


async def test_anonymous_callers_are_refused_before_subscribing(settings, demo):
    broker = MemoryBroker()
    context = Context(settings=settings, broker=broker, access=PUBLIC_ACCESS)
    results = await schema.subscribe(ISSUE_CHANGED, context_value=context)
    async with aclosing(results):
        result = await asyncio.wait_for(anext(results), 5)
    assert result.data is None
    [error] = result.errors
    assert error.extensions["code"] == "UNAUTHENTICATED" and error.extensions["needs"] == "issues"
    assert await broker.subscriber_count("issues") == 0


class _FailingBroker(MemoryBroker):
    """Delivers one message, then fails as a Redis that stayed away beyond the retries would."""

    async def subscribe(self, channel):
        async for message in super().subscribe(channel):
            yield message
            raise ConnectionError("Error 111 connecting to 10.0.0.7:6379. Connection refused.")


async def test_a_broker_failure_ends_the_subscription_with_an_error_that_leaks_nothing(settings, demo, caplog):
    issue = await Issue.all().order_by("id").first()
    broker = _FailingBroker()
    results = await schema.subscribe(
        ISSUE_CHANGED, context_value=Context(settings=settings, broker=broker, access=EVERY_ISSUE)
    )
    async with aclosing(results):
        pending = asyncio.ensure_future(anext(results))
        await wait_for_subscribers(broker, 1)
        await broker.publish("issues", change(issue.id))
        assert (await asyncio.wait_for(pending, 5)).data["issueChanged"]["action"] == "dispatch"
        with caplog.at_level(logging.ERROR, "yimi.issues.subscriptions"):
            await broker.publish("issues", change(issue.id))
            failed = await asyncio.wait_for(anext(results), 5)
    assert failed.data is None
    assert [e.extensions["code"] for e in failed.errors] == ["LIVE_UPDATES_INTERRUPTED"]
    assert "10.0.0.7" not in str(failed.errors[0].formatted)
    assert "10.0.0.7" in caplog.text  # the details are in the log
    assert await broker.subscriber_count("issues") == 0


# --- over a WebSocket, against a real server in this process -------------------------------------


@pytest.fixture
async def server_url(app):
    """The app served by uvicorn on a free port, in this event loop (it shares the test database)."""
    async with served(app) as url:
        yield url


async def test_over_graphql_transport_ws(app, server_url, gql):
    broker = app.state.broker
    issue = await Issue.filter(status="reported").order_by("id").first()
    other = await Issue.filter(status="closed").order_by("id").first()
    open_before = live_subscribers()
    async with SubscriptionClient.connect(server_url, headers=session(gql)) as client:
        reported = await client.subscribe(variables={"filter": {"statuses": ["REPORTED"]}})
        everything = await client.subscribe()
        await wait_for_subscribers(broker, 2)
        assert live_subscribers() == open_before + 2

        await broker.publish("issues", change(other.id, "confirm", other.version))
        got = await client.next(everything)
        assert got["issueChanged"]["action"] == "confirm"

        await broker.publish("issues", change(issue.id, "report", 1))
        got = [await client.receive(), await client.receive()]
        assert sorted(m["id"] for m in got) == sorted([reported, everything])
        for m in got:
            assert m["type"] == "next" and m["payload"]["data"]["issueChanged"]["issue"]["number"] == issue.number

        # The client completes one subscription: its broker subscription goes, the other stays.
        await client.complete(reported)
        await wait_for_subscribers(broker, 1)
        assert live_subscribers() == open_before + 1
    # The client went away with a subscription open.
    await wait_for_subscribers(broker, 0)
    assert live_subscribers() == open_before


async def test_a_bad_filter_gets_an_error_message(server_url, gql):
    async with SubscriptionClient.connect(server_url, headers=session(gql)) as client:
        op = await client.subscribe(variables={"filter": {"enterprise": "nonsense"}})
        message = await client.receive()
    assert message["id"] == op and message["type"] == "error", message
    assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_anonymous_callers_get_an_error_message_and_no_subscription(app, server_url, demo):
    async with SubscriptionClient.connect(server_url) as client:
        op = await client.subscribe()
        message = await client.receive()
        assert message["id"] == op and message["type"] == "error", message
        [error] = message["payload"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED" and "Sign in" in error["message"]
        assert await app.state.broker.subscriber_count("issues") == 0


async def test_a_team_member_gets_the_changes_of_their_teams_issues_only(app, server_url, gql, sign_in):
    """No filter: the row rule alone decides. Changes made through the API by the administrator."""
    p = await cast()  # member A belongs to team A, not to team B
    member = await sign_in("team_member", username=p.member_a.username)
    report = {
        "enterpriseId": gid("Enterprise", p.enterprise.id),
        "category": "LABOUR",
        "title": "招工难",
        "source": "HOTLINE",
    }

    async def dispatch(issue: dict, team: int) -> dict:
        return await ok(
            gql,
            "dispatchIssue",
            issueId=issue["id"],
            version=issue["version"],
            leadTeamId=gid("ServiceTeam", team),
            instruction="请对接",
        )

    async with SubscriptionClient.connect(server_url, headers=session(member)) as client:
        op = await client.subscribe()
        await wait_for_subscribers(app.state.broker, 1)
        ours = await ok(gql, "reportIssue", **report)  # reported: not dispatched to anyone yet
        theirs = await ok(gql, "reportIssue", **report)
        await dispatch(theirs, p.team_b)
        await dispatch(ours, p.team_a)
        # Changes keep their order: after team B's note, ours marks the end of what may arrive.
        await ok(gql, "addIssueNote", issueId=theirs["id"], note="B 队的事")
        await ok(gql, "addIssueNote", issueId=ours["id"], note="A 队的事")
        received = [(await client.next(op))["issueChanged"] for _ in range(2)]
    assert [(c["action"], c["issue"]["id"]) for c in received] == [("dispatch", ours["id"]), ("note", ours["id"])]
    assert received[1]["issue"]["status"] == "DISPATCHED"


async def test_only_graphql_transport_ws_is_spoken(server_url):
    async with connect(server_url, subprotocols=["graphql-ws"], open_timeout=5, proxy=None) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4406  # Subprotocol not acceptable


LEAVING = """subscription($filter: IssueFilter) { issueChanged(filter: $filter) { action matchesFilter issue { id status } } }"""


async def test_a_change_that_takes_an_issue_out_of_the_filter_says_so(settings, demo):
    from yimi.accounts.models import Staff
    from yimi.issues.models import IssueCategory, IssueSource
    from yimi.issues.service import IssueDraft, IssueWorkflow
    from yimi.teams.models import ServiceTeam

    dispatcher = next(s for s in await Staff.all().order_by("id") if "dispatcher" in s.roles and not s.township_scope)
    enterprise = await Enterprise.all().order_by("id").first()
    team = await ServiceTeam.all().order_by("id").first()
    reported = {"filter": {"statuses": ["REPORTED"]}}
    in_progress = {"filter": {"statuses": ["IN_PROGRESS"]}}
    async with subscription(settings, reported, LEAVING) as (broker, take_reported):
        async with subscription(settings, in_progress, LEAVING) as (broker_b, take_in_progress):
            workflow = IssueWorkflow(dispatcher, settings, broker=broker)
            issue = await workflow.report(enterprise.id, IssueDraft(IssueCategory.SALES, "滞销", IssueSource.ONLINE))
            got = (await take_reported()).data["issueChanged"]
            assert (got["action"], got["matchesFilter"]) == ("report", True)

            await workflow.dispatch(issue.id, 1, team.id, [], "", None)
            got = (await take_reported()).data["issueChanged"]
            # REPORTED → DISPATCHED: it left the REPORTED list, and the subscriber is told.
            assert (got["action"], got["matchesFilter"], got["issue"]["status"]) == ("dispatch", False, "DISPATCHED")

            # A change of an issue that matched the filter neither before nor after: nothing.
            other = IssueWorkflow(dispatcher, settings, broker=broker_b)
            await other.add_note(issue.id, "已联系企业", 2)
            with pytest.raises(TimeoutError):
                await take_in_progress(timeout=0.5)
