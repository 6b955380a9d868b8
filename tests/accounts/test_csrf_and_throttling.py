"""Cross-site request forgery refusal (yimi.accounts.csrf) and sign-in throttling (SignInThrottle)."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.conftest import CSRF_HEADERS, TEST_PASSWORD
from yimi.accounts.models import PartnerToken, Staff
from yimi.accounts.service import set_password
from yimi.accounts.tokens import create_token
from yimi.app import create_app
from yimi.issues.models import IssueEvent

SIGN_IN = """mutation($u: String!, $p: String!) {
  signIn(input: {username: $u, password: $p}) { staff { id } userErrors { field code message } } }"""
ADD_NOTE = "mutation($i: AddIssueNoteInput!) { addIssueNote(input: $i) { issue { id } userErrors { code message } } }"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _post(http: httpx.AsyncClient, query: str, variables: dict | None = None, **headers: str):
    return http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


async def _an_issue_id(gql) -> str:
    data = await gql("{ issues(first: 1, filter: {statuses: [IN_PROGRESS]}) { nodes { id } } }")
    return data["issues"]["nodes"][0]["id"]


# --- CSRF ------------------------------------------------------------------------------------


async def test_cookie_mutation_without_the_header_is_refused_and_changes_nothing(sign_in):
    gql = await sign_in("dispatcher")
    issue_id = await _an_issue_id(gql)
    events = await IssueEvent.all().count()

    response = await _post(gql.http, ADD_NOTE, {"i": {"issueId": issue_id, "note": "forged"}})
    assert response.status_code == 403, response.text
    assert "X-Yimi-CSRF" in response.text and "Cross-site request refused" in response.text
    assert await IssueEvent.all().count() == events

    response = await _post(gql.http, "mutation { signOut { signedOut } }")
    assert response.status_code == 403
    assert (await gql("{ me { id } }"))["me"], "a refused signOut must leave the session alone"

    # The same mutation with the header (as the web app sends it) works.
    assert not (await gql(ADD_NOTE, {"i": {"issueId": issue_id, "note": "genuine"}}))["addIssueNote"]["userErrors"]
    assert await IssueEvent.all().count() == events + 1


async def test_a_foreign_origin_is_refused_even_with_the_header(sign_in, caplog):
    gql = await sign_in("dispatcher")
    for origin in ("https://evil.example", "null", "http://testserver.evil.example", "http://testserver:8080"):
        with caplog.at_level(logging.WARNING, logger="yimi.auth"):
            response = await _post(gql.http, "mutation { signOut { signedOut } }", **CSRF_HEADERS, origin=origin)
        assert response.status_code == 403 and "Origin" in response.text, (origin, response.text)
        assert f"Refused a mutation as cross-site from 127.0.0.1: the Origin {origin!r}" in caplog.text
    assert (await gql("{ me { id } }"))["me"]

    # Our own origin (as a browser sends it) is fine.
    response = await _post(gql.http, "{ me { id } }", **CSRF_HEADERS, origin="http://testserver")
    assert response.status_code == 200 and response.json()["data"]["me"]
    response = await _post(gql.http, "mutation { signOut { signedOut } }", **CSRF_HEADERS, origin="http://testserver")
    assert response.status_code == 200 and response.json()["data"]["signOut"]["signedOut"]
    assert (await gql("{ me { id } }"))["me"] is None


async def test_trusted_origins_setting(settings, demo):
    app = create_app(settings.model_copy(update={"csrf_trusted_origins": ["http://localhost:5173"]}), manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        ok = await _post(http, "mutation { signOut { signedOut } }", **CSRF_HEADERS, origin="http://localhost:5173")
        assert ok.status_code == 200, ok.text
        refused = await _post(
            http, "mutation { signOut { signedOut } }", **CSRF_HEADERS, origin="http://localhost:5174"
        )
        assert refused.status_code == 403


async def test_sign_in_needs_the_header_too(app, sign_in):
    gql = await sign_in("dispatcher")  # sets a password
    variables = {"u": gql.staff.username, "p": TEST_PASSWORD}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await _post(http, SIGN_IN, variables)
        assert response.status_code == 403 and "set-cookie" not in response.headers
        response = await _post(http, SIGN_IN, variables, origin="https://evil.example", **CSRF_HEADERS)
        assert response.status_code == 403 and "set-cookie" not in response.headers
        response = await _post(http, SIGN_IN, variables, **CSRF_HEADERS)
        assert response.json()["data"]["signIn"]["staff"] and "yimi_session=" in response.headers["set-cookie"]


async def test_queries_need_no_header_and_get_never_mutates(sign_in):
    gql = await sign_in("dispatcher")
    response = await _post(gql.http, "{ me { id } }", origin="https://elsewhere.example")
    assert response.status_code == 200 and response.json()["data"]["me"]
    # A document that defines a mutation needs the header even when a query is chosen.
    response = await _post(gql.http, "query Q { me { id } } mutation M { signOut { signedOut } }")
    assert response.status_code == 403
    for params in ({"query": "mutation { signOut { signedOut } }"}, {"query": "{ me { id } }"}):
        response = await gql.http.get("/graphql", params=params, headers={"accept": "application/json", **CSRF_HEADERS})
        assert response.status_code in (400, 405), response.text
    assert (await gql("{ me { id } }"))["me"]


async def test_partner_requests_need_no_header(client, demo):
    token, secret = await create_token(f"csrf-{uuid.uuid4().hex[:8]}", ["enterprises:read", "issues:read"])
    try:
        bearer = {"authorization": f"Bearer {secret}"}
        response = await _post(client, "mutation { signOut { signedOut } }", **bearer, origin="https://partner.example")
        assert response.status_code == 200, response.text
        assert response.json()["data"]["signOut"]["signedOut"]
    finally:
        await PartnerToken.filter(id=token.id).delete()


# --- throttling ------------------------------------------------------------------------------


@pytest.fixture
def throttled(settings, demo):
    """``async with throttled(**settings) as (app, client_for)``: an app with its own failure counters."""

    @asynccontextmanager
    async def make(**changes):
        app = create_app(settings.model_copy(update=changes), manage_db=False)
        clients: list[httpx.AsyncClient] = []

        def client_for(ip: str = "127.0.0.1") -> httpx.AsyncClient:
            http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(ip, 40000)),
                base_url="http://testserver",
                headers=CSRF_HEADERS,
            )
            clients.append(http)
            return http

        try:
            yield app, client_for
        finally:
            for http in clients:
                await http.aclose()
            await app.state.sign_in_throttle.close()
            await app.state.budget.close()
            await app.state.broker.close()

    return make


async def _staff_with_password(index: int = 0) -> Staff:
    staff = (await Staff.filter(is_active=True).order_by("id"))[index]
    if staff.password_hash is None:
        await set_password(staff, TEST_PASSWORD)
    return staff


async def _sign_in(http: httpx.AsyncClient, username: str, password: str) -> dict:
    response = await _post(http, SIGN_IN, {"u": username, "p": password})
    assert response.status_code == 200, response.text
    return response.json()["data"]["signIn"]


async def test_failures_per_username_throttle_even_the_right_password_and_are_logged(throttled, caplog, monkeypatch):
    staff = await _staff_with_password()
    wrong = "wrong-password-42"
    async with throttled(sign_in_max_failures_per_username=3, sign_in_max_failures_per_ip=100) as (_app, client_for):
        http = client_for("10.1.0.1")
        with caplog.at_level(logging.INFO, logger="yimi.auth"):
            for _ in range(3):
                assert (await _sign_in(http, staff.username, wrong))["userErrors"][0]["code"] == "UNAUTHENTICATED"
            # Case variants of the username share its count.
            checked = []
            import yimi.accounts.service as service

            real = service.verify_password
            monkeypatch.setattr(service, "verify_password", lambda *a: checked.append(1) or real(*a))
            for username in (staff.username, staff.username.upper()):
                result = await _sign_in(client_for("10.1.0.2"), username, TEST_PASSWORD)
                assert result["staff"] is None
                error = result["userErrors"][0]
                assert error["code"] == "THROTTLED" and "try again after" in error["message"], error
            assert checked == [], "a throttled attempt must not check the password"

        failures = [r for r in caplog.records if r.name == "yimi.auth" and r.getMessage().startswith("Failed sign-in")]
        assert len(failures) == 3 and all(
            repr(staff.username) in r.getMessage() and "10.1.0.1" in r.getMessage() for r in failures
        )
        assert any(r.getMessage().startswith("Throttled sign-in") for r in caplog.records)
        assert wrong not in caplog.text and TEST_PASSWORD not in caplog.text

        # Another member of staff from the same address is not affected.
        other = await _staff_with_password(1)
        assert (await _sign_in(http, other.username, TEST_PASSWORD))["staff"]


async def test_failures_per_ip_throttle_every_username_from_it(throttled):
    staff = await _staff_with_password()
    async with throttled(sign_in_max_failures_per_username=100, sign_in_max_failures_per_ip=4) as (_app, client_for):
        attacker = client_for("10.2.0.1")
        # Successes neither count as failures nor clear the count.
        for _ in range(2):
            assert (await _sign_in(attacker, f"nobody-{uuid.uuid4().hex[:6]}", "guess-guess"))["userErrors"]
        for _ in range(5):
            assert (await _sign_in(attacker, staff.username, TEST_PASSWORD))["staff"]
        for _ in range(2):
            assert (await _sign_in(attacker, f"nobody-{uuid.uuid4().hex[:6]}", "guess-guess"))["userErrors"]
        result = await _sign_in(attacker, staff.username, TEST_PASSWORD)
        assert result["staff"] is None and result["userErrors"][0]["code"] == "THROTTLED"
        # The same user from another address signs in.
        assert (await _sign_in(client_for("10.2.0.2"), staff.username, TEST_PASSWORD))["staff"]


async def test_sign_in_works_again_once_the_window_has_passed(throttled):
    staff = await _staff_with_password()
    # A window wide enough for three sign-ins on a loaded machine (each checks an Argon2 hash);
    # then the test waits as long as the THROTTLED answer says, and no longer.
    async with throttled(sign_in_max_failures_per_username=2, sign_in_failure_window_seconds=10) as (_app, client_for):
        http = client_for("10.3.0.1")
        for _ in range(2):
            assert (await _sign_in(http, staff.username, "not-it-at-all"))["userErrors"][0]["code"] == "UNAUTHENTICATED"
        error = (await _sign_in(http, staff.username, TEST_PASSWORD))["userErrors"][0]
        assert error["code"] == "THROTTLED", error
        wait = re.search(r"\(in (\d+) seconds\)", error["message"])
        assert wait and 1 <= int(wait[1]) <= 10, error
        await asyncio.sleep(int(wait[1]) + 0.2)
        assert (await _sign_in(http, staff.username, TEST_PASSWORD))["staff"]


async def test_redis_failure_counts_are_shared_by_two_apps(throttled):
    # Fails (does not skip) when Redis is down, like the budget test in tests/graphql/test_limits.py.
    staff = await _staff_with_password()
    limits = {
        "redis_url": REDIS_URL,
        "rate_limit_key_prefix": f"test-{uuid.uuid4().hex}",  # this run's keys only
        "sign_in_max_failures_per_username": 2,
        # Wide enough for four sign-ins on a loaded machine; the keys expire by themselves.
        "sign_in_failure_window_seconds": 30,
    }
    async with throttled(**limits) as (_, first), throttled(**limits) as (_, second):
        assert (await _sign_in(first("10.4.0.1"), staff.username, "wrong-one-1"))["userErrors"][0][
            "code"
        ] == "UNAUTHENTICATED"
        assert (await _sign_in(second("10.4.0.2"), staff.username, "wrong-one-2"))["userErrors"][0][
            "code"
        ] == "UNAUTHENTICATED"
        assert (await _sign_in(first("10.4.0.3"), staff.username, TEST_PASSWORD))["userErrors"][0][
            "code"
        ] == "THROTTLED"
        assert (await _sign_in(second("10.4.0.3"), staff.username, TEST_PASSWORD))["userErrors"][0][
            "code"
        ] == "THROTTLED"
