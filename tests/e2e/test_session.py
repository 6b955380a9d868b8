"""Signing in and out in real Chromium: nothing but the sign-in screen for anonymous visitors,
errors next to the fields, the URL kept through sign-in, sign-out and the end of a session."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from .conftest import MAP_READY, STAFF, XSS_NAME, gql, shot, sign_in_ui, wait_map

DATA_FIELDS = (
    "enterprises",
    "mapLayer",
    "issues",
    "enterpriseCount",
    "openIssueCount",
    "serviceTeams",
    "coverage",
    "node",
)


class GraphQLLog:
    """Every /graphql exchange of a page: the query sent and the body answered."""

    def __init__(self, page: Page) -> None:
        self.items: list[tuple[str, str]] = []
        self.sockets: list = []
        page.on("response", self._on_response)
        page.on("websocket", lambda ws: self.sockets.append(ws))

    def _on_response(self, response) -> None:
        if not response.url.endswith("/graphql"):
            return
        try:
            query = json.loads(response.request.post_data or "{}").get("query", "")
        except ValueError:
            query = response.request.post_data or ""
        try:
            body = response.text()
        except Exception:
            body = ""
        self.items.append((query, body))

    def clear(self) -> None:
        self.items.clear()


def enterprise_names(server: str, staff) -> list[str]:
    nodes = gql(server, "{ enterprises(first: 20) { nodes { name } } }", client=staff)["enterprises"]["nodes"]
    return [n["name"] for n in nodes] + [XSS_NAME]


def assert_no_data(log: GraphQLLog, names: list[str]) -> None:
    for query, body in log.items:
        for field in DATA_FIELDS:
            assert field not in query, f"signed out, the page asked {field}: {query}"
        for name in names:
            assert json.dumps(name)[1:-1] not in body and name not in body, (
                f"signed out, the page got {name!r}: {body[:300]}"
            )


def test_anonymous_visitor_gets_only_the_sign_in_screen(server, staff, page: Page):
    names = enterprise_names(server, staff)
    log = GraphQLLog(page)
    page.goto(server + "/?view=list&t=410223101")
    form = page.locator("form.signin-card")
    expect(form).to_be_visible()
    expect(page.locator("#signin-title")).to_have_text("工作人员登录")
    # Accessible: the inputs have labels; the username field has the focus.
    expect(page.get_by_label("用户名")).to_be_focused()
    expect(page.get_by_label("密码")).to_have_attribute("type", "password")
    page.wait_for_load_state("networkidle")
    assert [q for q, _ in log.items if "query Me" in q], "the page asks `me`"
    assert_no_data(log, names)
    assert not log.sockets, "signed out, the page opened no live subscription"
    assert page.locator(MAP_READY).count() == 0 and page.locator("#map").count() == 0
    assert page.url.endswith("/?view=list&t=410223101")
    # The English switch works on the sign-in screen too and keeps the link.
    page.click("#lang")
    expect(page.locator("#signin-title")).to_have_text("Staff sign-in")
    assert "view=list" in page.url and "t=410223101" in page.url and "lang=en" in page.url
    assert page.evaluate("document.documentElement.lang") == "en"
    shot(page, "10-sign-in")
    assert_no_data(log, names)


def test_wrong_password_shows_the_error_next_to_the_field(server, page: Page):
    page.goto(server + "/")
    page.wait_for_selector("form.signin-card")
    # Empty fields: the form says so without asking the server.
    page.press("#si-username", "Enter")
    expect(page.locator("#si-username-err")).to_have_text("请输入用户名。")
    expect(page.locator("#si-password-err")).to_have_text("请输入密码。")
    sign_in_ui(page, STAFF, "not the password")
    err = page.locator("#si-password-err")
    expect(err).to_have_text("用户名或密码错误。")
    expect(page.locator("#si-password")).to_have_attribute("aria-invalid", "true")
    assert page.get_attribute("#si-password", "aria-describedby") == "si-password-err"
    expect(page.locator("#si-username-err")).to_be_hidden()
    expect(page.locator("#si-password")).to_be_focused()
    shot(page, "11-wrong-password")
    assert page.locator("#map").count() == 0


def test_sign_in_dashboard_sign_out_and_back(server, staff, page: Page):
    names = enterprise_names(server, staff)
    me = gql(server, "{ me { name } }", client=staff)["me"]
    log = GraphQLLog(page)
    page.goto(server + "/")
    sign_in_ui(page)
    wait_map(page)
    m = page.locator("#map")
    expect(m).to_have_attribute("data-townships", "15")
    expect(m).to_have_attribute("data-points", "600")
    expect(page.locator("#who")).to_contain_text(me["name"])
    expect(page.locator("#live-badge.on")).to_have_count(1, timeout=10000)
    assert len(log.sockets) == 1
    # A history entry of the signed-in session: a township panel.
    label = page.locator(".tw-label[data-code='410223101']")
    label.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-title")).to_have_text("洧川镇")

    page.click("#sign-out")
    expect(page.locator("form.signin-card")).to_be_visible()
    expect(page.locator("#signin-notice")).to_have_text("您已安全退出。")
    assert page.locator("#map").count() == 0 and page.locator("#panel").count() == 0
    page.wait_for_timeout(300)
    assert log.sockets[0].is_closed(), "sign-out closes the live subscription"
    r = page.context.request.post(server + "/graphql", headers={"X-Yimi-CSRF": "1"}, data={"query": "{ me { id } }"})
    assert r.json()["data"]["me"] is None, "the session ended on the server too"

    log.clear()
    page.go_back()
    page.wait_for_timeout(500)
    expect(page.locator("form.signin-card")).to_be_visible()
    assert page.locator("#map").count() == 0 and page.locator("#panel").count() == 0
    assert page.locator(".tw-label").count() == 0
    assert_no_data(log, names)
    assert len(log.sockets) == 1, "no new live subscription after sign-out"


def test_deep_link_opened_signed_out_is_restored_after_sign_in(server, staff, page: Page):
    ent = gql(
        server,
        """{ enterprises(first: 1, filter: {townshipCodes: ["410223101"]}, orderBy: {field: NAME, direction: ASC})
                          { nodes { id name contactPerson contactPhone } } }""",
        client=staff,
    )["enterprises"]["nodes"][0]
    link = f"/?view=list&tab=issues&t=410223101&sort=DEADLINE.ASC&ent={ent['id']}"
    page.goto(server + link)
    sign_in_ui(page)
    wait_map(page)
    # The link's parameters are all still there (the map adds its position, `at`).
    kept = {k: v for k, v in parse_qs(urlsplit(page.url).query).items() if k != "at"}
    assert kept == parse_qs(urlsplit(link).query)
    expect(page.locator("#panel-title")).to_have_text(ent["name"])
    expect(page.locator("#tab-issues")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#f-township")).to_have_value("410223101")
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("办理时限")
    expect(page.locator("#map")).to_have_attribute("data-points", "42")
    # The staff-only contact fields, as text.
    panel = page.locator("#panel")
    expect(panel.locator("dt", has_text="联系人")).to_have_count(1)
    expect(panel.locator("dt", has_text="联系电话")).to_have_count(1)
    expect(panel.locator("dt:text-is('联系人') + dd")).to_have_text(ent["contactPerson"])
    expect(panel.locator("dt:text-is('联系电话') + dd")).to_have_text(ent["contactPhone"])
    shot(page, "12-deep-link-restored")


def test_session_end_returns_to_sign_in_and_keeps_the_url(server, page: Page):
    page.goto(server + "/?view=list")
    sign_in_ui(page)
    wait_map(page)
    expect(page.locator(".list-view")).to_have_attribute("data-total", "600")
    page.context.clear_cookies()  # the session expires
    page.select_option("#f-township", "410223101")
    expect(page.locator("form.signin-card")).to_be_visible()
    expect(page.locator("#signin-notice")).to_contain_text("登录已失效")
    assert "view=list" in page.url and "t=410223101" in page.url
    sign_in_ui(page)
    wait_map(page)
    expect(page.locator(".list-view")).to_have_attribute("data-total", "42")
    expect(page.locator("#f-township")).to_have_value("410223101")
