"""Schemathesis fuzzing of /graphql, run in its own process against its own database.

Run from the repository root as a module (a path would let tests/graphql shadow ``graphql``):

    python -m tests.graphql.fuzz_run [--examples N] [--seed S]

It migrates a fresh SQLite database in a temporary directory, loads the demo county, gives a
dispatcher a password, creates a partner token, then sends schemathesis-generated queries and
mutations (one strategy per root field of schema.graphql) to the in-process ASGI app as three
callers: anonymous, a signed-in dispatcher (session cookie + CSRF header) and a partner (bearer
token). Each response goes through ``CHECKS``; every problem is printed as one ``FAIL`` line
and the exit code is 1 if there was any. The last line is ``FUZZ SUMMARY {json}``.

Mutations change the data, which is why this never touches the test session's shared database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings as hyp_settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schema.graphql"
PASSWORD = "fuzz horse battery staple"
CSRF_HEADERS = {"X-Yimi-CSRF": "1"}
SESSION_OPERATIONS = {"Mutation.signIn", "Mutation.signOut"}

# What must never appear in an error message a client sees.
INTERNAL_MARKERS = ("Traceback", 'File "/', '.py"', "sqlite", "asyncpg", "tortoise")


def _json_value(depth: int = 2) -> st.SearchStrategy:
    scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=20)
    if depth <= 0:
        return scalars
    inner = _json_value(depth - 1)
    return scalars | st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


def _to_node(value):
    from graphql import language as gl

    if value is None:
        return gl.NullValueNode()
    if isinstance(value, bool):
        return gl.BooleanValueNode(value=value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_to_node(v) for v in value])
    return nodes.Object([gl.ObjectFieldNode(name=gl.NameNode(value=k), value=_to_node(v)) for k, v in value.items()])


# Date and DateTime have schemathesis defaults; JSON does not.
schemathesis.graphql.scalar("JSON", _json_value().map(_to_node))


# --- checks -------------------------------------------------------------------------------------
# Each check gets (caller, label, query, response) and returns a problem or None. Leak checks
# (per-role field policy) are to be added to this list once that policy exists.


@dataclass
class Exchange:
    caller: str
    label: str
    query: str
    status: int
    text: str
    body: dict | None = field(default=None)


def no_server_error(x: Exchange) -> str | None:
    if x.status >= 500:
        return f"status {x.status}"
    return None


def graphql_shaped(x: Exchange) -> str | None:
    if x.body is None:
        return f"status {x.status}, not JSON: {x.text[:200]!r}"
    if not isinstance(x.body, dict) or not ("data" in x.body or "errors" in x.body):
        return f"status {x.status}, JSON without data or errors: {x.text[:200]!r}"
    return None


def no_internal_detail(x: Exchange) -> str | None:
    if not isinstance(x.body, dict):
        return None
    for error in x.body.get("errors") or []:
        message = json.dumps(error, ensure_ascii=False)
        for marker in INTERNAL_MARKERS:
            if marker.lower() in message.lower():
                return f"error shows internal detail ({marker!r}): {message[:300]}"
        if error.get("message") == "Unexpected error." and not (error.get("extensions") or {}).get("errorId"):
            return f"masked error without errorId: {message[:300]}"
    return None


def no_unexpected_error(x: Exchange) -> str | None:
    """A masked "Unexpected error." is the GraphQL form of a 500: an exception nobody handled."""
    if not isinstance(x.body, dict):
        return None
    for error in x.body.get("errors") or []:
        if error.get("message") == "Unexpected error.":
            return f"unhandled exception (errorId {(error.get('extensions') or {}).get('errorId')}) at {error.get('path')}"
    return None


CHECKS: list[Callable[[Exchange], str | None]] = [no_server_error, graphql_shaped, no_internal_detail, no_unexpected_error]


# --- generation ---------------------------------------------------------------------------------


async def demo_values() -> tuple[list[str], list[str]]:
    """Global IDs of a few demo objects of each node type, and real codes, for the generator to mix in.

    Random IDs and codes stop at the first lookup; real ones let mutations and filters get
    further into the code (a real issue to dispatch, a township that exists, ...).
    """
    from yimi.accounts.models import Department, Staff
    from yimi.common.ids import to_global_id
    from yimi.enterprises.models import Enterprise, Visit
    from yimi.issues.models import ExtensionRequest, Issue
    from yimi.teams.models import ServiceTeam
    from yimi.townships.models import Township

    ids: list[str] = []
    for model in (Department, Enterprise, ExtensionRequest, Issue, ServiceTeam, Staff, Township, Visit):
        pks = await model.all().order_by("id").limit(4).values_list("id", flat=True)
        ids += [to_global_id(model.__name__, pk) for pk in pks]
    townships = await Township.all().order_by("code").limit(6).values_list("code", "county_code")
    industries = await Enterprise.all().distinct().limit(4).values_list("industry", flat=True)
    chains = await Enterprise.exclude(chain=None).distinct().limit(3).values_list("chain", flat=True)
    codes = [c for pair in townships for c in pair] + list(industries) + list(chains)
    return ids, sorted(set(codes))


def register_value_strategies(ids: list[str], codes: list[str]) -> None:
    any_text = st.text(max_size=24)
    schemathesis.graphql.scalar("ID", (st.sampled_from(ids) | any_text).map(nodes.String))
    schemathesis.graphql.scalar("String", (st.sampled_from(codes) | any_text).map(nodes.String))


def generate_queries(examples: int, seed_value: int) -> list[tuple[str, str]]:
    """(label, query) pairs: up to ``examples`` per root field, the same ones on every run."""
    schema = schemathesis.graphql.from_path(SCHEMA_PATH)
    out: list[tuple[str, str]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        seen: set[str] = set()

        @seed(seed_value)
        @hyp_settings(
            max_examples=examples,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def collect(case) -> None:
            query = case.body["query"] if isinstance(case.body, dict) else str(case.body)
            if query not in seen:
                seen.add(query)
                out.append((label, query))

        collect()
    return out


# --- callers ------------------------------------------------------------------------------------


async def prepare(db_dir: Path):
    from yimi import db
    from yimi.accounts.models import Staff
    from yimi.accounts.service import set_password
    from yimi.accounts.tokens import create_token
    from yimi.app import create_app
    from yimi.demo.loader import load_demo
    from yimi.settings import Settings

    dist = db_dir / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>fuzz</title>", encoding="utf-8")
    settings = Settings(
        database_url=f"sqlite://{db_dir / 'fuzz.sqlite3'}",
        frontend_dist=dist,
        rate_limit_points=10_000_000,
        max_query_cost=5_000,
    )
    await db.migrate(settings)
    await db.init_db(settings)
    await load_demo(settings, progress=False)
    dispatcher = next(s for s in await Staff.filter(is_active=True).order_by("id") if "dispatcher" in s.roles)
    await set_password(dispatcher, PASSWORD)
    _token, secret = await create_token("fuzz", ["issues:read", "enterprises:read"])
    app = create_app(settings, manage_db=False)
    return app, dispatcher.username, secret


def _client(app, headers: dict | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
        headers=headers or {},
        timeout=30,
    )


async def sign_in(http: httpx.AsyncClient, username: str) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) "
            "{ staff { id } userErrors { message } } }",
            "variables": {"u": username, "p": PASSWORD},
        },
    )
    body = response.json()
    if not (body.get("data") or {}).get("signIn", {}).get("staff"):
        raise SystemExit(f"fuzz: dispatcher sign-in failed: {response.status_code} {response.text[:300]}")


async def fuzz(examples: int, seed_value: int, only: list[str] | None) -> int:
    from yimi import db
    from yimi.issues.models import IssueEvent

    started = time.monotonic()
    failures: list[str] = []
    counts: dict[str, int] = {}
    statuses: dict[str, dict[int, int]] = {}
    without_errors: dict[str, int] = {}  # responses with no GraphQL errors
    events: dict[str, int] = {}  # issue events (workflow steps) the caller's mutations made
    with tempfile.TemporaryDirectory(prefix="yimi-fuzz-") as tmp:
        app, username, secret = await prepare(Path(tmp))
        prepared_at = time.monotonic()
        try:
            ids, codes = await demo_values()
            register_value_strategies(ids, codes)
            queries = generate_queries(examples, seed_value)
            generated_at = time.monotonic()
            callers = {
                # Anonymous callers send the CSRF header too: without it every mutation stops at
                # the CSRF guard (403) and the fuzzing would never reach a resolver.
                "anonymous": _client(app, CSRF_HEADERS),
                "dispatcher": _client(app, CSRF_HEADERS),
                "partner": _client(app, {"Authorization": f"Bearer {secret}"}),
            }
            await sign_in(callers["dispatcher"], username)
            # signIn/signOut change who the caller is (signOut would leave the dispatcher
            # anonymous, signIn could give the partner's client a cookie): run them last.
            ordered = sorted(queries, key=lambda q: q[0] in SESSION_OPERATIONS)
            for name, http in callers.items():
                if only and name not in only:
                    continue
                counts[name] = 0
                statuses[name] = {}
                events_before = await IssueEvent.all().count()
                for index, (label, query) in enumerate(ordered):
                    if label in SESSION_OPERATIONS and index and ordered[index - 1][0] not in SESSION_OPERATIONS:
                        # The caller must still be who it was, or the fuzzing above proved little.
                        me = (await http.post("/graphql", json={"query": "{ me { id } }"})).json()
                        signed_in = bool((me.get("data") or {}).get("me"))
                        if signed_in != (name == "dispatcher"):
                            failures.append(f"FAIL {name}: caller identity changed during fuzzing: {me}")
                    try:
                        response = await http.post("/graphql", json={"query": query})
                    except Exception as exc:  # the app raised through the transport
                        failures.append(f"FAIL {name} {label}: request raised {type(exc).__name__}: {exc}\n  query: {query}")
                        continue
                    counts[name] += 1
                    statuses[name][response.status_code] = statuses[name].get(response.status_code, 0) + 1
                    try:
                        body = response.json()
                    except ValueError:
                        body = None
                    exchange = Exchange(name, label, query, response.status_code, response.text, body)
                    if isinstance(body, dict) and not body.get("errors"):
                        without_errors[name] = without_errors.get(name, 0) + 1
                    for check in CHECKS:
                        problem = check(exchange)
                        if problem:
                            failures.append(f"FAIL {name} {label} [{check.__name__}]: {problem}\n  query: {query}")
                events[name] = await IssueEvent.all().count() - events_before
            for http in callers.values():
                await http.aclose()
        finally:
            await db.close_db()
    for line in failures:
        print(line)
    summary = {
        "operations": len({label for label, _ in queries}),
        "queries": len(queries),
        "requests": counts,
        "statuses": statuses,
        "without_errors": without_errors,
        "issue_events_added": events,
        "failures": len(failures),
        "prepare_seconds": round(prepared_at - started, 1),
        "generate_seconds": round(generated_at - prepared_at, 1),
        "total_seconds": round(time.monotonic() - started, 1),
    }
    print("FUZZ SUMMARY " + json.dumps(summary))
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=8, help="examples per root field (default 8)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--caller", action="append", choices=["anonymous", "dispatcher", "partner"])
    args = parser.parse_args(argv)
    return asyncio.run(fuzz(args.examples, args.seed, args.caller))


if __name__ == "__main__":
    sys.exit(main())
