import os
import sqlite3
import subprocess
import sys

import pytest

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


def run(*args, env=None, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "yimi.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command):
    result = run(*(command.split() if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_migrate_then_demo_twice_does_not_duplicate(tmp_path):
    path = tmp_path / "cli.sqlite3"
    env = {**os.environ, "YIMI_DATABASE_URL": f"sqlite://{path}"}
    assert run("migrate", env=env).returncode == 0
    first = run("demo", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("Loaded the Weishi county demo") == 1, first.stdout  # the summary, once

    def counts():
        return (
            sqlite3.connect(path)
            .execute(
                "select (select count(*) from township), (select count(*) from enterprise), (select count(*) from issue),"
                " (select count(*) from issue_event), (select count(*) from service_team)"
            )
            .fetchone()
        )

    before = counts()
    second = run("demo", "--quiet", "--login", "staff003", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already loaded") == 1 and "`yimi demo --reset` reloads it" in second.stdout
    assert counts() == before
    assert before[0] == 15 and before[1] == 600 and before[2] >= 3000
    # --login: the printed password signs staff003 in (make run's way into the web app).
    password = second.stdout.split("with the password")[1].split()[0]
    from yimi.accounts.passwords import verify_password

    stored = sqlite3.connect(path).execute("select password_hash from staff where username = 'staff003'").fetchone()[0]
    assert verify_password(password, stored) and password not in stored
    refused = run(
        "demo", "--quiet", "--login", "staff003", env={**env, "YIMI_ENV": "production", "YIMI_SECRET_KEY": "x" * 40}
    )
    assert refused.returncode != 0 and "not in production" in refused.stdout
    nobody = run("demo", "--quiet", "--login", "nobody", env=env)
    assert nobody.returncode == 1 and "Traceback" not in nobody.stderr
    assert nobody.stdout.splitlines()[-1] == "error: --login: no active member of staff 'nobody'", nobody.stdout


def test_user_commands(tmp_path):
    path = tmp_path / "users.sqlite3"
    env = {**os.environ, "YIMI_DATABASE_URL": f"sqlite://{path}"}
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
    stored = sqlite3.connect(path).execute("select password_hash, roles from staff where username='li.na'").fetchone()
    assert stored[0].startswith("$argon2") and "a long password" not in stored[0]
    assert stored[1] == '["dispatcher"]'
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
    assert sqlite3.connect(path).execute("select is_active from staff where username='li.na'").fetchone() == (0,)


def test_recompute_warnings_after_a_threshold_change(tmp_path):
    path = tmp_path / "warn.sqlite3"
    env = {**os.environ, "YIMI_DATABASE_URL": f"sqlite://{path}"}
    assert run("migrate", env=env).returncode == 0
    assert run("demo", "--quiet", env=env).returncode == 0
    unchanged = run("recompute-warnings", env=env)
    assert unchanged.returncode == 0 and unchanged.stdout.startswith("0 issues"), unchanged.stdout + unchanged.stderr
    changed = run("recompute-warnings", env={**env, "YIMI_WARN_YELLOW_AT": "0.6", "YIMI_WARN_ORANGE_AT": "0.9"})
    assert changed.returncode == 0, changed.stderr
    db = sqlite3.connect(path)
    total = db.execute("select count(*) from issue").fetchone()[0]
    assert changed.stdout.startswith(f"{total:,} issues")
    row = db.execute("select reported_at, deadline, yellow_at, orange_at from issue order by id limit 1").fetchone()
    from datetime import datetime

    reported, deadline, yellow, orange = (datetime.fromisoformat(v) for v in row)
    assert abs((yellow - reported) / (deadline - reported) - 0.6) < 1e-6
    assert abs((orange - reported) / (deadline - reported) - 0.9) < 1e-6
