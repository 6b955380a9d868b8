"""The changeable criteria checked on the state before a change (live updates: leaving a filter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yimi.issues.filters import IssueCriteria, matched
from yimi.issues.models import IssueStatus
from yimi.issues.warning import WarningColor

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def state(status="dispatched", lead=3, teams=(3, 5), due_in=timedelta(days=2), escalated=None) -> dict:
    deadline = NOW + due_in
    return {
        "status": status,
        "leadTeamId": lead,
        "teamIds": list(teams),
        "deadline": deadline.isoformat(),
        "yellowAt": (deadline - timedelta(days=4)).isoformat(),
        "orangeAt": (deadline - timedelta(days=3)).isoformat(),
        "escalatedAt": escalated,
    }


def test_each_changeable_criterion_is_checked_on_the_state():
    assert matched(IssueCriteria(statuses=[IssueStatus.DISPATCHED]), state(), NOW)
    assert not matched(IssueCriteria(statuses=[IssueStatus.REPORTED]), state(), NOW)
    assert matched(IssueCriteria(team_id=5), state(), NOW)  # a co-handler's live order
    assert not matched(IssueCriteria(team_id=9), state(), NOW)
    assert matched(IssueCriteria(warning_colors=[WarningColor.ORANGE]), state(), NOW)
    overdue = state(due_in=-timedelta(hours=1))
    assert matched(IssueCriteria(overdue=True), overdue, NOW) and not matched(IssueCriteria(overdue=True), state(), NOW)
    assert matched(IssueCriteria(needs_escalation=True), overdue, NOW)
    assert not matched(IssueCriteria(needs_escalation=True), {**overdue, "escalatedAt": NOW.isoformat()}, NOW)
    # Criteria a change cannot alter are not this function's business.
    assert matched(IssueCriteria(categories=["land"], township_codes=["410223101"]), state(), NOW)


def test_a_malformed_state_never_matches():
    assert not matched(IssueCriteria(), {"status": "nonsense"}, NOW)
    assert not matched(IssueCriteria(), {}, NOW)
