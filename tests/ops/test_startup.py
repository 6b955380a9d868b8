"""`yimi serve` refuses, in one line and with exit status 1, what it cannot run with."""

import os
import sqlite3
import subprocess
import sys

from tests.databases import query


def serve(tmp_path, *args, **env):
    result = subprocess.run(
        [sys.executable, "-m", "yimi.cli", "serve", "--port", "1", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "YIMI_DATABASE_URL": f"sqlite://{tmp_path / 'yimi.sqlite3'}", **env},
        timeout=60,
        cwd=tmp_path,
    )
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return result.returncode, lines


def test_production_without_a_secret_key_is_one_line(tmp_path):
    for env in ({"YIMI_ENV": "production"}, {"YIMI_ENV": "production", "YIMI_SECRET_KEY": "short"}):
        status, lines = serve(tmp_path, **env)
        assert status == 1
        assert lines == ["yimi: YIMI_ENV=production needs YIMI_SECRET_KEY set to a random value of 32+ characters"]


def test_a_malformed_setting_is_one_line_naming_it(tmp_path):
    status, lines = serve(tmp_path, YIMI_METRICS_ALLOWED_NETWORKS='["10.0.0.300/8"]')
    assert status == 1 and len(lines) == 1
    assert lines[0].startswith("yimi: YIMI_METRICS_ALLOWED_NETWORKS:")


def test_missing_or_unmigrated_database_is_refused_with_what_to_do(tmp_path):
    status, lines = serve(tmp_path)
    assert status == 1 and len(lines) == 1
    assert lines[0].startswith("yimi: no database at") and "run `yimi migrate`" in lines[0]
    assert not (tmp_path / "yimi.sqlite3").exists()

    sqlite3.connect(tmp_path / "yimi.sqlite3").close()  # an empty file: no tables, no migrations
    status, lines = serve(tmp_path)
    assert status == 1 and len(lines) == 1
    assert "lacks migrations 0001_initial" in lines[0] and lines[0].endswith("run `yimi migrate`")


def test_unreachable_postgresql_is_refused(tmp_path):
    status, lines = serve(tmp_path, YIMI_DATABASE_URL="postgres://postgres:hunter2@127.0.0.1:1/yimi")
    assert status == 1 and len(lines) == 1
    assert lines[0].startswith("yimi: cannot reach the database postgres://postgres@127.0.0.1:1/yimi")
    assert "hunter2" not in lines[0]


def test_any_unusable_database_url_is_one_line_naming_the_setting(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 50)
    for url, reason in (
        ("postgres://nosuchuser:hunter2@127.0.0.1:5432/postgres", 'role "nosuchuser" does not exist'),
        (f"sqlite://{notes}", "file is not a database"),
        ("mysql://x/y", "not mysql"),
        ("postgres://postgres:hunter2@127.0.0.1:5432/postgres?maxsize=abc", "invalid literal for int()"),
        ("postgres://postgres:hunter2@127.0.0.1:99999/x", "Port out of range"),
    ):
        status, lines = serve(tmp_path, YIMI_DATABASE_URL=url)
        assert status == 1 and len(lines) == 1, (url, lines[:3], len(lines))
        assert lines[0].startswith("yimi: ") and "YIMI_DATABASE_URL=" in lines[0] and reason in lines[0], lines[0]
        assert "hunter2" not in lines[0]
    assert notes.read_text().startswith("not a database")


def test_data_of_a_newer_yimi_is_refused(scratch_database_url, tmp_path):
    env = {**os.environ, "YIMI_DATABASE_URL": scratch_database_url}
    migrated = subprocess.run([sys.executable, "-m", "yimi.cli", "migrate"], capture_output=True, env=env, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    query(  # what a later version's migration would leave
        scratch_database_url,
        "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('yimi', '0099_future', '2030-01-01')",
    )
    status, lines = serve(tmp_path, YIMI_DATABASE_URL=scratch_database_url)
    assert status == 1 and len(lines) == 1, lines
    assert "newer version of Yimi (0099_future unknown to this one)" in lines[0]


def test_a_production_secret_key_without_variety_is_refused(tmp_path):
    for weak in ("a" * 36, "ab" * 20, "012345678" * 4):  # long enough, but hardly random
        status, lines = serve(tmp_path, YIMI_ENV="production", YIMI_SECRET_KEY=weak)
        assert status == 1 and len(lines) == 1, lines
        assert lines[0].startswith("yimi: YIMI_ENV=production needs a random YIMI_SECRET_KEY") and weak not in lines[0]


def test_several_workers_without_redis_are_refused_saying_why_and_what_to_do(tmp_path):
    for args, env in ((["--workers", "2"], {}), ([], {"YIMI_WORKERS": "3"})):
        status, lines = serve(tmp_path, *args, YIMI_REDIS_URL="", **env)
        assert status == 1 and len(lines) == 1, lines
        workers = args[1] if args else env["YIMI_WORKERS"]
        assert lines[0].startswith(f"yimi: {workers} workers need YIMI_REDIS_URL"), lines[0]
        assert "a live update reaches only the subscribers of the worker that made the change" in lines[0]
        assert f"({workers} times the limits)" in lines[0] and lines[0].endswith("or run one worker")
    assert not (tmp_path / "yimi.sqlite3").exists()  # refused before anything else


def test_a_redis_url_that_is_not_one_is_refused_in_one_line(tmp_path):
    status, lines = serve(tmp_path, YIMI_REDIS_URL="127.0.0.1:6379")
    assert status == 1
    assert lines == [
        "yimi: YIMI_REDIS_URL: must start with redis://, rediss:// or unix:// (e.g. redis://127.0.0.1:6379/0)"
    ]


def test_a_redis_that_does_not_answer_at_start_is_a_warning_not_a_refusal(tmp_path):
    """The app serves through a Redis outage (per-process counters), so it starts, saying so."""
    import signal
    import time

    import httpx

    from tests.servers import free_port

    env = {**os.environ, "YIMI_DATABASE_URL": f"sqlite://{tmp_path / 'yimi.sqlite3'}"}
    migrated = subprocess.run([sys.executable, "-m", "yimi.cli", "migrate"], capture_output=True, env=env, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "yimi.cli", "serve", "--port", str(port), "--workers", "2"],
            env={**env, "YIMI_REDIS_URL": "redis://:hunter2@127.0.0.1:1/0"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    warnings = [line for line in log.read_text().splitlines() if line.startswith("yimi: warning:")]
    assert len(warnings) == 1, log.read_text()
    assert warnings[0].startswith("yimi: warning: Redis at redis://127.0.0.1:1/0 does not answer (")
    assert warnings[0].endswith(
        "serving anyway: until it answers, each worker counts limits alone and live updates are off"
    )
    assert "hunter2" not in log.read_text()
