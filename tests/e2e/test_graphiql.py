"""GraphiQL at /graphql works offline and signs in (issue 12, item 8).

It loaded React and GraphiQL from unpkg.com and hung on "Loading…" without internet, which a
county network often lacks; and its requests lacked `X-Yimi-CSRF`, so the README's signIn failed.
Here every request to another host is aborted: the editor must still come up under its
Content-Security-Policy, and a signIn typed into it must start a session that `me` then sees.
"""

from __future__ import annotations

import json

from playwright.sync_api import Page

from tests.e2e.conftest import PASSWORD, STAFF

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def offline(page: Page, base: str) -> list[str]:
    """Abort every request that does not go to the test server; returns the aborted URLs."""
    aborted: list[str] = []

    def handle(route):
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return aborted


def run(page: Page, query: str) -> dict:
    """Type ``query`` into GraphiQL's editor, run it with the toolbar button, return the answer."""
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    editor.evaluate("(el, q) => el.CodeMirror.setValue(q)", query)
    page.evaluate("document.querySelector('.graphiql-response .CodeMirror').CodeMirror.setValue('')")
    page.locator(".graphiql-execute-button").click()
    response = page.locator(".graphiql-response .CodeMirror")
    page.wait_for_function(
        "() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue().trim().endsWith('}')",
        timeout=15000,
    )
    return json.loads(response.evaluate("el => el.CodeMirror.getValue()"))


def test_graphiql_runs_offline_and_signs_in(server, page):
    aborted = offline(page, server)
    csp_messages: list[str] = []
    page.on("console", lambda m: csp_messages.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD_VIOLATIONS)

    response = page.goto(server + "/graphql")
    assert response is not None and response.ok
    assert "unpkg.com" not in page.content()
    page.locator(".graphiql-container").wait_for(state="visible", timeout=20000)
    page.locator(".graphiql-query-editor .CodeMirror").wait_for(state="visible", timeout=20000)
    # The settings dialog adds a <style> element (hence style-src 'unsafe-inline'); the docs load the schema.
    page.locator("button[aria-label='Open settings dialog']").click()
    page.locator(".graphiql-dialog").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator("button[aria-label='Show Documentation Explorer']").click()
    page.locator(".graphiql-doc-explorer").wait_for(state="visible")

    signed_in = run(
        page,
        f'mutation {{ signIn(input: {{username: "{STAFF}", password: "{PASSWORD}"}}) '
        "{ staff { name } userErrors { code message } } }",
    )
    assert "errors" not in signed_in, signed_in
    assert signed_in["data"]["signIn"]["userErrors"] == [], signed_in
    name = signed_in["data"]["signIn"]["staff"]["name"]
    assert name

    assert run(page, "{ me { name } }") == {"data": {"me": {"name": name}}}
    # The session is the browser's cookie: the web app's own requests now see the same person.
    assert any(c["name"] == "yimi_session" for c in page.context.cookies())

    assert aborted == []
    assert page.evaluate("window.__violations") == []
    assert csp_messages == []


def test_graphiql_fetcher_sends_the_csrf_header(server, page):
    """The page's requests carry `X-Yimi-CSRF: 1` and the cookie, whatever the Headers pane holds."""
    offline(page, server)
    sent: list[dict[str, str]] = []
    page.on(
        "request", lambda r: sent.append(r.headers) if r.url == server + "/graphql" and r.method == "POST" else None
    )
    page.goto(server + "/graphql")
    page.locator(".graphiql-query-editor .CodeMirror").wait_for(state="visible", timeout=20000)
    assert run(page, "{ __typename }") == {"data": {"__typename": "Query"}}
    assert sent and all(h.get("x-yimi-csrf") == "1" for h in sent), sent
