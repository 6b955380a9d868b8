"""The issue state machine: which action moves an issue from which status to which."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from yimi.issues.models import OPEN_STATUSES, IssueStatus

S = IssueStatus


class Action(str, Enum):
    REPORT = "report"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    NOTE = "note"
    RESOLVE = "resolve"
    CONFIRM = "confirm"  # satisfied or basically satisfied: closed (销号)
    REJECT = "reject"  # the enterprise is not satisfied: reopened
    REOPEN = "reopen"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    ESCALATE = "escalate"


OPEN = frozenset(OPEN_STATUSES)
ANY = frozenset(S)

# action -> (statuses it may start from, status it leads to; None keeps the status)
TRANSITIONS: dict[Action, tuple[frozenset[IssueStatus | None], IssueStatus | None]] = {
    Action.REPORT: (frozenset({None}), S.REPORTED),
    Action.DISPATCH: (frozenset({S.REPORTED, S.RETURNED}), S.DISPATCHED),
    Action.ACCEPT: (frozenset({S.DISPATCHED}), S.IN_PROGRESS),
    Action.RETURN: (frozenset({S.DISPATCHED}), S.RETURNED),
    Action.NOTE: (ANY, None),
    Action.RESOLVE: (frozenset({S.IN_PROGRESS, S.REOPENED}), S.RESOLVED),
    Action.CONFIRM: (frozenset({S.RESOLVED}), S.CLOSED),
    Action.REJECT: (frozenset({S.RESOLVED}), S.REOPENED),
    Action.REOPEN: (frozenset({S.RESOLVED, S.CLOSED}), S.REOPENED),
    Action.REQUEST_EXTENSION: (frozenset({S.DISPATCHED, S.IN_PROGRESS, S.REOPENED}), None),
    Action.DECIDE_EXTENSION: (frozenset({S.DISPATCHED, S.IN_PROGRESS, S.REOPENED}), None),
    Action.ESCALATE: (OPEN, None),
}


class IllegalTransition(Exception):
    def __init__(self, action: Action, status: IssueStatus | None):
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[action][0] if s)) or "a new issue"
        super().__init__(
            f"cannot {action.value} an issue that is {status.value if status else 'new'}; "
            f"{action.value} applies to: {allowed}"
        )
        self.action = action
        self.status = status


def next_status(action: Action, status: IssueStatus | None) -> IssueStatus | None:
    """The status after ``action``; raises IllegalTransition when it does not apply."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise IllegalTransition(action, status)
    return target if target is not None else status


def replay(events: Iterable[tuple[str, IssueStatus | None, IssueStatus | None]]) -> IssueStatus | None:
    """Replays (action, from, to) events; returns the final status or raises on an inconsistency."""
    status: IssueStatus | None = None
    for action, from_status, to_status in events:
        if from_status != status:
            raise ValueError(f"event {action} starts from {from_status}, but the issue was {status}")
        expected = next_status(Action(action), status)
        if to_status != expected:
            raise ValueError(f"event {action} from {status} should lead to {expected}, not {to_status}")
        status = to_status
    return status
