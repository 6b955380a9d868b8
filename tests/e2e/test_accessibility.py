"""The staff dashboard with the keyboard and axe-core, in real Chromium.

axe (frontend/node_modules/axe-core, pinned) runs on every view: the sign-in screen, the map in
both languages, each list tab, the coverage matrix, a township's panel, an enterprise's panel with
a workflow form open, a cluster's list, and the phone layout. The keyboard reaches an enterprise on
the map: Tab to a cluster badge, Enter lists its enterprises, Enter opens one.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import axe_violations, reported_issue, shot, sign_in_session, wait_map


def check(page: Page, view: str, found: dict[str, list[dict]]) -> None:
    violations = axe_violations(page)
    if violations:
        found[view] = violations


def test_axe_finds_no_violation_on_any_view(server, staff, browser):
    ent = reported_issue(server, staff)["enterprise"]["id"]
    found: dict[str, list[dict]] = {}
    for width, height in ((1400, 860), (360, 740)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        try:
            page.goto(server + "/")
            page.wait_for_selector("form.signin-card")
            check(page, f"sign-in {width}", found)
            sign_in_session(page, server)
            for query in (
                "",
                "?lang=en",
                "?view=list",
                "?view=list&tab=issues",
                "?view=list&tab=teams",
                "?view=coverage",
            ):
                page.goto(server + "/" + query)
                wait_map(page)
                if "view=coverage" in query:
                    page.wait_for_selector("table.matrix")
                elif "view=list" in query:
                    page.wait_for_selector(".list-view[aria-busy='false'] .data-table")
                check(page, f"{query or 'map'} {width}", found)
            page.goto(server + "/?sel=410223101")
            wait_map(page)
            expect(page.locator("#panel-title")).to_have_text("洧川镇")
            check(page, f"township panel {width}", found)
            page.goto(server + f"/?ent={ent}")
            wait_map(page)
            page.wait_for_selector("#panel[aria-busy='false'] .issue-card")
            page.locator("#panel details[data-action='dispatch'] > summary").first.click()
            page.locator("#panel .report-box details[data-action='visit'] > summary").click()
            check(page, f"enterprise panel with forms {width}", found)
            if width > 600:
                page.goto(server + "/")
                wait_map(page)
                page.locator(".cluster-inner").first.focus()
                page.keyboard.press("Enter")
                page.wait_for_selector(".cluster-list button")
                check(page, "cluster list", found)
        finally:
            context.close()
    if found:
        pytest.fail(
            "\n".join(
                f"{view}: {v['id']} ({v['impact']}) {v['help']}: {', '.join(v['nodes'][:5])}"
                for view, vs in found.items()
                for v in vs
            )
        )


def test_keyboard_reaches_an_enterprise_on_the_map(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    # Tab from the last filter control onwards reaches a cluster badge (no mouse involved).
    page.focus("#tiles")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('cluster-inner')"):
            break
    else:
        raise AssertionError("Tab never reached a cluster badge")
    badge = page.locator(".cluster-inner:focus")
    count = int(badge.inner_text())
    expect(badge).to_have_attribute("role", "button")
    expect(badge).to_have_attribute("aria-label", f"{count} 家企业，按 Enter 列出")
    page.keyboard.press("Enter")
    items = page.locator(".cluster-list button")
    expect(items).to_have_count(min(count, 100))
    # The focus is in the list: Enter opens the first enterprise's panel, titled with its name.
    name = items.first.inner_text()
    expect(items.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-title")).to_have_text(name)
    assert "ent=" in page.url
    shot(page, "20-keyboard-cluster-to-enterprise")


def test_escape_closes_a_cluster_list_and_returns_to_the_badge(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    badge = page.locator(".cluster-inner").first
    badge.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".cluster-list button").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".cluster-list")).to_have_count(0)
    assert page.evaluate("document.activeElement.classList.contains('cluster-inner')")


def test_a_focused_badge_keeps_the_focus_when_the_map_draws_again(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    badge = page.locator(".cluster-inner").first
    cluster = badge.get_attribute("data-cluster")
    badge.focus()
    draws = page.locator("#map").get_attribute("data-draws")
    # A resize moves the map (Leaflet's moveend), and every badge is drawn anew.
    size = page.viewport_size
    assert size is not None
    page.set_viewport_size({"width": size["width"] - 40, "height": size["height"]})
    expect(page.locator("#map")).not_to_have_attribute("data-draws", draws or "")
    assert page.evaluate("document.activeElement.dataset.cluster") == cluster


def test_township_labels_do_not_hide_cluster_badges(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    # Whatever lies at a badge's centre, on top, is the badge (or its text), never a township label.
    hidden = page.evaluate(
        """() => [...document.querySelectorAll('.cluster-inner, .point-inner')].filter(b => {
            const r = b.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
            const top = document.elementFromPoint(x, y);
            return top && top.closest('.tw-label') !== null;
        }).length"""
    )
    assert hidden == 0
    assert page.locator(".cluster-inner").count() > 0


def test_language_button_name_matches_its_label(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    button = page.get_by_role("button", name="English", exact=True)
    expect(button).to_have_id("lang")
