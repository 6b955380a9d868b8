"""The attack: keep a graphql-transport-ws connection open across a revocation.

Access used to be decided once per connection, so a socket opened before `yimi token revoke` or
`yimi user disable` still read contact phones and issue text, and still ran `addIssueNote`, a
minute later. Now every operation starts with the caller's access as it is then (the socket
closes with 4401 when it is gone), and a running `issueChanged` delivers no event after it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import TEST_PASSWORD, first_with_role, signed_in
from tests.live.conftest import ISSUE_CHANGED, SubscriptionClient, served, wait_for_subscribers
from yimi.accounts.models import PartnerToken, Role, Staff
from yimi.accounts.service import create_user, set_active, set_password
from yimi.accounts.tokens import create_token, revoke_token
from yimi.app import SESSION_COOKIE
from yimi.issues.models import Issue, IssueEvent

pytestmark = pytest.mark.timeout(60)

SECRETS = """{
  enterprises(first: 3) { nodes { name contactPerson contactPhone } }
  issues(first: 3) { nodes { title description } }
}"""
ADD_NOTE = "mutation($i: AddIssueNoteInput!) { addIssueNote(input: $i) { issue { id } userErrors { code message } } }"
# Issues in progress with their text (the demo's all have one; issues other tests add may not).
FIRST_ISSUE = "{ issues(first: 20, filter: {statuses: [IN_PROGRESS]}) { nodes { id description } } }"
# The refusal must come with the next operation, not a minute later.
PROMPTLY = 2.0


@pytest.fixture
async def server_url(app):
    async with served(app) as url:
        yield url


async def answer(client: SubscriptionClient, query: str, variables: dict | None = None) -> dict | int:
    """The server's answer to one operation on the socket: its first message, or the close code."""
    op_id = await client.subscribe(query, variables)
    try:
        message = await client.receive(PROMPTLY)
        assert message.get("id") == op_id, message
        if message["type"] == "next":
            assert await client.receive(PROMPTLY) == {"id": op_id, "type": "complete"}
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006
    return message


def leaked(result: dict | int) -> bool:
    """Whether the answer carries any data at all (contacts, issue text, a note written)."""
    return isinstance(result, dict) and bool((result.get("payload") or {}).get("data"))


# --- partner tokens --------------------------------------------------------------------------


async def _expire(token: PartnerToken) -> None:
    await PartnerToken.filter(id=token.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))


@pytest.mark.parametrize(
    "end", [lambda token: revoke_token(token.name), _expire], ids=["token revoked", "token expired"]
)
async def test_a_partner_socket_reads_nothing_once_its_token_is_gone(server_url, demo, end):
    token, secret = await create_token(
        f"attack-{uuid.uuid4().hex[:8]}",
        ["enterprises:read", "enterprises:contacts", "issues:read", "issues:details"],
    )
    try:
        headers = {"Authorization": f"Bearer {secret}"}
        async with SubscriptionClient.connect(server_url, headers=headers) as client:
            before = await answer(client, SECRETS)
            assert leaked(before) and before["payload"]["data"]["enterprises"]["nodes"][0]["contactPhone"]
            await end(token)
            started = time.monotonic()
            after = await answer(client, SECRETS)
            assert not leaked(after), after
            assert after == 4401, after  # graphql-transport-ws "Unauthorized": sign in again
            assert time.monotonic() - started < PROMPTLY
    finally:
        await PartnerToken.filter(id=token.id).delete()


# --- staff sessions --------------------------------------------------------------------------


async def _disable(staff: Staff, app) -> None:
    await set_active(staff.username, False)  # what `yimi user disable` runs


async def _sign_out_elsewhere(staff: Staff, app) -> None:
    other = await signed_in(app, staff)  # the same person on another device
    try:
        assert (await other("mutation { signOut { signedOut } }"))["signOut"]["signedOut"]
    finally:
        await other.http.aclose()


