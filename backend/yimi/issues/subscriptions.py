"""Live updates: `issueChanged(filter)` over graphql-transport-ws.

The issues service publishes ``{"issueId", "action", "status", "version"}`` on the broker's
``issues`` channel after each committed change. Each subscriber checks the changed issue against
its filter in the database (the same query as the `issues` field, so the same semantics) and
loads the row afresh, so that every process delivers the committed state.

Subscribers need the issues grant, and get only the changes of issues their row rule lets them
see (yimi.accounts.read_rules), checked in the same query. Before each event is delivered, one
query checks that the caller is still there: no event reaches a revoked or expired token, a
disabled account or a session ended by a sign-out or a new password, whichever process serves the
subscription. Their roles, teams and scopes are looked up again every ACCESS_RECHECK_SECONDS.

When changes may have been missed (the broker lost Redis for a moment, or a publish failed), a
subscriber that asked for ``resync: true`` gets an event with action ``resync`` and no issue, and
its subscription goes on; any other subscriber's subscription ends with LIVE_UPDATES_INTERRUPTED,
which clients written before resync events already handle (subscribe again and refetch).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from graphql import GraphQLError
from yimi.accounts.read_rules import Access, Grant, refreshed, still_allowed
from yimi.graphql.context import Info, Loaders
from yimi.graphql.limits import charge_event
from yimi.issues.filters import IssueCriteria, issue_queryset, matched, stable_part
from yimi.issues.types import Issue, IssueFilter
from yimi.live.broker import ISSUES_CHANNEL, BrokerUnavailable, is_resync
from yimi.ops.metrics import LIVE_SUBSCRIBERS

log = logging.getLogger(__name__)
# How often a subscription rebuilds its caller's access (new roles, teams, scopes); whether the
# caller is still there at all is checked at every event.
ACCESS_RECHECK_SECONDS = 60.0
RESYNC_ACTION = "resync"


@strawberry.type(description="A committed change of an issue, pushed to subscribers.")
class IssueChange:
    action: str = strawberry.field(
        description="What happened: report, dispatch, accept, resolve, ...; `resync` when changes may have been "
        "missed (only with `issueChanged(resync: true)`): refetch what you show."
    )
    version: int | None = strawberry.field(
        description="The issue's version after this change; null for `resync` (only with `resync: true`)."
    )
    issue: Issue | None = strawberry.field(
        description="The issue as stored when the change is delivered (its version may be newer than `version`); "
        "null for `resync` (only with `resync: true`)."
    )
    matches_filter: bool = strawberry.field(
        default=True,
        description="False when this change took the issue out of the subscription's filter: drop it from "
        "what you show.",
    )


def parse_message(message: Mapping[str, Any]) -> tuple[int, str, int] | None:
    """``(issue id, action, version)`` of a broker message, or None when it is ill-formed."""
    try:
        issue_id, action, version = message["issueId"], message["action"], message["version"]
    except (KeyError, TypeError):
        return None
    if isinstance(issue_id, bool) or isinstance(version, bool):
        return None
    try:
        issue_id, version = int(issue_id), int(version)
    except (TypeError, ValueError):
        return None
    if not isinstance(action, str) or not action:
        return None
    return issue_id, action, version


async def issue_change(
    message: Mapping[str, Any], criteria: IssueCriteria, now: datetime, access: Access
) -> IssueChange | None:
    """The change to push for ``message``, or None when the issue does not match the filter or
    is not one the subscriber may see."""
    parsed = parse_message(message)
    if parsed is None:
        log.warning("ignored an ill-formed issue change: %r", message)
        return None
    issue_id, action, version = parsed
    # One query both filters and loads: the filter's semantics are those of the `issues` query.
    row = await issue_queryset(criteria, now, access).filter(id=issue_id).first()
    if row is not None:
        return IssueChange(action=action, version=version, issue=Issue.from_model(row))
    # Not (or no longer) matching: did it match before this change? Then the subscriber hears that
    # it left. What a change cannot alter is checked on the row, the rest on the state before.
    before = message.get("before")
    if not isinstance(before, dict) or not matched(criteria, before, now):
        return None
    row = await issue_queryset(stable_part(criteria), now, access).filter(id=issue_id).first()
    if row is None:
        return None
    return IssueChange(action=action, version=version, issue=Issue.from_model(row), matches_filter=False)


@strawberry.type
class IssueSubscription:
    @strawberry.subscription(
        description=(
            "Changes of the issues matching the filter, as they are committed, checked against each "
            "issue's state after the change; a change that takes an issue out of the filter comes "
            "with matchesFilter false. When changes may have been missed (a broker outage), the "
            "subscription ends with the error LIVE_UPDATES_INTERRUPTED, or, with `resync: true`, "
            "goes on after an event with action `resync` and no issue: refetch what you show."
        )
    )
    async def issue_changed(
        self,
        info: Info,
        filter: IssueFilter | None = None,
        resync: Annotated[
            bool,
            strawberry.argument(
                description="Deliver an event with action `resync` (issue and version null) when changes may "
                "have been missed, instead of ending the subscription with LIVE_UPDATES_INTERRUPTED."
            ),
        ] = False,
    ) -> AsyncGenerator[IssueChange, None]:
        # A bad filter, or a caller who may not read issues, is refused before anything is subscribed.
        info.context.access.require(Grant.ISSUES)
        criteria = filter.to_criteria(info.context.settings.timezone) if filter else IssueCriteria()
        return _issue_changes(info, criteria, resync)


async def _issue_changes(info: Info, criteria: IssueCriteria, resync: bool) -> AsyncGenerator[IssueChange, None]:
    context = info.context
    checked_at = time.monotonic()
    LIVE_SUBSCRIBERS.inc()
    try:
        # aclosing: when the client goes away, the broker subscription (for Redis, a
        # connection) is released now, not whenever the garbage collector gets to it.
        async with aclosing(context.broker.subscribe(ISSUES_CHANNEL)) as messages:
            async for message in messages:
                if is_resync(message):
                    if not resync:
                        raise LiveUpdatesInterrupted()
                    # Not charged to the budget: the gap is the server's doing, not the subscriber's.
                    yield IssueChange(action=RESYNC_ACTION, version=None, issue=None)
                    continue
                now = datetime.now(UTC)
                if time.monotonic() - checked_at >= ACCESS_RECHECK_SECONDS:
                    # The connection may outlive the caller's roles: look again now and then.
                    access = await refreshed(context.access, now)
                    if access is None:
                        raise CallerGone()
                    context.access, checked_at = access, time.monotonic()
                change = await issue_change(message, criteria, now, context.access)
                if change is None:
                    continue
                if not await still_allowed(context.access, now):
                    raise CallerGone()
                # The context lives as long as the WebSocket connection: give the fields of this
                # event a fresh instant (warning colours) and fresh loaders (no cached rows).
                context.now = now
                context.loaders = Loaders(now, context.access)
                await charge_event(context, "issueChanged")
                yield change
    except GraphQLError:
        raise  # the budget is spent, the caller is gone, or a gap: the subscriber is told so
    except BrokerUnavailable as error:
        # One line, no traceback: the broker has logged the outage already.
        log.warning("issueChanged subscription ended: %s", error)
        raise LiveUpdatesInterrupted() from None
    except Exception:
        # The database failing, say: the details stay in the log; the client is told to subscribe
        # again (and to refetch what it shows).
        log.exception("issueChanged subscription ended by an error")
        raise LiveUpdatesInterrupted() from None
    finally:
        # Every way out: the client left (GeneratorExit, cancellation), an error, or the server closing.
        LIVE_SUBSCRIBERS.dec()


class CallerGone(GraphQLError):
    def __init__(self):
        super().__init__(
            "Your session ended or your token is no longer valid; sign in (or use a valid token) and subscribe again.",
            extensions={"code": "UNAUTHENTICATED"},
        )


class LiveUpdatesInterrupted(GraphQLError):
    def __init__(self):
        super().__init__(
            "Live updates were interrupted; subscribe again and refetch.",
            extensions={"code": "LIVE_UPDATES_INTERRUPTED"},
        )
