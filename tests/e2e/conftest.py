"""Browser tests: the built web app against a real server on a temp SQLite demo database.

Needs `make frontend` (frontend/dist) and Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers import yimi_serve

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "demo password 1"
STAFF = "staff003"  # a dispatcher in the demo data; its password is set to PASSWORD below
TEAM_MEMBER = "staff060"  # a team leader in the demo data; same password
XSS_NAME = "<img src=x onerror=alert(1)>"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def _yimi(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "yimi.cli", *args], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=300
    )


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    if not (DIST / "index.html").exists():
        pytest.fail("frontend/dist/index.html is missing: run `make frontend` before the browser tests")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's `chromium` package")
    db = tmp_path_factory.mktemp("e2e") / "yimi-e2e.sqlite3"
    env = {**os.environ, "YIMI_DATABASE_URL": f"sqlite://{db}", "YIMI_FRONTEND_DIST": str(DIST)}
    env.pop("YIMI_TILE_URL", None)
    yimi = [str(Path(sys.executable).parent / "yimi")]
    for args in (
        ["migrate"],
        ["demo", "--quiet"],
        ["user", "set-password", STAFF, "--password", PASSWORD],
        ["user", "set-password", TEAM_MEMBER, "--password", PASSWORD],
    ):
        subprocess.run(yimi + args, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=300)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE enterprise SET name = ? WHERE id = 1", (XSS_NAME,))
    with yimi_serve(f"sqlite://{db}", DIST, YIMI_TILE_URL="") as live:
        yield live.url


@contextmanager
def chromium():
    """Chromium under Playwright's sync API, closed (and Playwright stopped) on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="package")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(f"{e}\n{e.stack}"))
    pg.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, errors


MAP_READY = "#map[data-ready='1']"


def wait_map(page) -> None:
    page.wait_for_selector(MAP_READY, state="attached", timeout=20000)


def shot(page, name: str, full_page: bool = False) -> None:
    """A screenshot in test-artifacts/ for a person to look at (nothing asserts on it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(400)  # let a zoom or fade animation finish
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def reported_issue(server: str, client: httpx.Client) -> dict:
    """The first issue still REPORTED (nothing done on it yet): its id, number and enterprise's id."""
    query = "{ issues(first: 1, filter: {statuses: [REPORTED]}) { nodes { id number enterprise { id } } } }"
    return gql(server, query, client=client)["issues"]["nodes"][0]


def gql(base: str, query: str, variables: dict | None = None, client: httpx.Client | None = None) -> dict:
    c = client or httpx
    r = c.post(
        f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers={"X-Yimi-CSRF": "1"}, timeout=30
    )
    body = r.json()
    assert not body.get("errors"), body
    return body["data"]


SIGN_IN = "mutation($i: SignInInput!) { signIn(input: $i) { staff { name } userErrors { code message } } }"


def sign_in_client(base: str, client: httpx.Client, username: str = STAFF, password: str = PASSWORD) -> dict:
    """Start a cookie session on an httpx client; returns the signed-in staff member."""
    data = gql(base, SIGN_IN, {"i": {"username": username, "password": password}}, client=client)
    assert not data["signIn"]["userErrors"], data
    return data["signIn"]["staff"]


@pytest.fixture
def staff(server):
    """An httpx client signed in as the dispatcher: the API reads data for staff only.

    One per test: a browser test that signs the dispatcher out ends every session of theirs."""
    with httpx.Client() as client:
        sign_in_client(server, client)
        yield client


def sign_in_ui(page, username: str = STAFF, password: str = PASSWORD) -> None:
    """Sign in through the sign-in screen (the page shows it), pressing Enter as a user would."""
    page.wait_for_selector("form.signin-card")
    page.fill("#si-username", username)
    page.fill("#si-password", password)
    page.press("#si-password", "Enter")


def sign_in_session(page, base: str, username: str = STAFF) -> None:
    """Sign the page's browser context in without the UI: the context's request API shares its cookies."""
    r = page.context.request.post(
        f"{base}/graphql",
        headers={"X-Yimi-CSRF": "1"},
        data={"query": SIGN_IN, "variables": {"i": {"username": username, "password": PASSWORD}}},
    )
    body = r.json()
    assert r.ok and not body.get("errors") and not body["data"]["signIn"]["userErrors"], body


@pytest.fixture
def staff_page(server, page):
    """A page whose context is already signed in as the dispatcher."""
    sign_in_session(page, server)
    return page


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page once its transitions have ended (axe-core is pinned in
    frontend/package.json)."""
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    # axe reads colours as painted: during a fade (Leaflet's popups fade in over 0.2 s) text is
    # blended with whatever lies beneath, e.g. a red cluster badge under the cluster list, and fails
    # color-contrast depending on the data under it. Endless animations (a spinner) are not awaited.
    return page.evaluate(
        """async () => {
            await Promise.all(document.getAnimations()
                .filter(a => a.effect?.getComputedTiming().endTime !== Infinity)
                .map(a => a.finished.catch(() => null)));
            return (await axe.run(document)).violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))
            }));
        }"""
    )
