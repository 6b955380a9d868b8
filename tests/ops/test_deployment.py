"""The production deployment files hold together (there is no Docker engine here to run them):
compose.yaml names real settings and ships no secret, nginx proxies WebSockets and forwards the
client, the Dockerfile builds what the Makefile and pyproject.toml describe."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from yimi.ops.processes import refusal
from yimi.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("YIMI_SECRET_KEY", "POSTGRES_PASSWORD")
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}")


class Required(Exception):
    pass


def interpolate(value: str, environment: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}`` (the forms compose.yaml uses)."""

    def one(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if environment.get(name):
            return environment[name]
        if op == ":?":
            raise Required(f"{name}: {arg}")
        return arg if op == ":-" else ""

    return _VARIABLE.sub(one, value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def yimi_environment(compose: dict, environment: dict[str, str]) -> dict[str, str]:
    return {k: interpolate(str(v), environment) for k, v in compose["services"]["yimi"]["environment"].items()}


SECRET_VALUES = {
    "YIMI_SECRET_KEY": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012a3b4c5d6e7f",
    "POSTGRES_PASSWORD": "5e1f0c9d8b7a",
}


def test_compose_starts_postgresql_redis_yimi_and_nginx(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "yimi", "nginx"}
    assert services["yimi"]["build"] == "." and (ROOT / "Dockerfile").is_file()
    # Yimi starts once PostgreSQL and Redis answer (`yimi serve` refuses a database that does not),
    # nginx once Yimi is ready (the image's HEALTHCHECK).
    for needed in ("postgres", "redis"):
        assert services["yimi"]["depends_on"][needed] == {"condition": "service_healthy"}
        assert services[needed]["healthcheck"]["test"]
    assert services["nginx"]["depends_on"]["yimi"] == {"condition": "service_healthy"}
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()
    # Only nginx is reachable from outside: a published Yimi port would bypass the proxy, and with
    # it the one address Yimi believes X-Forwarded-For from.
    assert "ports" not in services["yimi"] and services["yimi"]["expose"] == ["8000"]
    assert {p.rsplit(":", 1)[1] for p in services["nginx"]["ports"]} == {"443", "80"}
    for service in services.values():
        assert service["restart"] == "unless-stopped"


def test_compose_ships_no_secret(compose):
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
        assert uses and all(use.startswith(":?") for use in uses), (name, uses)  # required, no default
        with pytest.raises(Required, match=name):
            yimi_environment(compose, {k: v for k, v in SECRET_VALUES.items() if k != name})
    assert not (ROOT / ".env").exists()
    assert (ROOT / "deploy" / "tls" / ".gitignore").read_text().splitlines()[1:] == ["*", "!.gitignore"]


def _settings_from(environment: dict[str, str], monkeypatch) -> Settings:
    for name in [n for n in os.environ if n.startswith("YIMI_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_compose_environment_is_a_valid_production_configuration(compose, monkeypatch):
    from yimi.imports.web import ImportSettings

    environment = yimi_environment(compose, SECRET_VALUES)
    known = {f"YIMI_{name.upper()}" for cls in (Settings, ImportSettings) for name in cls.model_fields}
    assert set(environment) <= known, set(environment) - known  # a misspelt name would be ignored silently
    settings = _settings_from(environment, monkeypatch)
    assert settings.env == "production" and settings.workers == 2
    assert refusal(settings, settings.workers) is None  # several workers, and Redis to share

    services = compose["services"]
    database = urlsplit(settings.database_url)
    postgres = services["postgres"]["environment"]
    assert database.hostname == "postgres" and database.port == 5432
    assert database.username == postgres["POSTGRES_USER"] and database.path == f"/{postgres['POSTGRES_DB']}"
    assert database.password == SECRET_VALUES["POSTGRES_PASSWORD"]
    assert settings.redis_url and urlsplit(settings.redis_url).hostname == "redis"

    nginx_address = services["nginx"]["networks"]["default"]["ipv4_address"]
    subnet = ipaddress.ip_network(compose["networks"]["default"]["ipam"]["config"][0]["subnet"])
    assert settings.forwarded_allow_ips == nginx_address and ipaddress.ip_address(nginx_address) in subnet
    assert settings.metrics_allowed_networks == [subnet]


def test_nginx_proxies_websockets_and_forwards_the_client(compose):
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    mounts = compose["services"]["nginx"]["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in mounts
    assert "./deploy/tls:/etc/nginx/tls:ro" in mounts
    assert "server yimi:8000;" in conf and compose["services"]["yimi"]["expose"] == ["8000"]
    proxied = [body for body in re.findall(r"location [^{]*\{(.*?)\n    \}", conf, re.S) if "proxy_pass" in body]
    assert len(proxied) == 2  # the app and API, and uploads under /imports/
    for location in proxied:
        assert "proxy_pass http://yimi;" in location
        assert "proxy_set_header Host $http_host;" in location  # the port too: the CSRF check compares it
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in location  # replaced, never appended to
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in location
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert "ssl_certificate     /etc/nginx/tls/fullchain.pem;" in conf
    assert "ssl_certificate_key /etc/nginx/tls/privkey.pem;" in conf
    # The API's body limit is Yimi's own (YIMI_MAX_REQUEST_BYTES): nginx lets that much through.
    limit = int(re.search(r"^    client_max_body_size (\d+)m;", conf, re.M)[1]) * 1024 * 1024
    assert limit == Settings().max_request_bytes


def test_dockerfile_builds_what_the_project_describes():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    python = re.search(r"^FROM python:(\d+)\.(\d+)-", dockerfile, re.M)
    low, high = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", project["requires-python"]).groups()
    assert python and int(low) <= int(python[2]) < int(high) and python[1] == "3"
    node = re.search(r"^FROM node:(\d+)-", dockerfile, re.M)
    engines = json.loads((ROOT / "frontend" / "package.json").read_text())["engines"]["node"]
    assert node and f"^{node[1]}." in engines  # the tag's newest release satisfies "^20.19.0 || …"
    assert "npm ci " in dockerfile and "npm run build" in dockerfile
    # What the web app's build reads from outside frontend/ (codegen.ts: ../schema.graphql) is copied
    # to where it looks for it (the build runs in /src/frontend).
    outside = {m for f in (ROOT / "frontend").glob("*.ts") for m in re.findall(r"'\.\./([^']+)'", f.read_text())}
    assert outside, "the build reads nothing outside frontend/ any more: drop this check"
    for path in outside:
        assert re.search(rf"^COPY {re.escape(path)} /src/{re.escape(path)}$", dockerfile, re.M), path
    assert re.search(r"^RUN pip install --no-cache-dir \. ", dockerfile, re.M)  # the app, not its [dev] tools
    env = dict(re.findall(r"(YIMI_[A-Z_]+)=(\S+)", dockerfile))
    assert env["YIMI_ENV"] == "production" and "YIMI_SECRET_KEY" not in env
    assert env["YIMI_FRONTEND_DIST"] == "/app/frontend/dist" and "frontend/dist" in dockerfile.split("COPY --from=")[1]
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert dockerfile.rstrip().endswith('CMD ["sh", "-c", "yimi migrate && exec yimi serve"]')
    assert "/readyz" in dockerfile
