"""The typed request context: settings, the caller, the request time and the DataLoaders."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import strawberry

from yimi.accounts.read_rules import PUBLIC_ACCESS, Access
from yimi.common import clock
from yimi.enterprises.loaders import EnterpriseLoaders
from yimi.issues.loaders import IssueLoaders
from yimi.settings import Settings
from yimi.teams.loaders import TeamLoaders
from yimi.townships.loaders import TownshipLoaders


class Loaders:
    """Created per request, so that batches and caches never outlive one request."""

    def __init__(self, now: datetime, access: Access):
        self.townships = TownshipLoaders(now)
        self.enterprises = EnterpriseLoaders(access)
        self.teams = TeamLoaders()
        self.issues = IssueLoaders(access)


@dataclass
class Context:
    settings: Settings
    request: Any = None
    response: Any = None
    user: Any = None  # the signed-in yimi.accounts.models.Staff, or None
    token: Any = None  # the partner's yimi.accounts.models.PartnerToken (Authorization: Bearer), or None
    # What the caller may read (row and field rules), from user or token; the public's by default.
    access: Access = PUBLIC_ACCESS
    rate_limit: Any = None  # yimi.graphql.limits.RateLimitStatus once the request is metered
    event_cost: int = 1  # what each event of a subscription costs (yimi.graphql.limits)
    broker: Any = None  # yimi.live.broker.Broker for live updates
    record: Any = None  # yimi.ops.requests.RequestRecord: the request's log line (HTTP only)
    # One instant per request, so that every warning colour in a response agrees. Read it as ``now``
    # unless the value read says itself how long it holds (yimi.common.clock).
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The data version read as the HTTP request began (yimi.common.data_version); None on a socket.
    data_version: int | None = None
    loaders: Loaders = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.loaders is None:
            self.loaders = Loaders(self.at, self.access)

    @property
    def now(self) -> datetime:
        """The request time, for a value that holds only until any open issue changes colour (or midnight)."""
        clock.depends_on_every_issue()
        return self.at

    @now.setter
    def now(self, instant: datetime) -> None:
        self.at = instant


Info = strawberry.Info[Context, None]


class Callers:
    """Who a session cookie or a token is, and what they may read, as of a data version.

    The staff row, the token row and everything ``Access`` is built from (roles, teams, township
    scopes, token scopes) are tables whose every write moves the data version, so a caller looked
    up at one version is still the same caller while the version stays: a request then costs the
    one query of the version instead of two to four. A sign-out, a new password, a disabled account
    or a revoked token writes, so it is seen at once. What depends on the clock (a token expiring)
    is checked on every request. Bounded, least recently used first out.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()

    def get(self, key: Hashable, version: int) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, version: int, value: Any) -> None:
        self._entries[key] = (version, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
