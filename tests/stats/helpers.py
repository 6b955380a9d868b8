"""Shared by the statistics tests: the full public query, the demo's years, and a write that moves the figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.issues.workflow_helpers import gid
from yimi.enterprises.models import Enterprise

C = "{ value withheld low high reason }"
ROW = f"key label reported {C} open {C} resolved {C} overdue {C} onTimeRate satisfactionRate"
FULL = f"""query($year: Int) {{ statistics(year: $year) {{
  year threshold total {{ {ROW} }} byTownship {{ {ROW} }} byCategory {{ {ROW} }} byMonth {{ {ROW} }}
  medianWorkingDaysToResolve enterprisesServed {C} visits {C}
}} }}"""

REPORT = """mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  issue { id } userErrors { field code message } } }"""


def demo_years() -> list[int]:
    return list(range(2020, datetime.now(UTC).year + 1))


async def report_issue(gql, title: str) -> None:
    """Reports a POWER issue of the newest enterprise (a hotline call), titled ``title`` and a random tail."""
    enterprise = await Enterprise.all().order_by("-id").first()
    assert enterprise is not None
    report = {
        "enterpriseId": gid("Enterprise", enterprise.id),
        "category": "POWER",
        "title": f"{title} {uuid.uuid4().hex[:6]}",
        "source": "HOTLINE",
    }
    result = await gql(REPORT, {"input": report})
    assert result["reportIssue"]["issue"], result
