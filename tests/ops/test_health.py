"""Liveness, readiness, and refusing to start on a database that cannot serve."""

import httpx
import pytest

from yimi.app import create_app
from yimi.db import DatabaseNotReady


async def test_liveness_needs_no_database_and_readiness_checks_it(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_readiness_names_an_unreachable_redis(settings, demo, caplog):
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}), manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "failed": ["redis"],
        "checks": {"database": "ok", "redis": "unavailable"},
    }
    # The reason (hosts, ports) is for the operator's log, not for whoever asks.
    assert "127.0.0.1:1" not in ready.text
    assert any("redis" in r.getMessage() and "Connect" in r.getMessage() for r in caplog.records)


async def test_app_refuses_to_start_without_its_database(settings, tmp_path):
    app = create_app(settings.model_copy(update={"database_url": f"sqlite://{tmp_path / 'missing.sqlite3'}"}))
    with pytest.raises(DatabaseNotReady, match="run `yimi migrate`"):
        async with app.router.lifespan_context(app):
            pass
    assert not (tmp_path / "missing.sqlite3").exists()
