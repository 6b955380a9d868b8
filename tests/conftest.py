"""Shared fixtures: one migrated SQLite database with the demo county, the app in-process."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import httpx
import pytest

from yimi import db
from yimi.app import create_app
from yimi.settings import Settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    path = tmp_path_factory.mktemp("db") / "yimi-test.sqlite3"
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<!doctype html><title>Yimi test shell</title>", encoding="utf-8")
    # The whole suite runs as one anonymous caller against this app: give it room.
    return Settings(
        database_url=f"sqlite://{path}",
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


class _SQLCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(text)


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
