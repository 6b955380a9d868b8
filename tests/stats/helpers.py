"""Shared by the statistics tests: the full public query, the demo's years, and a write that moves the figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.issues.workflow_helpers import gid
from yimi.enterprises.models import Enterprise
from yimi.settings import Settings
from yimi.stats.models import StatisticsRelease
from yimi.stats.releases import publish

C = "{ value withheld low high reason }"
ROW = f"key label labelZh labelEn reported {C} open {C} resolved {C} overdue {C} onTimeRate satisfactionRate"
FULL = f"""query($year: Int) {{ statistics(year: $year) {{
  year threshold releasedAt nextReleaseAt total {{ {ROW} }} byTownship {{ {ROW} }} byCategory {{ {ROW} }} byMonth {{ {ROW} }}
  medianWorkingDaysToResolve enterprisesServed {C} visits {C}
}} }}"""

REPORT = """mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  issue { id } userErrors { field code message } } }"""


async def release_anew(settings: Settings) -> list[int]:
    """Forgets every release and makes a first one of the data as it is now (other tests write issues):
    a first release is the live figures at its cut-off, with no earlier release to be audited against."""
    await StatisticsRelease.all().delete()
    return await publish(datetime.now(UTC), settings)


async def release(settings: Settings) -> list[int]:
    """A release now (``yimi stats publish``): the years released."""
    return await publish(datetime.now(UTC), settings)


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
