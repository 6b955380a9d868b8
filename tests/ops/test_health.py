"""Liveness, readiness, and refusing to start on a database that cannot serve."""

import logging

import httpx
import pytest

from yimi.app import create_app
from yimi.db import DatabaseNotReady


async def test_liveness_needs_no_database_and_readiness_checks_it(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_redis_down_is_degraded_but_ready_and_logged_once_each_way(settings, demo, caplog, tmp_path):
    from tests.live.redis_server import RedisServer, free_port

    port = free_port()  # nothing listens there yet
    app = create_app(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"}), manage_db=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            with caplog.at_level(logging.INFO, logger="yimi.health"):
                probes = [await http.get("/readyz") for _ in range(3)]
                # The app serves without Redis (budgets and throttling in memory): a load balancer
                # must not pull every server during a Redis outage.
                for ready in probes:
                    assert ready.status_code == 200
                    assert ready.json() == {
                        "status": "degraded",
                        "failed": ["redis"],
                        "checks": {"database": "ok", "redis": "unavailable"},
                    }
                    # The reason (hosts, ports) is for the operator's log, not for whoever asks.
                    assert str(port) not in ready.text
                server = RedisServer(tmp_path, port)
                server.start()
                try:
                    back = [await http.get("/readyz") for _ in range(3)]
                finally:
                    server.kill()
            assert all(r.status_code == 200 and r.json()["status"] == "ok" for r in back)
        lines = [r.getMessage() for r in caplog.records if r.name == "yimi.health"]
        assert len(lines) == 2, lines  # once when it goes, once when it is back: not per probe
        assert lines[0].startswith("Readiness: redis unavailable (degraded): ") and "Connect" in lines[0]
        assert lines[1].startswith("Readiness: redis answers again")
    finally:
        await app.state.budget.close()
        await app.state.sign_in_throttle.close()
        await app.state.broker.close()


async def test_reserved_paths_are_not_the_web_app(client):
    # A probe configured with a stray slash or another case must fail, not pass on the HTML page.
    for path in ("/readyz/", "/healthz/", "/metrics/", "//metrics", "/METRICS", "/Readyz", "/graphql/x",
                 "/assets/missing.js", "/open-data/nothing"):  # fmt: skip
        response = await client.get(f"http://testserver{path}")  # "//metrics" alone would name a host
        assert response.status_code == 404, (path, response.status_code, response.text[:80])
    assert (await client.get("/readyz")).status_code == 200
    assert (await client.get("/issues/readyz")).status_code == 200  # a client-side route may say it


async def test_app_refuses_to_start_without_its_database(settings, tmp_path):
    app = create_app(settings.model_copy(update={"database_url": f"sqlite://{tmp_path / 'missing.sqlite3'}"}))
    with pytest.raises(DatabaseNotReady, match="run `yimi migrate`"):
        async with app.router.lifespan_context(app):
            pass
    assert not (tmp_path / "missing.sqlite3").exists()
