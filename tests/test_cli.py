import json
import os
import pty
import re
import sqlite3
import subprocess
import sys

import pytest

from tests.databases import query
from yimi.db import describe

COMMANDS = [
    "migrate",
    "demo",
    "serve",
    "schema",
    "user",
    "user create",
    "user list",
    "user disable",
    "user set-password",
    "token",
    "token create",
    "token list",
    "token revoke",
    "recompute-warnings",
    "backup",
    "restore",
]


PRODUCTION = {"YIMI_ENV": "production", "YIMI_SECRET_KEY": "k3J9-qX2vB7mN4pL8rT1wY6zC5dF0gH-e8uA"}


def run(*args, env=None, timeout=180, **kwargs):
    kwargs.setdefault("stdin", subprocess.DEVNULL)  # not a terminal, as in a script
    return subprocess.run(
        [sys.executable, "-m", "yimi.cli", *args], capture_output=True, text=True, env=env, timeout=timeout, **kwargs
    )


def one_line(result, *words):
    """Refused: exit status 1 and one line (on standard error) saying why."""
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stdout + result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def on_terminal(columns: int, env: dict) -> dict:
    """As if on a terminal ``columns`` wide (rich believes FORCE_COLOR and COLUMNS)."""
    return {**env, "FORCE_COLOR": "1", "COLUMNS": str(columns), "TERM": "xterm"}


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command):
    result = run(*(command.split() if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_migrate_then_demo_twice_does_not_duplicate(scratch_database_url):
    url = scratch_database_url
    env = {**os.environ, "YIMI_DATABASE_URL": url}
    assert run("migrate", env=env).returncode == 0
    first = run("demo", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("Loaded the Weishi county demo") == 1, first.stdout  # the summary, once

    def counts():
        return query(
            url,
            "select (select count(*) from township), (select count(*) from enterprise), (select count(*) from issue),"
            " (select count(*) from issue_event), (select count(*) from service_team)",
        )[0]

    before = counts()
    second = run("demo", "--quiet", "--login", "staff003", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already loaded") == 1 and "`yimi demo --reset` reloads it" in second.stdout
    assert counts() == before
    assert before[0] == 15 and before[1] == 600 and before[2] >= 3000
    # --login: the printed password signs staff003 in (make run's way into the web app).
    password = second.stdout.split("with the password")[1].split()[0]
    from yimi.accounts.passwords import verify_password

    ((stored,),) = query(url, "select password_hash from staff where username = 'staff003'")
    assert verify_password(password, stored) and password not in stored
    refused = run("demo", "--quiet", "--login", "staff003", env={**env, **PRODUCTION})
    assert refused.returncode == 1 and "not in production" in refused.stderr and not refused.stdout
    nobody = run("demo", "--quiet", "--login", "nobody", env=env)
    assert nobody.returncode == 1 and "Traceback" not in nobody.stderr
    assert nobody.stdout.splitlines()[-1] == "error: --login: no active member of staff 'nobody'", nobody.stdout


def test_user_commands(scratch_database_url):
    url = scratch_database_url
    env = {**os.environ, "YIMI_DATABASE_URL": url}
    assert run("migrate", env=env).returncode == 0
    created = run(
        "user",
        "create",
        "li.na",
        "--name",
        "李娜",
        "--department",
        "县金融工作局",
        "--role",
        "dispatcher",
        "--password",
        "a long password",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    (stored,) = query(url, "select password_hash, roles from staff where username='li.na'")
    assert stored[0].startswith("$argon2") and "a long password" not in stored[0]
    assert json.loads(stored[1]) == ["dispatcher"]
    taken = run(
        "user",
        "create",
        "li.na",
        "--name",
        "x",
        "--department",
        "y",
        "--role",
        "viewer",
        "--password",
        "a long password",
        env=env,
    )
    assert taken.returncode == 1 and "taken" in taken.stdout
    short = run("user", "set-password", "li.na", "--password", "short", env=env)
    assert short.returncode == 1 and "at least 10" in short.stdout
    assert run("user", "disable", "li.na", env=env).returncode == 0
    many = ["--role", "team_member", "--role", "commissioner", "--role", "viewer"]
    created = run(
        "user", "create", "zhang.wei.commissioner", "--name", "张伟（县人社局驻企服务专员）",
        "--department", "县人力资源和社会保障局", *many, "--password", "a long password", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    listing = run("user", "list", env=env)
    assert "li.na" in listing.stdout and "no" in listing.stdout
    # Nothing cut at 80 columns when the output is not a terminal: every value whole, on one line.
    row = next(line for line in listing.stdout.splitlines() if "zhang.wei.commissioner" in line)
    assert "team_member, commissioner, viewer" in row and "张伟（县人社局驻企服务专员）" in row
    assert "县人力资源和社会保障局" in row and "…" not in listing.stdout
    assert query(url, "select is_active from staff where username='li.na'") == [(False,)]


def test_recompute_warnings_after_a_threshold_change(scratch_database_url):
    url = scratch_database_url
    env = {**os.environ, "YIMI_DATABASE_URL": url}
    assert run("migrate", env=env).returncode == 0
    assert run("demo", "--quiet", env=env).returncode == 0
    unchanged = run("recompute-warnings", env=env)
    assert unchanged.returncode == 0 and unchanged.stdout.startswith("0 issues"), unchanged.stdout + unchanged.stderr
    changed = run("recompute-warnings", env={**env, "YIMI_WARN_YELLOW_AT": "0.6", "YIMI_WARN_ORANGE_AT": "0.9"})
    assert changed.returncode == 0, changed.stderr
    ((total,),) = query(url, "select count(*) from issue")
    assert changed.stdout.startswith(f"{total:,} issues")
    (row,) = query(url, "select reported_at, deadline, yellow_at, orange_at from issue order by id limit 1")
    from datetime import datetime

    reported, deadline, yellow, orange = (datetime.fromisoformat(v) for v in row)
    assert abs((yellow - reported) / (deadline - reported) - 0.6) < 1e-6
    assert abs((orange - reported) / (deadline - reported) - 0.9) < 1e-6


def counts_of(url, *tables):
    return tuple(query(url, f"select count(*) from {table}")[0][0] for table in tables)


def test_demo_never_runs_in_production_and_reset_asks_first(scratch_database_url):
    path = url = scratch_database_url
    env = {**os.environ, "YIMI_DATABASE_URL": url}
    assert run("migrate", env=env).returncode == 0
    admin = ["user", "create", "root.admin", "--name", "管理员", "--department", "县数据局", "--role", "admin"]
    assert run(*admin, "--password", "a long password", env=env).returncode == 0
    for args in (["demo"], ["demo", "--reset"], ["demo", "--reset", "--yes", "--quiet"]):
        one_line(run(*args, env={**env, **PRODUCTION}), "not in production")
    assert counts_of(path, "staff", "township") == (1, 0), "production data untouched, no fake county"

    # Development: --reset without a terminal to ask on needs --yes.
    line = one_line(run("demo", "--reset", "--quiet", env=env), "--yes")
    assert f"every row in {describe(url)}" in line
    assert counts_of(path, "staff", "township") == (1, 0)
    # On a terminal it asks, naming the database; anything but yes deletes nothing.
    primary, secondary = pty.openpty()
    try:
        os.write(primary, b"n\n")
        declined = run("demo", "--reset", "--quiet", env=env, stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert f"Delete every row in {describe(url)}? [y/N]" in declined.stdout, declined.stdout
    assert declined.returncode == 1 and "nothing deleted" in declined.stderr
    assert counts_of(path, "staff", "township") == (1, 0)

    loaded = run("demo", "--reset", "--yes", "--quiet", env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    staff, townships = counts_of(path, "staff", "township")
    assert townships == 15 and staff > 1
    assert query(url, "select count(*) from staff where username = 'root.admin'") == [(0,)]
    help_text = run("demo", "--help", env=env).stdout
    assert "DELETE EVERY ROW" in help_text and "--yes" in help_text and "production" in help_text


DATABASE_COMMANDS = [
    ["user", "list"],
    ["user", "create", "a.b", "--name", "x", "--department", "y", "--role", "viewer", "--password", "long enough pw"],
    ["user", "disable", "a.b"],
    ["user", "set-password", "a.b", "--password", "long enough pw"],
    ["token", "create", "--name", "bank", "--scopes", "issues:read"],
    ["token", "list"],
    ["token", "revoke", "bank"],
    ["recompute-warnings"],
    ["demo", "--quiet", "--login", "staff003"],
]


def test_commands_outside_the_install_directory_say_to_migrate_and_create_nothing(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "YIMI_DATABASE_URL"}
    for command in DATABASE_COMMANDS:
        line = one_line(run(*command, env=env, cwd=tmp_path), "no database at var/yimi.sqlite3", "run `yimi migrate`")
        assert "Traceback" not in line
    assert list(tmp_path.iterdir()) == [], "no stray var/yimi.sqlite3"
    # An empty file is no better: it lacks every migration.
    (tmp_path / "var").mkdir()
    sqlite3.connect(tmp_path / "var" / "yimi.sqlite3").close()
    for command in DATABASE_COMMANDS[:2]:
        one_line(run(*command, env=env, cwd=tmp_path), "lacks migrations 0001_initial", "run `yimi migrate`")


def test_token_list_never_cuts_a_name(scratch_database_url):
    env = {**os.environ, "YIMI_DATABASE_URL": scratch_database_url}
    assert run("migrate", env=env).returncode == 0
    name = "工行开封分行小微企业金融服务中心（尉氏县支行）"
    scopes = "issues:read,enterprises:read,issues:details"
    created = run("token", "create", "--name", name, "--scopes", scopes, env=env)
    assert created.returncode == 0, created.stderr
    ((prefix,),) = query(scratch_database_url, "select prefix from partner_token")
    piped = run("token", "list", env=env)
    assert piped.returncode == 0, piped.stderr
    row = next(line for line in piped.stdout.splitlines() if name in line)  # whole, on one line
    assert prefix in row and "enterprises:read, issues:details, issues:read" in row
    # In a narrow terminal the cells fold onto more lines: every character is still there.
    narrow = run("token", "list", env=on_terminal(60, env))
    assert narrow.returncode == 0, narrow.stderr
    text = ANSI.sub("", narrow.stdout)
    assert max(len(line) for line in text.splitlines()) <= 60
    cells = "".join(line.split("│")[1].strip() for line in text.splitlines() if line.count("│") > 2)
    assert name in cells and "…" not in cells.replace(f"{prefix}…", "")
    # The name the listing shows revokes the token.
    assert run("token", "revoke", name, env=env).returncode == 0


def test_user_list_in_an_80_column_terminal_splits_no_role(scratch_database_url):
    env = {**os.environ, "YIMI_DATABASE_URL": scratch_database_url}
    assert run("migrate", env=env).returncode == 0
    many = ["--role", "team_member", "--role", "commissioner", "--role", "dispatcher"]
    created = run(
        "user", "create", "zhang.wei.commissioner", "--name", "张伟（县人社局驻企服务专员）",
        "--department", "县人力资源和社会保障局", *many, "--password", "a long password", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    listing = run("user", "list", env=on_terminal(80, env))
    assert listing.returncode == 0, listing.stderr
    text = ANSI.sub("", listing.stdout)
    assert max(len(line) for line in text.splitlines()) <= 80
    words = {word for line in text.splitlines() for word in re.split(r"[\s│┃┏┓┗┛━─┡┩└┘├┤┼╇╈╋]+", line)}
    for role in ("team_member", "commissioner", "dispatcher"):
        assert role in words, (role, text)  # whole, one per line, never team_membe / r
