"""Shared fixtures: one migrated database with the demo county, the app in-process.

The database is SQLite, or PostgreSQL when YIMI_TEST_DATABASE=postgres (tests/databases.py);
`make test-python` runs the suite on both. A test that holds only on one of them says so with
``@pytest.mark.sqlite_only("why")`` or ``@pytest.mark.postgres_only("why")``.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

import httpx
import pytest

from tests.databases import (
    BACKEND,
    BACKENDS,
    ON_POSTGRES,
    PostgresUnavailable,
    admin_connection,
    run_sync,
    scratch_database,
)
from yimi import db
from yimi.app import create_app
from yimi.settings import Settings

ONLY_MARKERS = {"sqlite_only": "sqlite", "postgres_only": "postgres"}


def pytest_configure(config):
    if BACKEND not in BACKENDS:
        raise pytest.UsageError(f"YIMI_TEST_DATABASE={BACKEND!r}: use one of {', '.join(BACKENDS)}")
    for marker, backend in ONLY_MARKERS.items():
        config.addinivalue_line("markers", f"{marker}(reason): the test holds only on {backend}; it says why")


def pytest_report_header(config):
    return f"database: {BACKEND} (YIMI_TEST_DATABASE)"


def pytest_sessionstart(session):
    if ON_POSTGRES:
        try:
            run_sync(_ping_postgres())
        except PostgresUnavailable as error:
            # A failed run, not skipped tests: a missing server must not pass for a green suite.
            pytest.exit(f"YIMI_TEST_DATABASE=postgres: {error}", returncode=pytest.ExitCode.USAGE_ERROR)


async def _ping_postgres() -> None:
    await (await admin_connection()).close()


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        # The PostgreSQL pass runs the database tests only: the others (pure functions, --help, the
        # browser tests on servers of their own) would learn nothing new from a second run.
        no_database = [item for item in items if not uses_database(item)]
        if no_database:
            config.hook.pytest_deselected(items=no_database)
            items[:] = [item for item in items if uses_database(item)]
            config.stash[_NO_DATABASE] = len(no_database)
    for item in items:
        for marker, backend in ONLY_MARKERS.items():
            mark = item.get_closest_marker(marker)
            if mark is None:
                continue
            reason = mark.args[0] if mark.args else mark.kwargs.get("reason")
            if not reason:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{marker} needs a reason")
            if backend != BACKEND:
                # It ran (or runs) in the other pass of `make test-python`.
                item.add_marker(pytest.mark.skip(reason=f"{backend} only: {reason}"))


def pytest_terminal_summary(terminalreporter, config):
    if config.stash.get(_NO_DATABASE, 0):
        terminalreporter.write_line(
            f"{config.stash[_NO_DATABASE]} tests that use no database were left out: they run in the SQLite pass"
        )


_NO_DATABASE = pytest.StashKey[int]()


def uses_database(item: pytest.Item) -> bool:
    return "database_backend" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session")
def database_backend() -> str:
    """The run's backend, sqlite or postgres. Every fixture that gives a test a database asks for
    it (directly or not): that is how a test says it uses one."""
    return BACKEND


@pytest.fixture(autouse=True)
def _no_database_unasked(request):
    """A test that sends SQL without asking for a database fixture (e.g. ``demo``) would pass only
    after some other test opened the database, and never run in the PostgreSQL pass: it fails."""
    if uses_database(request.node):
        request.getfixturevalue("_partner_calls_written")
        yield
        return
    with count_sql() as statements:
        yield
    assert not statements, f"SQL sent without a database fixture (ask for `demo`): {statements[0][:200]}"


@pytest.fixture
async def _partner_calls_written():
    """The partner call log writes up to a second after a call: written before the test ends, not
    inside whichever test runs next (which may use no database)."""
    from yimi.accounts.tokens import call_log

    yield
    await call_log.flush()


@pytest.fixture(scope="session")
def database_url(database_backend, tmp_path_factory):
    """The session database: a SQLite file, or a fresh PostgreSQL database dropped at the end."""
    with scratch_database(tmp_path_factory.mktemp("db"), "session") as url:
        yield url


@pytest.fixture
def scratch_database_url(database_backend, tmp_path):
    """A database of the test's own on the run's backend, empty (not even migrated): a SQLite path
    that does not exist yet, or a new PostgreSQL database, dropped after the test."""
    with scratch_database(tmp_path, "scratch") as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<!doctype html><title>Yimi test shell</title>", encoding="utf-8")
    # The whole suite runs as one anonymous caller against this app: give it room.
    return Settings(
        database_url=database_url,
        frontend_dist=dist,
        rate_limit_points=100_000,
        max_query_cost=5_000,
        sign_in_max_failures_per_ip=1_000,
    )


@pytest.fixture(scope="session")
async def demo(settings):
    """The demo county in a freshly migrated database (migrations, never generate_schemas)."""
    from yimi.demo.loader import load_demo

    await db.migrate(settings)
    await db.init_db(settings)
    summary = await load_demo(settings, progress=False)
    yield summary
    await db.close_db()


@pytest.fixture(scope="session")
def app(settings, demo):
    return create_app(settings, manage_db=False)


@pytest.fixture
def uncached(app, monkeypatch):
    """Turns the response cache off for one test: for tests that count what executing a query costs."""
    monkeypatch.setattr(app.state.response_cache, "max_entries", 0)


@pytest.fixture(scope="session")
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


TEST_PASSWORD = "correct horse battery"


async def signed_in(app, staff) -> GraphQLClient:
    """A GraphQLClient with its own cookie session as ``staff`` (given the test password if it has none)."""
    from yimi.accounts.service import set_password

    if staff.password_hash is None:
        await set_password(staff, TEST_PASSWORD)
    client = GraphQLClient(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver"))
    result = await client(
        "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } userErrors { message } } }",
        {"u": staff.username, "p": TEST_PASSWORD},
    )
    assert result["signIn"]["staff"], result
    client.staff = staff
    return client


async def first_with_role(role: str):
    from yimi.accounts.models import Staff

    return next(s for s in await Staff.filter(is_active=True).order_by("id") if role in s.roles)


@pytest.fixture
async def sign_in(app):
    """``await sign_in(role)`` gives a GraphQLClient with its own cookie session as a demo user of that role."""
    from yimi.accounts.models import Staff

    clients = []

    async def make(role: str, username: str | None = None) -> GraphQLClient:
        staff = await Staff.get(username=username) if username else await first_with_role(role)
        client = await signed_in(app, staff)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.http.aclose()


# What the web app sends with every request (yimi.accounts.csrf): mutations need it.
CSRF_HEADERS = {"X-Yimi-CSRF": "1"}


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def raw(self, query: str, variables: dict | None = None) -> dict:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=CSRF_HEADERS
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def __call__(self, query: str, variables: dict | None = None) -> dict:
        """The data of a query that must succeed."""
        body = await self.raw(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict | None = None) -> dict:
        """The first error of a query that must fail."""
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=CSRF_HEADERS
        )
        assert response.status_code in (200, 400), response.text
        body = response.json()
        assert body.get("errors"), body
        return body["errors"][0]


@pytest.fixture(scope="session")
async def gql(app, demo) -> GraphQLClient:
    """An administrator's session: reads everything (the role tests use ``sign_in`` and ``anon``)."""
    client = await signed_in(app, await first_with_role("admin"))
    yield client
    await client.http.aclose()


@pytest.fixture(scope="session")
async def anon(client) -> GraphQLClient:
    """Nobody signed in: the public."""
    return GraphQLClient(client)


_PG_PLACEHOLDER = re.compile(r"\$\d+\b")


class _SQLCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            # PostgreSQL's placeholders ($1, $2, …) read as SQLite's: tests match one text on both.
            self.statements.append(_PG_PLACEHOLDER.sub("?", text))


@contextmanager
def count_sql():
    """Collects the SQL statements Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    counter = _SQLCounter()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter.statements
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
