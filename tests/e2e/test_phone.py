"""The dashboard on a 360 px wide phone (real Chromium, touch): the issue list, an enterprise's page,
recording a visit (走访) and a workflow form fit the screen, with controls big enough to tap.
Screenshots go to test-artifacts/ (30-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import reported_issue, shot, sign_in_session, wait_map

WIDTH = 360

# Visible elements sticking out of the screen, outside the parts that scroll sideways on purpose
# (the map's panes, the filter bar's row of controls).
OVERFLOW = """() => [...document.querySelectorAll('body *')].filter(e => {
    if (e.closest('.leaflet-container, .filter-bar, .skip-link, .sr-only, thead')) return false;
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) return false;
    return r.right > innerWidth + 1 || r.left < -1;
}).map(e => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)})`).slice(0, 8)"""

# Tappable controls in `root` smaller than 44 px (WCAG 2.5.5's target size); a checkbox is tapped
# through its label.
SMALL_TARGETS = """(root) => [...document.querySelectorAll(root + ' :is(button, select, input, textarea, summary)')]
    .filter(e => {
        const target = e.type === 'checkbox' ? (e.closest('label') ?? e) : e;
        const r = target.getBoundingClientRect();
        return r.width && r.height && r.height < 44;
    })
    .map(e => `${e.tagName.toLowerCase()}[name=${e.getAttribute('name')}] ${Math.round(e.getBoundingClientRect().height)}`)"""


@pytest.fixture
def phone(server, browser):
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_session(page, server)
    yield page
    context.close()
    assert not errors, errors


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert page.evaluate(OVERFLOW) == []


def test_issue_list_fits_a_phone(server, phone: Page):
    page = phone
    page.goto(server + "/?view=list&tab=issues")
    wait_map(page)
    rows = page.locator(".data-table tbody tr")
    expect(rows.first).to_be_visible()
    fits(page)
    # Each row is a card: the column's name before each value.
    cell = rows.first.locator("td").nth(3)
    assert page.evaluate("(td) => getComputedStyle(td, '::before').content", cell.element_handle()) == '"诉求类别"'
    assert page.evaluate(SMALL_TARGETS, ".list-head") == []
    shot(page, "30-phone-issue-list")


def test_enterprise_page_visit_and_workflow_forms_fit_a_phone(server, staff, phone: Page):
    page = phone
    issue = reported_issue(server, staff)
    page.goto(server + f"/?ent={issue['enterprise']['id']}")
    wait_map(page)
    panel = page.locator("#panel")
    expect(panel.locator(".issue-card").first).to_be_visible()
    fits(page)
    shot(page, "31-phone-enterprise")

    # A workflow form: the dispatch form of a reported issue.
    card = panel.locator(f".issue-card[data-issue='{issue['id']}']")
    card.locator("details[data-action='dispatch'] > summary").click()
    form = card.locator("details[data-action='dispatch'] form")
    expect(form.locator("select[name=leadTeamId]")).to_be_visible()
    form.scroll_into_view_if_needed()
    fits(page)
    assert (
        page.evaluate(SMALL_TARGETS, f".issue-card[data-issue='{issue['id']}'] details[data-action='dispatch']") == []
    )
    shot(page, "32-phone-dispatch-form")

    # Recording a visit (走访) with an issue raised during it, on the phone.
    visit = panel.locator(".report-box details[data-action='visit']")
    visit.locator("summary").click()
    vform = visit.locator("form")
    expect(vform.locator("input[name=visitedOn]")).not_to_have_value("")
    vform.locator("select[name=teamId]").select_option(index=1)
    vform.locator("textarea[name=notes]").fill("走访了解用工情况")
    vform.locator("select[name=issueCategory]").select_option("LABOUR")
    vform.locator("input[name=issueTitle]").fill("春节后招工困难")
    vform.scroll_into_view_if_needed()
    fits(page)
    assert page.evaluate(SMALL_TARGETS, ".report-box details[data-action='visit']") == []
    shot(page, "33-phone-visit-form")
    vform.locator("button[type=submit]").tap()
    raised = panel.locator(".issue-card", has_text="春节后招工困难")
    expect(raised).to_have_count(1, timeout=10000)
    expect(raised).to_contain_text("已登记")
    fits(page)
    shot(page, "34-phone-visit-recorded")
