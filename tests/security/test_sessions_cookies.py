"""The attack: reuse a copied session cookie after its owner signed out or changed password.

The session is a signed cookie; it used to carry only the staff ID, so a copy stayed good for its
8 hours whatever the owner did. Now it carries the account's session version, which sign-out, a
new password and disabling bump: every session of that person ends, on every device.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.conftest import CSRF_HEADERS, TEST_PASSWORD, GraphQLClient, first_with_role, signed_in
from yimi.accounts.models import Role, Staff
from yimi.accounts.service import create_user, set_active, set_password
from yimi.app import SESSION_COOKIE
from yimi.issues.models import IssueEvent

ADD_NOTE = "mutation($i: AddIssueNoteInput!) { addIssueNote(input: $i) { issue { id } userErrors { code message } } }"
AN_ISSUE = "{ issues(first: 1, filter: {statuses: [IN_PROGRESS]}) { nodes { id description } } }"


@pytest.fixture
async def victim(demo):
    """A dispatcher of this test's own (whose sessions the test may end)."""
    template = await first_with_role("dispatcher")
    department = await template.department
    staff = await create_user(
        f"cookie-{uuid.uuid4().hex[:8]}", "会话测试", department.name, [Role.DISPATCHER], TEST_PASSWORD
    )
    yield staff
    await Staff.filter(id=staff.id).delete()


def _copy_of(app, client: GraphQLClient) -> GraphQLClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.http.cookies[SESSION_COOKIE]
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Cookie": f"{SESSION_COOKIE}={cookie}", **CSRF_HEADERS},
    )
    return GraphQLClient(http)


async def _sign_out(staff: Staff, owner: GraphQLClient) -> None:
    assert (await owner("mutation { signOut { signedOut } }"))["signOut"]["signedOut"]


async def _change_password(staff: Staff, owner: GraphQLClient) -> None:
    await set_password(staff, "another long password")  # what `yimi user set-password` runs


ENDINGS: dict[str, Callable[[Staff, GraphQLClient], Awaitable[None]]] = {
    "sign-out": _sign_out,
    "password change": _change_password,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_a_copied_cookie_is_refused_after(app, victim, ending):
    owner = await signed_in(app, victim)
    thief = _copy_of(app, owner)
    try:
        assert (await thief("{ me { id } }"))["me"], "the copy works while the session lasts"
        issue = (await thief(AN_ISSUE))["issues"]["nodes"][0]
        events = await IssueEvent.all().count()

        await ENDINGS[ending](victim, owner)

        assert (await thief("{ me { id } }"))["me"] is None
        error = await thief.error(AN_ISSUE)
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        note = await thief(ADD_NOTE, {"i": {"issueId": issue["id"], "note": "with a stolen cookie"}})
        assert note["addIssueNote"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
        assert await IssueEvent.all().count() == events, "nothing was written with the copied cookie"
        assert (await owner("{ me { id } }"))["me"] is None, "the owner's own session ended too"
    finally:
        await thief.http.aclose()
        await owner.http.aclose()


async def test_sign_out_ends_the_other_sessions_of_the_same_person(app, victim):
    office, phone = await signed_in(app, victim), await signed_in(app, victim)
    try:
        await _sign_out(victim, office)
        assert (await phone("{ me { id } }"))["me"] is None
        # Signing in again starts a session that works.
        again = await signed_in(app, victim)
        assert (await again("{ me { id } }"))["me"]
        await again.http.aclose()
    finally:
        await office.http.aclose()
        await phone.http.aclose()


async def test_a_cookie_copied_before_disabling_stays_dead_when_the_account_is_enabled_again(app, victim):
    owner = await signed_in(app, victim)
    thief = _copy_of(app, owner)
    try:
        await set_active(victim.username, False)  # what `yimi user disable` runs
        assert (await thief("{ me { id } }"))["me"] is None
        await set_active(victim.username, True)
        assert (await thief("{ me { id } }"))["me"] is None
        assert (await owner("{ me { id } }"))["me"] is None
    finally:
        await thief.http.aclose()
        await owner.http.aclose()
