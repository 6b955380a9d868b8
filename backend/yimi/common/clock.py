"""How long an answer stays true without a write: what the response cache keeps it for.

Values derived from the request time change with no write: an issue's warning colour and
``needsEscalation`` at its own yellow, orange and deadline instants; an overdue count, a colour
filter, a queue or a summary at the next such instant of any open issue (or at midnight, for "this
week" and "this year"). At province scale some open issue changes colour every second or two in
the working day, so an answer that shows 25 issues must not be dropped each time one of the other
million does.

While a request executes (``reading``), each clock-dependent value says how long it holds:

* ``holds_until(instant)``: a value of one issue, true until ``instant``;
* ``depends_on_every_issue()``: a value over many issues or dates, true until the next colour change of
  any open issue or the next midnight (``yimi.graphql.response_cache.ClockLimit`` works that out).

``yimi.graphql.context.Context.now`` counts as the second: code that reads the request time
without saying how long its value holds is kept for the shortest time. Precise code reads
``Context.at`` and says so itself.

Values read from a process's memory rather than the database (the public figures' releases,
``yimi.stats.cache``) also say how long they may be served (``stale_after``, monotonic).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime


@dataclass
class ClockReading:
    until: datetime | None = None  # the earliest instant a value read changes by itself
    every_issue: bool = False  # a value held only until any open issue's next change (or midnight)
    stale_after: float = math.inf  # time.monotonic() past which a value read from memory may be stale


# A mutable reading, shared with the tasks a request starts (they copy the variable, not the object).
_reading: ContextVar[ClockReading | None] = ContextVar("yimi_clock_reading", default=None)


@contextmanager
def reading() -> Iterator[ClockReading]:
    """Collects how long what the block (and the tasks it starts) read holds."""
    read = ClockReading()
    token = _reading.set(read)
    try:
        yield read
    finally:
        try:
            _reading.reset(token)
        except ValueError:  # left in another context than entered: leave nothing behind here
            _reading.set(None)


def holds_until(instant: datetime | None) -> None:
    """A value read holds until ``instant`` (None: for as long as the data stays)."""
    read = _reading.get()
    if read is not None and instant is not None and (read.until is None or instant < read.until):
        read.until = instant


def stale_after(monotonic: float) -> None:
    """A value read from memory may be served until ``monotonic`` (time.monotonic())."""
    read = _reading.get()
    if read is not None and monotonic < read.stale_after:
        read.stale_after = monotonic


def depends_on_every_issue() -> None:
    read = _reading.get()
    if read is not None:
        read.every_issue = True
