"""Random sequences of workflow actions keep the invariants (hypothesis).

An admin (allowed everything, so only the state, the input and the version can refuse) runs a
random sequence of actions, some with a stale version, on a fresh issue. After every step:

- the service refused exactly the actions the state machine (workflow.TRANSITIONS) forbids, and a
  refusal changed nothing;
- the stored status is the replay of the stored events, one event per version;
- the deadline moved only with an approved extension, to the approved date;
- a closed issue has a satisfaction and a closing time; resolved and closed ones a resolution;
  only reported and returned ones are without a lead team.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.issues.workflow_helpers import assert_replays, snapshot
from yimi.accounts.models import Staff
from yimi.common.errors import ServiceError
from yimi.enterprises.models import Enterprise
from yimi.issues.models import (
    ExtensionRequest,
    ExtensionStatus,
    Issue,
    IssueCategory,
    IssuePriority,
    IssueSource,
    IssueStatus,
    Satisfaction,
)
from yimi.issues.service import IssueDraft, IssueWorkflow
from yimi.issues.workflow import TRANSITIONS, Action
from yimi.teams.models import ServiceTeam

STEPS = [
    "dispatch",
    "accept",
    "return",
    "note",
    "resolve",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
    "reopen",
    "request_extension",
    "approve",
    "reject_extension",
    "escalate",
]
ACTION = {
    "dispatch": Action.DISPATCH,
    "accept": Action.ACCEPT,
    "return": Action.RETURN,
    "note": Action.NOTE,
    "resolve": Action.RESOLVE,
    "satisfied": Action.CONFIRM,
    "basically_satisfied": Action.CONFIRM,
    "unsatisfied": Action.REJECT,
    "reopen": Action.REOPEN,
    "request_extension": Action.REQUEST_EXTENSION,
    "approve": Action.DECIDE_EXTENSION,
    "reject_extension": Action.DECIDE_EXTENSION,
    "escalate": Action.ESCALATE,
}


def legal_steps(status: IssueStatus, has_request: bool) -> list[str]:
    return [
        name
        for name in STEPS
        if status in TRANSITIONS[ACTION[name]][0] and (has_request or name not in ("approve", "reject_extension"))
    ]


async def run_step(workflow: IssueWorkflow, issue: Issue, name: str, version: int, team_id: int) -> None:
    i = issue.id
    if name == "dispatch":
        await workflow.dispatch(i, version, team_id)
    elif name == "accept":
        await workflow.accept(i, version)
    elif name == "return":
        await workflow.return_(i, version, "不属于本团职责")
    elif name == "note":
        await workflow.add_note(i, "进展备注", version)
    elif name == "resolve":
        await workflow.resolve(i, version, "已协调解决")
    elif name in ("satisfied", "basically_satisfied", "unsatisfied"):
        await workflow.confirm(i, version, Satisfaction(name), "仍未解决" if name == "unsatisfied" else "")
    elif name == "reopen":
        await workflow.reopen(i, version, "企业再次反映")
    elif name == "request_extension":
        await workflow.request_extension(i, version, issue.deadline + timedelta(days=5), "等待审批")
    elif name in ("approve", "reject_extension"):
        request = await ExtensionRequest.filter(issue_id=i).order_by("-id").first()
        assert request is not None  # the caller skips deciding before any request
        await workflow.decide_extension(request.id, version, name == "approve")
    elif name == "escalate":
        await workflow.escalate(i, version, "督办")


@pytest.fixture(scope="module")
async def world(demo):
    admin = next(s for s in await Staff.filter(is_active=True).order_by("id") if "admin" in s.roles)
    enterprise = await Enterprise.all().order_by("id").first()
    team = await ServiceTeam.all().order_by("id").first()
    return admin, enterprise.id, team.id


@hsettings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_random_action_sequences_keep_the_invariants(world, settings, data):
    admin, enterprise_id, team_id = world
    start = datetime.now(UTC)
    issue = await IssueWorkflow(admin, settings, start).report(
        enterprise_id, IssueDraft(IssueCategory.POWER, "线路跳闸", IssueSource.HOTLINE, IssuePriority.NORMAL)
    )
    expected_deadline = issue.deadline
    for n in range(1, data.draw(st.integers(0, 16), label="length") + 1):
        issue = await Issue.get(id=issue.id)
        before = await snapshot(issue.id)
        pending = await ExtensionRequest.filter(issue_id=issue.id, status=ExtensionStatus.PENDING).first()
        has_request = await ExtensionRequest.filter(issue_id=issue.id).exists()
        # Mostly an action the state allows (so that sequences get far), sometimes any action.
        legal = legal_steps(issue.status, has_request)
        choices = legal if legal and data.draw(st.integers(0, 3), label="legal?") else STEPS
        name = data.draw(st.sampled_from(choices), label="action")
        if name in ("approve", "reject_extension") and not has_request:
            continue
        stale = data.draw(st.integers(0, 7), label="stale?") == 0
        allowed = issue.status in TRANSITIONS[ACTION[name]][0]
        if name in ("approve", "reject_extension"):
            allowed = allowed and pending is not None
        if name == "request_extension":
            allowed = allowed and pending is None
        workflow = IssueWorkflow(admin, settings, start + timedelta(minutes=n))
        version = issue.version - 1 if stale else issue.version
        try:
            await run_step(workflow, issue, name, version, team_id)
        except ServiceError as error:
            assert await snapshot(issue.id) == before, (name, error.code)
            if stale:
                assert error.code == "CONFLICT"
            else:
                assert not allowed, (name, issue.status, error.code, error.message)
                if error.code == "ILLEGAL_TRANSITION":
                    assert issue.status not in TRANSITIONS[ACTION[name]][0] or name in ("approve", "reject_extension")
        else:
            assert allowed and not stale, (name, issue.status, stale)
            if name == "approve":
                expected_deadline = pending.requested_deadline

        row = await Issue.get(id=issue.id)
        await assert_replays(row.id)
        assert row.deadline == expected_deadline
        if row.status == IssueStatus.CLOSED:
            assert row.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED) and row.closed_at
        else:
            assert row.closed_at is None
        if row.status in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
            assert row.resolution and row.resolved_at
        else:
            assert row.resolved_at is None and row.resolution == ""
        assert (row.lead_team_id is None) == (row.status in (IssueStatus.REPORTED, IssueStatus.RETURNED))
