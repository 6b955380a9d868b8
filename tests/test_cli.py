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
    first = run("demo", "--quiet", env=env)
    assert first.returncode == 0, first.stderr

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
    assert "already" in second.stdout
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
    listing = run("user", "list", env=env)
    assert "li.na" in listing.stdout and "no" in listing.stdout
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