async def _change_password(staff: Staff, app) -> None:
    await set_password(staff, "a brand new password")  # as `yimi user set-password` does


ENDINGS: dict[str, Callable[[Staff, object], Awaitable[None]]] = {
    "disabled": _disable,
    "signed out elsewhere": _sign_out_elsewhere,
    "password changed": _change_password,
}


@pytest.fixture
async def dispatcher(demo):
    """A dispatcher of this test's own, signed in with a cookie session: (staff, WebSocket headers)."""
    template = await first_with_role("dispatcher")
    department = await template.department
    staff = await create_user(
        f"attack-{uuid.uuid4().hex[:8]}", "攻击测试", department.name, [Role.DISPATCHER], TEST_PASSWORD
    )
    yield staff
    await Staff.filter(id=staff.id).delete()


async def _cookie_headers(app, staff: Staff) -> dict:
    client = await signed_in(app, staff)
    try:
        return {"Cookie": f"{SESSION_COOKIE}={client.http.cookies[SESSION_COOKIE]}"}
    finally:
        await client.http.aclose()


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_a_staff_socket_can_neither_read_nor_write_once_the_session_is_over(app, server_url, dispatcher, ending):
    headers = await _cookie_headers(app, dispatcher)
    async with SubscriptionClient.connect(server_url, headers=headers) as client:
        before = await answer(client, FIRST_ISSUE)
        assert leaked(before), before
        issue = next(n for n in before["payload"]["data"]["issues"]["nodes"] if n["description"])
        events = await IssueEvent.all().count()

        await ENDINGS[ending](dispatcher, app)
        started = time.monotonic()
        note = {"i": {"issueId": issue["id"], "note": "written after the session ended"}}
        after = await answer(client, ADD_NOTE, note)
        assert not leaked(after), after
        assert after == 4401, after
        assert time.monotonic() - started < PROMPTLY
    assert await IssueEvent.all().count() == events, "the refused note was not written"


async def test_a_socket_opened_after_the_session_ended_is_the_publics(app, server_url, dispatcher):
    headers = await _cookie_headers(app, dispatcher)
    await _sign_out_elsewhere(dispatcher, app)
    async with SubscriptionClient.connect(server_url, headers=headers) as client:
        result = await answer(client, SECRETS)
    assert not leaked(result), result
    assert result["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- a running subscription ------------------------------------------------------------------


async def _change(app, issue: Issue) -> None:
    message = {"issueId": issue.id, "action": "note", "status": issue.status.value, "version": issue.version}
    await app.state.broker.publish("issues", message)


@pytest.mark.parametrize("who", ["partner token revoked", "staff signed out elsewhere"])
async def test_a_running_subscription_gets_no_event_after_the_revocation(app, server_url, dispatcher, who):
    issue = await Issue.all().order_by("id").first()
    token = None
    if who.startswith("partner"):
        token, secret = await create_token(f"attack-{uuid.uuid4().hex[:8]}", ["enterprises:read", "issues:read"])
        headers = {"Authorization": f"Bearer {secret}"}
    else:
        headers = await _cookie_headers(app, dispatcher)
    broker = app.state.broker
    try:
        async with SubscriptionClient.connect(server_url, headers=headers) as client:
            op_id = await client.subscribe(ISSUE_CHANGED)
            await wait_for_subscribers(broker, 1)
            await _change(app, issue)
            assert (await client.next(op_id))["issueChanged"]["issue"]["title"] == issue.title

            if token is not None:
                await revoke_token(token.name)
            else:
                await _sign_out_elsewhere(dispatcher, app)
            started = time.monotonic()
            await _change(app, issue)
            message = await client.receive(PROMPTLY)
            assert message["type"] == "error" or "errors" in message.get("payload", {}), message
            assert not leaked(message), "an event reached a caller whose access had ended"
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert time.monotonic() - started < PROMPTLY
            await wait_for_subscribers(broker, 0)
    finally:
        if token is not None:
            await PartnerToken.filter(id=token.id).delete()
