"""The staff dashboard in real Chromium: map, panels, list, filters, URL, workflow, XSS.

Every test here is signed in (the app shows only the sign-in screen to anonymous visitors):
`staff_page` starts the session through the API, the workflow test signs in through the screen.
Sign-in itself, sign-out and the session's end are in test_session.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from .conftest import XSS_NAME, gql, reported_issue, shot, sign_in_client, sign_in_ui, wait_map


def test_demo_loads_with_polygons_and_points(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    m = page.locator("#map")
    expect(m).to_have_attribute("data-townships", "15")
    expect(m).to_have_attribute("data-points", "600")
    drawn = int(m.get_attribute("data-clusters")) + int(m.get_attribute("data-singles"))
    assert drawn > 0
    # Polygons and points are on the canvas; township labels are keyboard-reachable markers.
    assert page.locator("#map canvas").count() >= 1
    expect(page.locator(".tw-label")).to_have_count(15)
    expect(page.locator(".legend")).to_contain_text("图例")
    shot(page, "01-map")


def test_township_click_opens_panel(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    label = page.locator(".tw-label[data-code='410223101']")
    label.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#panel-title")).to_have_text("洧川镇")
    expect(panel).to_contain_text("覆盖服务团")
    expect(panel).to_contain_text("覆盖缺口")
    assert "sel=410223101" in page.url
    shot(page, "02-township-panel")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()


def test_filter_changes_list_and_map_and_url_restores(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/?view=list")
    wait_map(page)
    total = page.locator(".list-view")
    expect(total).to_have_attribute("data-total", "600")
    page.select_option("#f-township", "410223101")
    expect(total).to_have_attribute("data-total", re.compile(r"^\d+$"))
    expect(page.locator("#map")).to_have_attribute("data-points", "42")
    expect(total).to_have_attribute("data-total", "42")
    assert "t=410223101" in page.url
    shot(page, "03-list-filtered")

    # Issues tab, sorted by deadline: state in the URL
    page.click("#tab-issues")
    page.locator("th button.sort", has_text="办理时限").click()
    expect(page.locator("th[aria-sort='ascending']")).to_have_count(1)
    url = page.url
    assert "tab=issues" in url and "sort=DEADLINE.ASC" in url

    # Back returns to the enterprise tab
    page.go_back()
    page.go_back()
    expect(page.locator("#tab-enterprises")).to_have_attribute("aria-selected", "true")

    # A link restores the screen in a fresh page
    fresh = page.context.new_page()
    fresh.goto(url)
    wait_map(fresh)
    expect(fresh.locator("#tab-issues")).to_have_attribute("aria-selected", "true")
    expect(fresh.locator("#f-township")).to_have_value("410223101")
    expect(fresh.locator("th[aria-sort='ascending']")).to_contain_text("办理时限")
    expect(fresh.locator("#map")).to_have_attribute("data-points", "42")
    fresh.close()


def test_hover_row_highlights_point(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/?view=list")
    wait_map(page)
    row = page.locator(".data-table tbody tr").first
    row.hover()
    expect(page.locator("#map")).to_have_attribute("data-highlight", row.get_attribute("data-enterprise"))


def test_coverage_matrix(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/?view=coverage")
    page.wait_for_selector("table.matrix")
    expect(page.locator("table.matrix tbody tr")).to_have_count(15)
    assert page.locator("td[data-covered='false']").count() + page.locator("td[data-covered='true']").count() == 150
    shot(page, "04-coverage")


def test_english_switch(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    page.click("#lang")
    expect(page.locator("button.view-btn[data-view='list']")).to_have_text("List")
    assert "lang=en" in page.url
    assert page.evaluate("document.documentElement.lang") == "en"
    shot(page, "05-english")


def test_xss_name_renders_as_text(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/?view=list&sort=NAME.ASC")
    wait_map(page)
    cell = page.locator(".data-table tbody tr").first.locator("td").first
    expect(cell).to_have_text(XSS_NAME)
    assert page.locator(".data-table img").count() == 0
    cell.locator("button").click()
    expect(page.locator("#panel-title")).to_have_text(XSS_NAME)
    assert page.locator("#panel img").count() == 0
    shot(page, "06-xss-as-text")


def test_workflow_dispatch_with_conflict(server, staff, page: Page):
    issue = reported_issue(server, staff)
    # Opened signed out: the sign-in screen, then the enterprise of the link with its workflow forms.
    page.goto(server + f"/?ent={issue['enterprise']['id']}")
    sign_in_ui(page)
    wait_map(page)
    expect(page.locator("#sign-out")).to_be_visible()

    card = page.locator(f".issue-card[data-issue='{issue['id']}']")
    card.locator("details[data-action='dispatch'] > summary").click()
    form = card.locator("details[data-action='dispatch'] form")
    # Missing lead team: said next to the field, before anything is sent.
    form.locator("button[type=submit]").click()
    expect(form.locator("select[name=leadTeamId]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#" + form.locator("select[name=leadTeamId]").get_attribute("aria-describedby"))).to_have_text(
        "必填"
    )

    # Someone else changes the issue meanwhile: the live update says so without wiping the form,
    # and submitting gives a clear conflict message.
    expect(page.locator("#live-badge.on")).to_have_count(1, timeout=10000)
    with httpx.Client() as other:
        sign_in_client(server, other)
        gql(
            server,
            "mutation($i: AddIssueNoteInput!) { addIssueNote(input: $i) { userErrors { code message } } }",
            {"i": {"issueId": issue["id"], "note": "电话核实"}},
            client=other,
        )
    expect(page.locator("#panel .stale-notice")).to_be_visible(timeout=10000)
    form.locator("select[name=leadTeamId]").select_option(index=1)
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-status")).to_contain_text("其他人已修改此诉求")
    shot(page, "07-conflict")
    form.locator(".form-status button").click()

    card = page.locator(f".issue-card[data-issue='{issue['id']}']")
    card.locator("details[data-action='dispatch'] > summary").click()
    form = card.locator("details[data-action='dispatch'] form")
    form.locator("select[name=leadTeamId]").select_option(index=1)
    form.locator("textarea[name=instruction]").fill("请三个工作日内上门对接")
    form.locator("button[type=submit]").click()
    expect(page.locator(f".issue-card[data-issue='{issue['id']}']")).to_have_attribute(
        "data-status", "DISPATCHED", timeout=10000
    )
    shot(page, "08-dispatched")
    after = gql(
        server, "query($id: ID!) { node(id: $id) { ... on Issue { status } } }", {"id": issue["id"]}, client=staff
    )
    assert after["node"]["status"] == "DISPATCHED"


def test_live_update_reaches_the_page(server, staff, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    expect(page.locator("#live-badge.on")).to_have_count(1, timeout=10000)
    data = gql(server, "{ issues(first: 1, filter: {statuses: [IN_PROGRESS]}) { nodes { id number } } }", client=staff)
    issue = data["issues"]["nodes"][0]
    with httpx.Client() as other:
        sign_in_client(server, other)
        gql(
            server,
            "mutation($i: AddIssueNoteInput!) { addIssueNote(input: $i) { userErrors { code message } } }",
            {"i": {"issueId": issue["id"], "note": "实时更新测试"}},
            client=other,
        )
    expect(page.locator(".toast")).to_contain_text(issue["number"], timeout=10000)


def test_only_map_toggle_and_csv(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/?view=list&at=34.41100,114.19300,14")
    wait_map(page)
    lv = page.locator(".list-view")
    expect(lv).to_have_attribute("data-total", "600")
    page.check("#only-map")
    expect(lv).not_to_have_attribute("data-total", "600")
    inside = int(lv.get_attribute("data-total"))
    assert 0 < inside < 600
    assert "inmap=1" in page.url
    with page.expect_download() as dl:
        page.click("#csv")
    text = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    lines = [x for x in text.split("\r\n") if x]
    assert lines[0].startswith("名称,统一社会信用代码")
    assert len(lines) == inside + 1


def test_report_issue_shows_field_errors(server, staff, staff_page: Page):
    page = staff_page
    ent = gql(
        server, "{ enterprises(first: 1, orderBy: {field: NAME, direction: DESC}) { nodes { id } } }", client=staff
    )["enterprises"]["nodes"][0]
    page.goto(server + f"/?ent={ent['id']}")
    wait_map(page)
    expect(page.locator("#sign-out")).to_be_visible()
    box = page.locator(".report-box details[data-action='report']")
    box.locator("summary").click()
    form = box.locator("form")
    form.locator("select[name=category]").select_option("LAND")
    form.locator("select[name=source]").select_option("VISIT")
    form.locator("input[name=title]").fill("   ")
    # A blank required field is caught before anything is sent.
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if r.url.endswith("/graphql") else None)
    form.locator("button[type=submit]").click()
    title = form.locator("input[name=title]")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    err_id = title.get_attribute("aria-describedby")
    expect(page.locator(f"#{err_id}")).to_have_text("必填")
    assert not [b for b in sent if "ReportIssue" in b]
    shot(page, "09-field-error")
    title.fill("厂区道路用地审批咨询")
    form.locator("button[type=submit]").click()
    expect(page.locator(".issue-card h4", has_text="厂区道路用地审批咨询")).to_have_count(1, timeout=10000)


def test_resolution_rate_metric(server, staff_page: Page):
    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    page.select_option("#metric", "rate")
    assert "metric=rate" in page.url
    expect(page.locator(".tw-label[data-code='410223101'] .tw-value")).to_contain_text("%")
    expect(page.locator(".legend")).to_contain_text("办结率")
    expect(page.locator(".toast.error")).to_have_count(0)
