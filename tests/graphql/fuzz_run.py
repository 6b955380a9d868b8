"""Schemathesis fuzzing of /graphql, run in its own process against its own database.

Run from the repository root as a module (a path would let tests/graphql shadow ``graphql``):

    python -m tests.graphql.fuzz_run [--examples N] [--seed S] [--database URL]

It migrates a fresh database (an empty one given by --database, or a SQLite file in a temporary
directory), loads the demo county, gives a
dispatcher a password, creates a partner token, then sends schemathesis-generated queries and
mutations (one strategy per root field of schema.graphql) to the in-process ASGI app as three
callers: anonymous, a signed-in dispatcher (session cookie + CSRF header) and a partner (bearer
token). Each response goes through ``CHECKS`` (no 5xx, GraphQL-shaped, no internal detail, no
unhandled exception, and the leak checks: no string and no exact figure the caller's role may not
read, from the demo's own secrets loaded before the fuzzing); every problem is printed as one
``FAIL`` line and the exit code is 1 if there was any. The last line is ``FUZZ SUMMARY {json}``.

Mutations change the data, which is why this never touches the test session's shared database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hyp_settings
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
# Each check gets (caller, label, query, response) and returns a problem or None. The leak checks
# (what the role policy of yimi.accounts.read_rules lets each caller read) come after the generic ones.


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
        # Messages quote the caller's bad input ('yimi.sqlite3' is not a global ID): what the
        # caller sent itself reveals nothing, so a marker inside such a quote does not count.
        own = re.sub(r"'([^']+)'", lambda m: "''" if m.group(1) in x.query else m.group(0), message)
        for marker in INTERNAL_MARKERS:
            if marker.lower() in own.lower():
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
            return (
                f"unhandled exception (errorId {(error.get('extensions') or {}).get('errorId')}) at {error.get('path')}"
            )
    return None


# --- leak checks (the role policy, yimi.accounts.read_rules) -----------------------------------------
# Before fuzzing, ``load_secrets`` reads from the demo database the strings each caller must never
# see (by kind) and compiles them, per caller, into one pattern: a check is one regex scan of the
# response. Callers not in FORBIDDEN (the dispatcher) are not checked: staff read everything.

# Kinds of sensitive strings, and which callers must not see them.
PEOPLE_KINDS = {"staff name", "staff phone", "staff username"}
CONTACT_KINDS = {"contact person", "contact phone"}
DETAIL_KINDS = {
    "issue description",
    "issue resolution",
    "satisfaction comment",
    "event note",
    "dispatch instruction",
    "return reason",
    "extension reason",
    "extension note",
    "visit note",
}
ENTERPRISE_KINDS = {"enterprise name", "USCC"}
TITLE_KINDS = {"issue title"}
FORBIDDEN_KINDS = {
    # The public reads townships, teams, coverage and suppressed statistics: no records at all.
    "anonymous": PEOPLE_KINDS | CONTACT_KINDS | DETAIL_KINDS | ENTERPRISE_KINDS | TITLE_KINDS,
    # The fuzz token's scopes are issues:read + enterprises:read: no contacts, details or people.
    "partner": PEOPLE_KINDS | CONTACT_KINDS | DETAIL_KINDS,
}
# Names are short (two or three characters of Chinese); free text shorter than this is ambiguous.
NAME_KINDS = {"staff name", "contact person"}
MIN_NAME = 2
MIN_TEXT = 4

# Fields no caller without figures (staff, or the stats:read scope) may get a value of.
FIGURE_FIELDS = {
    ("Township", "enterpriseCount"),
    ("Township", "openIssueCount"),
    ("Township", "overdueIssueCount"),
    ("ServiceTeam", "openIssueCount"),
    ("ServiceTeam", "figures"),
    ("Enterprise", "openIssueCount"),
}
THRESHOLD = 5
CALLERS_WITHOUT_FIGURES = {"anonymous", "partner"}


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of ``words``, as a trie: the scan fails fast at each position."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = True

    def render(node: dict) -> str:
        end = "" in node
        branches = []
        for char in sorted(k for k in node if k):
            child, text = node[char], re.escape(char)
            while len(child) == 1 and "" not in child:  # a chain of single children: one literal
                ((char, child),) = child.items()
                text += re.escape(char)
            branches.append(text + render(child) if any(k for k in child) else text)
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not end else "(?:" + "|".join(branches) + ")"
        return body + ("?" if end else "")

    return render(trie)


KEY_LENGTH = 12  # a secret longer than this is searched for by its last KEY_LENGTH characters


@dataclass
class Secrets:
    """The strings one caller must never see, each with its kind, as one compiled pattern.

    The pattern matches the secrets' tails (the whole of a short secret, the last KEY_LENGTH
    characters of a long one: thousands of long descriptions share a few hundred tails, which keeps
    the regex small and quick to compile); a hit is then confirmed against the whole secrets that
    end in it. The pattern is a lookahead, so overlapping candidates are all seen.
    """

    kinds: dict[str, str]
    by_tail: dict[str, list[str]]
    pattern: re.Pattern | None

    def find(self, text: str) -> list[tuple[str, str]]:
        """(kind, value) of every distinct secret in ``text``."""
        if self.pattern is None:
            return []
        found: dict[str, str] = {}
        for match in self.pattern.finditer(text):
            candidate, start = match.group(1), match.start()
            # The greedy trie gave the longest tail starting here; shorter tails may start here too.
            for length in range(len(candidate), 0, -1):
                end = start + length
                for value in self.by_tail.get(candidate[:length], ()):
                    begin = end - len(value)
                    if begin >= 0 and text.startswith(value, begin):
                        found.setdefault(value, self.kinds[value])
        return [(kind, value) for value, kind in found.items()]


def build_secrets(sensitive: dict[str, Iterable[str]], kinds: set[str], allowed: Iterable[str]) -> Secrets:
    """Secrets of the given kinds, without the ambiguous ones.

    Dropped: strings too short to mean anything on their own, and strings that occur in what the
    caller may read (``allowed``: township, team and department names, and for a partner the
    enterprise names and issue titles), which would flag a legitimate answer.
    """
    corpus = "\n".join(sorted({a for a in allowed if a}))
    chosen: dict[str, str] = {}
    for kind in sorted(kinds):
        shortest = MIN_NAME if kind in NAME_KINDS else MIN_TEXT
        for value in sorted({(v or "").strip() for v in sensitive.get(kind, ())} - chosen.keys()):
            if len(value) >= shortest and value not in corpus:
                chosen[value] = kind
    by_tail: dict[str, list[str]] = {}
    for value in chosen:
        by_tail.setdefault(value[-KEY_LENGTH:], []).append(value)
    pattern = re.compile("(?=(" + _trie_pattern(by_tail) + "))") if by_tail else None
    return Secrets(chosen, by_tail, pattern)


FORBIDDEN: dict[str, Secrets] = {}  # per caller; filled by load_secrets() before the fuzzing


async def load_secrets() -> dict[str, int]:
    """Fill FORBIDDEN from the database; returns how many secrets each caller is checked for."""
    from yimi.accounts.models import Department, Staff
    from yimi.enterprises.models import Enterprise, Visit
    from yimi.issues.models import DispatchOrder, ExtensionRequest, Issue, IssueEvent
    from yimi.teams.models import ServiceTeam
    from yimi.townships.models import Township

    async def column(model, name: str) -> list[str]:
        return [v for v in await model.all().values_list(name, flat=True) if isinstance(v, str) and v]

    sensitive = {
        "staff name": await column(Staff, "name"),
        "staff phone": await column(Staff, "phone"),
        "staff username": await column(Staff, "username"),
        "contact person": await column(Enterprise, "contact_person"),
        "contact phone": await column(Enterprise, "contact_phone"),
        "enterprise name": await column(Enterprise, "name"),
        "USCC": await column(Enterprise, "uscc"),
        "issue title": await column(Issue, "title"),
        "issue description": await column(Issue, "description"),
        "issue resolution": await column(Issue, "resolution"),
        "satisfaction comment": await column(Issue, "satisfaction_comment"),
        "event note": await column(IssueEvent, "note"),
        "dispatch instruction": await column(DispatchOrder, "instruction"),
        "return reason": await column(DispatchOrder, "return_reason"),
        "extension reason": await column(ExtensionRequest, "reason"),
        "extension note": await column(ExtensionRequest, "note"),
        "visit note": await column(Visit, "notes"),
    }
    specialities = [s for row in await ServiceTeam.all().values_list("specialities", flat=True) for s in row or []]
    public = (
        await column(Township, "name")
        + await column(Township, "code")
        + await column(Township, "county_name")
        + await column(Township, "county_code")
        + await column(ServiceTeam, "name")
        + [s for s in specialities if isinstance(s, str)]
        + await column(Department, "name")
    )
    partner = (
        public
        + sensitive["enterprise name"]
        + sensitive["USCC"]
        + sensitive["issue title"]
        + await column(Enterprise, "address")
        + await column(Enterprise, "chain")
    )
    FORBIDDEN.clear()
    FORBIDDEN["anonymous"] = build_secrets(sensitive, FORBIDDEN_KINDS["anonymous"], public)
    FORBIDDEN["partner"] = build_secrets(sensitive, FORBIDDEN_KINDS["partner"], partner)
    return {caller: len(secrets.kinds) for caller, secrets in FORBIDDEN.items()}


def _json_path(value, needle: str, path: str = "$") -> str | None:
    """Where in a response a string containing ``needle`` is (for the report)."""
    if isinstance(value, str):
        return path if needle in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _json_path(item, needle, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}")
        if found:
            return found
    return None


def no_leaked_strings(x: Exchange) -> str | None:
    """No string of a kind the caller may not read (a staff name, a contact's phone, ...) in the response."""
    secrets = FORBIDDEN.get(x.caller)
    if secrets is None:
        return None
    # The parsed body, re-encoded: a \\uXXXX-escaped name in the raw text would slip past a scan.
    text = json.dumps(x.body, ensure_ascii=False) if x.body is not None else x.text
    # A value the caller sent itself (error messages quote the bad input) reveals nothing.
    hits = [(kind, value) for kind, value in secrets.find(text) if value not in x.query]
    if not hits:
        return None
    shown = [f"{kind} {value!r} at {_json_path(x.body, value) or '?'}" for kind, value in hits[:5]]
    return f"leaks {len(hits)} value(s) the caller may not read: " + "; ".join(shown)


_SCHEMA = None


def _graphql_schema():
    global _SCHEMA
    if _SCHEMA is None:
        from graphql import build_schema

        _SCHEMA = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
    return _SCHEMA


def response_fields(query: str, data) -> Iterator[tuple[str, str, object, str]]:
    """(parent type, field name, value, path) of every field in ``data``, through aliases and fragments.

    Under an abstract type a field of an inline fragment is attributed to the fragment's type.
    """
    from graphql import (
        FieldNode,
        FragmentDefinitionNode,
        FragmentSpreadNode,
        GraphQLSyntaxError,
        InlineFragmentNode,
        OperationDefinitionNode,
        get_named_type,
        parse,
    )

    schema = _graphql_schema()
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next((d for d in document.definitions if isinstance(d, OperationDefinitionNode)), None)
    if operation is None:
        return
    root = {"query": schema.query_type, "mutation": schema.mutation_type, "subscription": schema.subscription_type}
    root_type = root.get(operation.operation.value)
    if root_type is None:
        return

    def walk(parent, selection_set, value, path):
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(parent, selection_set, item, f"{path}[{index}]")
            return
        if not isinstance(value, dict):
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                if key not in value:
                    continue
                name = selection.name.value
                yield parent.name, name, value[key], f"{path}.{key}"
                field_def = getattr(parent, "fields", {}).get(name)
                if selection.selection_set and field_def is not None:
                    yield from walk(
                        get_named_type(field_def.type), selection.selection_set, value[key], f"{path}.{key}"
                    )
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                fragment_type = schema.get_type(condition.name.value) if condition else parent
                yield from walk(fragment_type or parent, selection.selection_set, value, path)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    yield from walk(
                        schema.get_type(fragment.type_condition.name.value) or parent,
                        fragment.selection_set,
                        value,
                        path,
                    )

    yield from walk(root_type, operation.selection_set, data, "$.data")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def no_unsuppressed_figures(x: Exchange) -> str | None:
    """Callers without figures: a public count is withheld (value null, a range at least the threshold
    wide) or at least the threshold; a month not yet begun may read 0. No exact figures."""
    if x.caller not in CALLERS_WITHOUT_FIGURES or not isinstance(x.body, dict) or not x.body.get("data"):
        return None
    problems = []
    for parent, name, value, path in response_fields(x.query, x.body["data"]):
        if parent == "PublicCount" and name == "value":
            future_month = value == 0 and ".byMonth[" in path
            if value is not None and not _is_int(value):
                problems.append(f"public count {value!r} is not an int at {path}")
            elif _is_int(value) and value < THRESHOLD and not future_month:
                problems.append(f"public count {value} < {THRESHOLD} at {path}")
        elif parent == "PublicCount" and name in ("low", "high") and not _is_int(value):
            problems.append(f"public count {name} {value!r} is not an int at {path}")
        elif (parent, name) in FIGURE_FIELDS and value is not None:
            problems.append(f"exact figure {parent}.{name} = {json.dumps(value)[:80]} at {path}")
        elif parent == "Query" and name == "mapLayer" and isinstance(value, dict):
            for index, feature in enumerate(value.get("features") or []):
                properties = (feature or {}).get("properties") or {} if isinstance(feature, dict) else {}
                shown = {k: properties[k] for k in ("openIssueCount", "warningColor") if properties.get(k) is not None}
                if shown:
                    problems.append(f"mapLayer properties {shown} at {path}.features[{index}]")
                    break
    if not problems:
        return None
    return f"{len(problems)} figure(s) the caller may not read: " + "; ".join(problems[:5])


CHECKS: list[Callable[[Exchange], str | None]] = [
    no_server_error,
    graphql_shaped,
    no_internal_detail,
    no_unexpected_error,
    no_leaked_strings,
    no_unsuppressed_figures,
]


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
    industries = await Enterprise.all().distinct().order_by("industry").limit(4).values_list("industry", flat=True)
    chains = await Enterprise.exclude(chain=None).distinct().order_by("chain").limit(3).values_list("chain", flat=True)
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
        def collect(case) -> None:  # called at once, inside the loop: it sees this pass's seen and label
            query = case.body["query"] if isinstance(case.body, dict) else str(case.body)
            if query not in seen:  # noqa: B023
                seen.add(query)  # noqa: B023
                out.append((label, query))  # noqa: B023

        collect()
    return out


# --- callers ------------------------------------------------------------------------------------


async def prepare(db_dir: Path, database_url: str | None):
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
        database_url=database_url or f"sqlite://{db_dir / 'fuzz.sqlite3'}",
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


async def fuzz(examples: int, seed_value: int, only: list[str] | None, database_url: str | None = None) -> int:
    from yimi import db
    from yimi.issues.models import IssueEvent

    started = time.monotonic()
    failures: list[str] = []
    counts: dict[str, int] = {}
    statuses: dict[str, dict[int, int]] = {}
    without_errors: dict[str, int] = {}  # responses with no GraphQL errors
    events: dict[str, int] = {}  # issue events (workflow steps) the caller's mutations made
    leak_checked: dict[str, int] = {}  # responses the leak checks scanned, per caller
    check_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="yimi-fuzz-") as tmp:
        app, username, secret = await prepare(Path(tmp), database_url)
        # Before any mutation: the demo's own strings (fuzzed text written later is not a secret).
        secret_counts = await load_secrets()
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
                        failures.append(
                            f"FAIL {name} {label}: request raised {type(exc).__name__}: {exc}\n  query: {query}"
                        )
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
                    checks_started = time.monotonic()
                    for check in CHECKS:
                        problem = check(exchange)
                        if problem:
                            failures.append(f"FAIL {name} {label} [{check.__name__}]: {problem}\n  query: {query}")
                    check_seconds += time.monotonic() - checks_started
                    if name in FORBIDDEN:
                        leak_checked[name] = leak_checked.get(name, 0) + 1
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
        "secrets": secret_counts,
        "leak_checked": leak_checked,
        "check_seconds": round(check_seconds, 2),
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
    parser.add_argument("--database", help="URL of an empty database to use (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    return asyncio.run(fuzz(args.examples, args.seed, args.caller, args.database))


if __name__ == "__main__":
    sys.exit(main())
