"""What the dashboard shows while it loads, when nothing matches, and when a load fails (real Chromium).

Failures are made by answering chosen GraphQL operations with a 502 through Playwright's routing;
everything else reaches the real server.
"""

from __future__ import annotations

import json

from playwright.sync_api import Page, Route, expect

from .conftest import MAP_READY, shot, sign_in_session, wait_map


def operation(route: Route) -> str:
    """The operation name of a /graphql request ("" when it has none)."""
    try:
        body = json.loads(route.request.post_data or "{}")
    except ValueError:
        return ""
    query = body.get("query", "")
    head = query.split("{", 1)[0].split()
    return head[1].split("(")[0] if len(head) > 1 else ""


def fail(page: Page, *names: str) -> None:
    """From now on, the named operations get a 502 from a proxy (no JSON)."""

    def handle(route: Route) -> None:
        if operation(route) in names:
            route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")
        else:
            route.continue_()

    page.route("**/graphql", handle)


def test_empty_results_say_so_and_offer_to_clear_the_filters(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/?view=list&q=没有这样的企业")
    wait_map(page)
    empty = page.locator("#list-empty")
    expect(empty).to_contain_text("没有符合筛选条件的结果")
    expect(page.locator(".list-view")).to_have_attribute("data-total", "0")
    assert page.locator(".data-table").count() == 0
    shot(page, "40-empty-results")
    page.click("#list-clear-filters")
    expect(page.locator(".list-view")).to_have_attribute("data-total", "600")
    expect(page.locator("#f-search")).to_have_value("")
    assert "q=" not in page.url


def test_a_failed_list_load_shows_the_error_and_no_stale_rows(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/?view=list")
    wait_map(page)
    expect(page.locator(".list-view")).to_have_attribute("data-total", "600")
    fail(page, "Enterprises")
    page.select_option("#f-above", "1")
    status = page.locator(".list-status")
    expect(status).to_contain_text("加载失败")
    expect(status).to_have_class("list-status alert")
    # The 600 rows of the earlier answer are gone: they would read as the new filter's.
    expect(page.locator(".data-table")).to_have_count(0)
    assert page.locator(".list-view").get_attribute("data-total") is None
    shot(page, "41-list-load-failed")
    page.unroute("**/graphql")
    page.click("#list-retry")
    expect(page.locator(".data-table tbody tr").first).to_be_visible()
    total = int(page.locator(".list-view").get_attribute("data-total"))
    assert 0 < total < 600


def test_a_failed_map_load_says_so_and_retries(server, staff_page: Page):
    page = staff_page
    fail(page, "MapLayer")
    page.goto(server + "/")
    box = page.locator("#map-status")
    expect(box).to_contain_text("加载失败")
    expect(page.locator("#map")).not_to_have_attribute("data-ready", "1")
    shot(page, "42-map-load-failed")
    page.unroute("**/graphql")
    page.click("#map-retry")
    page.wait_for_selector(MAP_READY, state="attached")
    expect(page.locator("#map")).to_have_attribute("data-points", "600")
    expect(box).to_be_hidden()


def test_the_first_screen_shows_it_is_loading(server, page: Page):
    sign_in_session(page, server)
    held: list[Route] = []

    def hold_me(route: Route) -> None:
        if operation(route) == "Me":
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_me)
    page.goto(server + "/", wait_until="domcontentloaded")
    expect(page.locator(".boot-status")).to_have_text("正在加载…")
    shot(page, "43-first-screen-loading")
    for route in held:
        route.continue_()
    page.unroute("**/graphql")
    # While the map's data is on its way, the map says so too.
    wait_map(page)
    expect(page.locator(".boot-status")).to_have_count(0)
    expect(page.locator("#map-status")).to_be_hidden()
