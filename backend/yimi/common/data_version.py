"""The data version: a number the database moves with every write to a table the API reads.

Triggers (migration 0010) bump the one row of ``data_version`` in the transaction of each write —
whichever code path makes it: the web app, the API, the CLI, an import, the demo loader, plain SQL —
so the new version becomes visible at the commit, together with the data it stands for, to every
server process. A cache of answers keys them on it::

    version = await data_version.current()   # first, before reading what the answer is made of
    answer = cache.get((key, version)) or compute_and_store((key, version))

Reading the version before the data is what keeps this sound: a write committed in between makes the
stored answer newer than its key says, never older, and the next reader sees the new version.

Not covered by the version (each cache must handle them itself):
* time: an answer that depends on the clock (warning colours, overdue counts, "this year") changes
  without any write; see ``yimi.graphql.response_cache`` for when such answers expire;
* a database replaced under a running server (``yimi restore --force``) can bring an old version
  number back: keep entries at most ``MAX_AGE_SECONDS``.
"""

from __future__ import annotations

import asyncio

from tortoise import connections

# How long a cached answer may be kept at most, whatever the version says (see above).
MAX_AGE_SECONDS = 300
# How many versions back the log of the enterprises each write touched (``enterprise_change``) reaches:
# its triggers (migration 0015) delete older entries.
CHANGES_KEPT = 20_000

QUERY = "SELECT version FROM data_version WHERE id = 1"


async def current() -> int:
    """The data version as last committed: one primary-key query."""
    rows = await connections.get("default").execute_query_dict(QUERY)
    return int(rows[0]["version"]) if rows else 0


class VersionReads:
    """The version for the requests of one server process, read once for all those that ask together.

    Each request starts by reading the version (``yimi.app``): one round trip to the database, the largest
    cost of an answer served from the cache. A request that asks while a reading is under way waits for the
    next one, which starts when that one ends, and shares it with everyone who asked meanwhile: every
    request still gets a version read after it arrived (a write it saw committed is in it), and under load
    one query serves many requests. Not inside a transaction: it reads on a connection of its own.
    """

    # A reading that takes longer fails its requests (unavailable, as a database that does not answer) instead
    # of holding every request of the process behind one stuck connection.
    TIMEOUT_SECONDS = 10.0

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.Future[int] | None = None  # the reading that starts when the one under way ends
        self._reader: asyncio.Task[None] | None = None

    async def current(self) -> int:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (an app served by several, in tests): start afresh
            self._loop, self._next, self._reader = loop, None, None
        if self._next is None:
            self._next = loop.create_future()
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read())
        return await asyncio.shield(self._next)  # one request going away does not cancel the others' reading

    async def _read(self) -> None:
        waiting = None
        try:
            while (waiting := self._next) is not None:
                self._next = None
                try:
                    async with asyncio.timeout(self.TIMEOUT_SECONDS):
                        version = await current()
                except Exception as error:  # each waiting request gets it (yimi.app answers: unavailable)
                    _fail(waiting, error)
                else:
                    waiting.set_result(version)
        except BaseException as error:  # the reader itself cancelled (the app stopping): nobody waits forever
            for future in (waiting, self._next):
                if future is not None:
                    _fail(future, ConnectionError(f"the data version was not read: {error!r}"))
            self._next = None
            raise


def _fail(future: asyncio.Future[int], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
        future.exception()  # retrieved, here: a request that went away leaves no warning
