"""The security headers in real Chromium (issue 10, finding 8): the dashboard loads under its
Content-Security-Policy without a single violation, and a page on another origin cannot frame it
(before, a page on another port of the same host framed the signed-in dashboard).

Uses the browser tests' server (the built frontend/dist on a demo database) and Chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import chromium, server, sign_in_session  # noqa: F401 (a fixture)

MAP_READY = "#map[data-ready='1']"
# Records what the browser refused, whatever the page itself does (init scripts are not subject to CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def browser():
    # Module-scoped, not the browser tests' package-scoped one: the sync API must be gone before
    # the asynchronous tests of this package run in the same event loop.
    with chromium() as b:
        yield b


def watch(tab: Page) -> list[str]:
    messages: list[str] = []
    tab.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    tab.add_init_script(RECORD_VIOLATIONS)
    return messages


def test_the_dashboard_loads_under_its_policy(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    tab = context.new_page()
    sign_in_session(tab, server)
    console = watch(tab)
    response = tab.goto(server + "/?view=list")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    tab.wait_for_selector(MAP_READY, state="attached", timeout=20000)
    tab.locator(".list-view[data-total='600']").wait_for(timeout=20000)
    # The live-update WebSocket (connect-src 'self') and a client-side route change.
    tab.click("#tab-issues")
    tab.wait_for_timeout(1500)
    assert tab.evaluate("window.__violations") == []
    assert console == []
    context.close()


def test_another_origin_cannot_frame_it(server, browser):  # noqa: F811
    context = browser.new_context()
    try:
        sign_in_session(context.new_page(), server)
        attacker = context.new_page()
        # A page on another port of the same host, as in the attack (Playwright answers for it),
        # framing the dashboard and, to show that framing works at all, a page of its own.
        other = server.rsplit(":", 1)[0] + ":9"
        frames = (
            f'<iframe name="victim" src="{server}/"></iframe><iframe name="control" src="{other}/own.html"></iframe>'
        )
        attacker.route(f"{other}/frame.html", lambda route: route.fulfill(content_type="text/html", body=frames))
        attacker.route(f"{other}/own.html", lambda route: route.fulfill(content_type="text/html", body="<p>own</p>"))
        attacker.goto(f"{other}/frame.html")
        attacker.wait_for_timeout(2000)
        framed = {f.name: f for f in attacker.frames if f.parent_frame is not None}
        assert framed["control"].locator("p").inner_text() == "own"
        # Chromium refused to render the dashboard there (frame-ancestors 'none'): an error page instead.
        assert framed["victim"].url == "chrome-error://chromewebdata/"
    finally:
        context.close()


def test_graphiql_loads_from_this_server_under_its_own_policy(server, browser):  # noqa: F811
    context = browser.new_context()
    try:
        tab = context.new_page()
        console = watch(tab)
        # No CDN (issue 12, item 8): every request to another host is refused, and none is made.
        elsewhere: list[str] = []
        tab.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(server + "/")
                else (elsewhere.append(route.request.url), route.abort())
            ),
        )
        response = tab.goto(server + "/graphql")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unpkg.com" not in policy
        tab.locator(".graphiql-container").wait_for(state="visible", timeout=20000)
        tab.locator(".graphiql-query-editor .CodeMirror").wait_for(state="visible", timeout=20000)
        assert tab.evaluate("typeof GraphiQL.createFetcher") == "function"  # the local UMD build
        assert tab.evaluate("window.__violations") == []
        assert console == []
        assert elsewhere == []
    finally:
        context.close()
