"""Schemathesis fuzzes /graphql from schema.graphql: no 500, no internal detail, no leaks.

The fuzzing runs mutations, so it gets its own database and therefore its own process (the ORM
is global and the session's demo database is shared by every test): see fuzz_run.py. Checks,
including the leak checks of the role policy (yimi.accounts.read_rules), live in ``fuzz_run.CHECKS``;
the tests below feed them fabricated responses, to show that each can fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.graphql import fuzz_run
from tests.graphql.fuzz_run import (
    Exchange,
    build_secrets,
    no_internal_detail,
    no_leaked_strings,
    no_unsuppressed_figures,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 30  # per root field and caller: 29 fields, ~740 distinct documents, ~25 s in all (7 min at load 20)
CALLERS = {"anonymous", "dispatcher", "partner"}


# Generous: on a loaded machine (load 20 on 2 cores) the run took 435 s; its summary says how long.
@pytest.mark.timeout(1260)
def test_schemathesis_fuzzing_finds_no_server_errors(scratch_database_url):
    # As a module from the repository root: run as a path, tests/graphql would shadow `graphql`.
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.graphql.fuzz_run",
            "--examples",
            str(EXAMPLES),
            "--database",
            scratch_database_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    out = run.stdout
    summary_lines = [line for line in out.splitlines() if line.startswith("FUZZ SUMMARY ")]
    assert summary_lines, f"fuzz_run did not finish (exit {run.returncode}):\n{out[-5000:]}\n{run.stderr[-5000:]}"
    summary = json.loads(summary_lines[-1].removeprefix("FUZZ SUMMARY "))
    failures = out[: out.rfind("FUZZ SUMMARY ")]  # FAIL lines, each with its (multi-line) query
    assert run.returncode == 0 and summary["failures"] == 0, (
        f"fuzzing found {summary['failures']} problems:\n{failures[:20000]}"
    )
    # It really fuzzed: every root field, as every caller.
    assert summary["operations"] >= 26, summary
    assert set(summary["requests"]) == CALLERS, summary
    assert all(n >= summary["operations"] * 5 for n in summary["requests"].values()), summary
    # The leak checks ran on every response of the callers they apply to, with real secrets.
    assert summary["leak_checked"] == {c: summary["requests"][c] for c in ("anonymous", "partner")}, summary
    assert all(n >= 1000 for n in summary["secrets"].values()), summary


# --- the leak checks can fail ---------------------------------------------------------------------

SENSITIVE = {
    "staff name": ["韩雪", "王"],  # one character: too short to mean anything alone, not checked
    "staff phone": ["13829975942"],
    "contact person": ["高娟慧", "服务"],  # "服务" is part of a team name: not checked
    "contact phone": ["18078844501"],
    "enterprise name": ["开封信利化工有限公司"],
    "USCC": ["91410223MABR3D7P2R"],
    "issue title": ["申请流动资金贷款150万元"],
    "issue description": ["开封信利化工有限公司反映：高峰时段电压波动大，精密设备多次报警停机。"],
    "event note": ["热线来电：申请流动资金贷款150万元"],
    "dispatch instruction": ["请于2021年05月21日前办结并反馈办理结果。"],
}
PUBLIC = ["金融服务团", "尉氏县", "张市镇"]


@pytest.fixture
def secrets(monkeypatch):
    partner_allowed = PUBLIC + SENSITIVE["enterprise name"] + SENSITIVE["USCC"] + SENSITIVE["issue title"]
    forbidden = {
        "anonymous": build_secrets(SENSITIVE, fuzz_run.FORBIDDEN_KINDS["anonymous"], PUBLIC),
        "partner": build_secrets(SENSITIVE, fuzz_run.FORBIDDEN_KINDS["partner"], partner_allowed),
    }
    monkeypatch.setattr(fuzz_run, "FORBIDDEN", forbidden)
    return forbidden


def exchange(caller: str, data: dict, query: str = "{ x }") -> Exchange:
    body = {"data": data}
    return Exchange(caller, "Query.x", query, 200, json.dumps(body), body)


def test_leak_check_flags_a_phone_and_a_staff_name(secrets):
    for caller in ("anonymous", "partner"):
        # Inside longer text and ASCII-escaped in the raw body: still found.
        problem = no_leaked_strings(exchange(caller, {"node": {"note": "请联系18078844501", "by": [{"n": "韩雪"}]}}))
        assert problem and "contact phone '18078844501' at $.data.node.note" in problem, problem
        assert "staff name '韩雪' at $.data.node.by[0].n" in problem, problem
        for value in (
            "13829975942",
            "高娟慧",
            "请于2021年05月21日前办结并反馈办理结果。",
            "热线来电：申请流动资金贷款150万元",
        ):
            assert value in (no_leaked_strings(exchange(caller, {"s": f"…{value}…"})) or ""), (caller, value)
    # The dispatcher reads everything: not checked.
    assert no_leaked_strings(exchange("dispatcher", {"s": "韩雪 18078844501"})) is None


def test_leak_check_follows_the_policy(secrets):
    enterprise = {
        "name": "开封信利化工有限公司",
        "uscc": "91410223MABR3D7P2R",
        "issues": [{"title": "申请流动资金贷款150万元"}],
    }
    # A partner with enterprises:read + issues:read reads enterprise names, USCCs and issue titles...
    assert no_leaked_strings(exchange("partner", {"enterprise": enterprise})) is None
    # ... the public does not.
    problem = no_leaked_strings(exchange("anonymous", {"enterprise": enterprise}))
    assert problem and all(k in problem for k in ("enterprise name", "USCC", "issue title")), problem
    # Neither reads descriptions, even though they start with an enterprise name.
    description = SENSITIVE["issue description"][0]
    for caller in ("anonymous", "partner"):
        assert "issue description" in (no_leaked_strings(exchange(caller, {"d": description})) or ""), caller
    # Public names, and secrets too short or ambiguous to check, are not flagged.
    assert (
        no_leaked_strings(exchange("anonymous", {"teams": ["金融服务团"], "x": "王", "townships": ["张市镇"]})) is None
    )
    assert "王" not in secrets["anonymous"].kinds and "服务" not in secrets["anonymous"].kinds


def test_figures_check_flags_small_and_exact_counts():
    query = (
        "{ statistics(year: 2024) { year total { reported { value } o: open { value low high } } "
        "byMonth { reported { value } } byTownship { ... on StatisticsRow { overdue { value } onTimeRate } } } }"
    )
    fine = {
        "statistics": {
            "year": 2024,
            "total": {"reported": {"value": 12}, "o": {"value": None, "low": 0, "high": 4}},
            "byMonth": [{"reported": {"value": 0}}],
            "byTownship": [{"overdue": {"value": 5}, "onTimeRate": 0.5}],
        }
    }
    assert no_unsuppressed_figures(exchange("anonymous", fine, query)) is None
    small = {
        "statistics": {
            "year": 2026,
            "total": {"reported": {"value": 12}, "o": {"value": 3, "low": 3, "high": 3}},
            "byMonth": [{"reported": {"value": 2}}],
            "byTownship": [{"overdue": {"value": "2"}, "onTimeRate": 1.0}],
        }
    }
    for caller in ("anonymous", "partner"):
        problem = no_unsuppressed_figures(exchange(caller, small, query))
        assert problem and "public count 3 < 5 at $.data.statistics.total.o.value" in problem, problem
        assert "public count 2 < 5 at $.data.statistics.byMonth[0].reported.value" in problem, problem
        assert "public count '2' is not an int" in problem, problem
    # Exact figures need staff or stats:read: the public and the fuzz token get null.
    townships = "{ townships { nodes { name enterpriseCount } } node(id: 1) { ... on ServiceTeam { openIssueCount } } }"
    data = {"townships": {"nodes": [{"name": "张市镇", "enterpriseCount": 3}]}, "node": {"openIssueCount": 0}}
    problem = no_unsuppressed_figures(exchange("anonymous", data, townships))
    assert problem and "Township.enterpriseCount = 3" in problem and "ServiceTeam.openIssueCount = 0" in problem, (
        problem
    )
    layer = {"mapLayer": {"features": [{"properties": {"id": "x", "openIssueCount": 2, "warningColor": None}}]}}
    assert "openIssueCount" in (no_unsuppressed_figures(exchange("partner", layer, "{ mapLayer }")) or "")
    assert no_unsuppressed_figures(exchange("dispatcher", data, townships)) is None


def test_echoing_what_the_caller_sent_is_not_a_leak(secrets):
    title = SENSITIVE["issue title"][0]
    echoed = {"assignCommissioner": {"userErrors": [{"message": f"Invalid argument: '{title}' is not an ID"}]}}
    sent = f'mutation {{ assignCommissioner(input: {{enterpriseId: "{title}"}}) {{ userErrors {{ message }} }} }}'
    assert no_leaked_strings(exchange("anonymous", echoed, sent)) is None
    assert "issue title" in (no_leaked_strings(exchange("anonymous", echoed)) or "")


def test_internal_detail_check_flags_the_servers_text_not_the_callers_input():
    sent = '{ issueSummary(filter: {team: "yimi.sqlite3"}) { open } }'
    echoed = {"errors": [{"message": "Invalid argument 'filter.team': 'yimi.sqlite3' is not a global ID of this API"}]}
    assert no_internal_detail(Exchange("partner", "Query.issueSummary", sent, 200, json.dumps(echoed), echoed)) is None
    leaked = {"errors": [{"message": "no such table: 'enterprise' (sqlite3.OperationalError)"}]}
    assert "sqlite" in (no_internal_detail(Exchange("partner", "Query.x", sent, 200, json.dumps(leaked), leaked)) or "")


def test_leak_checks_are_in_the_checks():
    assert {no_leaked_strings, no_unsuppressed_figures} <= set(fuzz_run.CHECKS)
