import pytest
from pydantic import ValidationError

from yimi.settings import Settings


async def test_health_and_graphiql(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_client_side_routes_fall_back_to_the_web_app(client):
    for path in ("/", "/map", "/list/issues?status=open"):
        response = await client.get(path)
        assert response.status_code == 200 and "Yimi test shell" in response.text


PRODUCTION_KEY = "k3J9-qX2vB7mN4pL8rT1wY6zC5dF0gH-e8uA"


def test_production_refuses_unsafe_defaults():
    with pytest.raises(ValidationError, match="YIMI_SECRET_KEY"):
        Settings(env="production")
    with pytest.raises(ValidationError, match="YIMI_SECRET_KEY"):
        Settings(env="production", secret_key="x" * 40)
    with pytest.raises(ValidationError, match="YIMI_DEBUG"):
        Settings(env="production", secret_key=PRODUCTION_KEY, debug=True)
    assert Settings(env="production", secret_key=PRODUCTION_KEY).env == "production"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("YIMI_PORT", "9001")
    monkeypatch.setenv("YIMI_DATABASE_URL", "postgres://u@127.0.0.1:5432/test")
    settings = Settings()
    assert settings.port == 9001 and settings.database_url.startswith("postgres://")
    monkeypatch.setenv("YIMI_WARN_YELLOW_AT", "0.9")
    with pytest.raises(ValidationError, match="WARN_YELLOW_AT"):
        Settings()


async def test_tile_url_reaches_the_page_only_when_configured(settings, demo):
    import httpx

    from yimi.app import create_app

    plain = create_app(settings, manage_db=False)
    tiled = create_app(
        settings.model_copy(update={"tile_url": "https://tiles.example/{z}/{x}/{y}.png?a=1&b=<2>"}), manage_db=False
    )
    (settings.frontend_dist / "index.html").write_text("<html><head><title>Yimi test shell</title></head></html>")
    for app, expected in (
        (plain, None),
        (tiled, 'content="https://tiles.example/{z}/{x}/{y}.png?a=1&amp;b=&lt;2&gt;"'),
    ):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            page = (await http.get("/map")).text
        assert ("yimi-tile-url" in page) == (expected is not None)
        if expected:
            assert expected in page
