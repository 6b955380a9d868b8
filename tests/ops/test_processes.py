"""What `yimi serve` prepares for several workers (yimi.ops.processes): pooled metrics, the Redis check."""

import os

import pytest

from tests.live.conftest import REDIS_URL
from yimi.ops.processes import MULTIPROC_ENV, pooled_metrics, redis_problem


@pytest.fixture
def no_multiproc_dir(monkeypatch):
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)


def test_several_workers_get_a_metrics_directory_removed_afterwards(no_multiproc_dir):
    with pooled_metrics(2) as directory:
        assert directory is not None and directory.is_dir()
        assert os.environ[MULTIPROC_ENV] == str(directory)  # what the spawned workers inherit
        (directory / "counter_123.db").write_bytes(b"x")
    assert not directory.exists() and MULTIPROC_ENV not in os.environ


def test_one_worker_keeps_its_metrics_in_memory(no_multiproc_dir):
    with pooled_metrics(1) as directory:
        assert directory is None and MULTIPROC_ENV not in os.environ


def test_the_operators_directory_is_emptied_of_earlier_runs_metrics_only(tmp_path, monkeypatch):
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_4242.db").write_bytes(b"an earlier run's counts")
    (given / "README").write_text("not ours")
    monkeypatch.setenv(MULTIPROC_ENV, str(given))
    with pooled_metrics(4) as directory:
        assert directory == given
        assert sorted(p.name for p in given.iterdir()) == ["README"]
    assert given.is_dir() and os.environ[MULTIPROC_ENV] == str(given)  # the operator's: left in place


def test_redis_that_does_not_answer_is_said_in_one_line_without_its_password():
    problem = redis_problem("redis://:hunter2@127.0.0.1:1/0")
    assert problem is not None and problem.startswith("Redis at redis://127.0.0.1:1/0 does not answer (")
    assert "hunter2" not in problem and "\n" not in problem
    assert redis_problem(REDIS_URL) is None
