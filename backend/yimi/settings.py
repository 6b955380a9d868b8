"""The one settings object, read from ``YIMI_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-insecure-secret-key"
DEFAULT_DB_PATH = Path("var") / "yimi.sqlite3"
MIN_SECRET_KEY_DISTINCT_CHARACTERS = 10
REDIS_SCHEMES = ("redis", "rediss", "unix")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIMI_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = f"sqlite://{DEFAULT_DB_PATH}"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = DEV_SECRET_KEY
    debug: bool = False
    # Redis for live updates, API budgets and sign-in throttling shared by every server process.
    redis_url: str | None = None
    # Server processes `yimi serve` starts (its --workers overrides); above 1 needs YIMI_REDIS_URL.
    workers: int = Field(1, ge=1, le=64)
    timezone: str = "Asia/Shanghai"
    # Readable issue numbers are <prefix>-<year>-<sequence>, e.g. WS-2021-00042 for Weishi.
    issue_number_prefix: str = Field("WS", pattern=r"^[A-Z]{1,6}$")
    # Share of an issue's time (report to deadline) used at which the warning turns yellow / orange.
    warn_yellow_at: float = Field(0.5, gt=0, lt=1)
    warn_orange_at: float = Field(0.8, gt=0, lt=1)
    # Working days to handle an issue, by priority, and per-category exceptions (JSON in the env).
    deadline_working_days: dict[str, int] = {"urgent": 3, "normal": 7, "complex": 15}
    deadline_category_working_days: dict[str, dict[str, int]] = {"land": {"normal": 15}, "permits": {"normal": 15}}
    frontend_dist: Path = Path("frontend") / "dist"
    tile_url: str | None = None
    # Public statistics withhold counts below this (and any count that would let one be worked out).
    public_min_count: int = Field(5, ge=3, le=100)
    # Public figures are released monthly on this day, at midnight county time (yimi.stats.releases).
    stats_release_day: int = Field(1, ge=1, le=28)
    # API limits (see README, "Limits"). Checked before anything runs.
    max_query_depth: int = Field(10, ge=1, le=100)
    max_query_aliases: int = Field(30, ge=0, le=1000)
    max_query_tokens: int = Field(2000, ge=100, le=100_000)
    # The largest HTTP request body and WebSocket message accepted (bytes); larger ones get 413 / close 1009.
    max_request_bytes: int = Field(1_048_576, ge=1024)
    # The most points one request may cost, and the points each caller may spend per window.
    max_query_cost: int = Field(500, ge=1)
    rate_limit_points: int = Field(5000, ge=1)
    rate_limit_window_seconds: int = Field(3600, ge=1, le=86_400)
    # Prepended to budget keys, so that several deployments (or test runs) can share one Redis.
    rate_limit_key_prefix: str = Field("yimi", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    # Failed sign-ins allowed per username and per IP address within the window; beyond, THROTTLED.
    # The per-IP limit is higher: a whole office may sign in from one address.
    sign_in_max_failures_per_username: int = Field(5, ge=1)
    sign_in_max_failures_per_ip: int = Field(20, ge=1)
    sign_in_failure_window_seconds: int = Field(900, ge=1, le=86_400)
    # Origins besides the server's own whose pages may run mutations (e.g. a dev server, JSON list).
    csrf_trusted_origins: list[str] = []
    # Networks besides loopback that may read /metrics (JSON list of CIDRs, e.g. ["10.0.0.0/8"]).
    metrics_allowed_networks: list[IPv4Network | IPv6Network] = []
    # Request logs and the rest: one JSON object per line for log shippers, or plain text.
    log_format: Literal["text", "json"] = "text"
    # Proxies whose X-Forwarded-For / -Proto uvicorn believes (comma-separated addresses or CIDRs,
    # "*" for any): the client address and the https scheme of the session cookie come from them.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # Whole answers of queries kept per server process (yimi.graphql.response_cache): at most this
    # many, in at most this many megabytes of memory; 0 entries turns the cache off.
    response_cache_entries: int = Field(2048, ge=0)
    response_cache_megabytes: int = Field(128, ge=1)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str | None) -> str | None:
        if not url:
            return None  # YIMI_REDIS_URL= (empty) means no Redis, as unset does
        if url.partition("://")[0] not in REDIS_SCHEMES:
            raise ValueError("must start with redis://, rediss:// or unix:// (e.g. redis://127.0.0.1:6379/0)")
        return url

    @model_validator(mode="after")
    def _check(self) -> Settings:
        from yimi.issues.models import IssueCategory, IssuePriority

        priorities = {p.value for p in IssuePriority}
        if set(self.deadline_working_days) != priorities or min(self.deadline_working_days.values()) < 1:
            raise ValueError(
                f"YIMI_DEADLINE_WORKING_DAYS needs a positive number of days for each of {sorted(priorities)}"
            )
        for category, days in self.deadline_category_working_days.items():
            if category not in {c.value for c in IssueCategory} or not set(days) <= priorities:
                raise ValueError(
                    f"YIMI_DEADLINE_CATEGORY_WORKING_DAYS: unknown category or priority in {category}: {days}"
                )
            if days and min(days.values()) < 1:
                raise ValueError(f"YIMI_DEADLINE_CATEGORY_WORKING_DAYS: days must be positive for {category}")
        if self.warn_yellow_at >= self.warn_orange_at:
            raise ValueError("YIMI_WARN_YELLOW_AT must be below YIMI_WARN_ORANGE_AT")
        if self.max_query_cost > self.rate_limit_points:
            raise ValueError("YIMI_MAX_QUERY_COST must not exceed YIMI_RATE_LIMIT_POINTS")
        if self.env == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError("YIMI_ENV=production needs YIMI_SECRET_KEY set to a random value of 32+ characters")
            if len(set(self.secret_key)) < MIN_SECRET_KEY_DISTINCT_CHARACTERS:
                # 36 a's are 32+ characters but no secret: a random key of 32 hex digits has ~14 distinct.
                raise ValueError(
                    f"YIMI_ENV=production needs a random YIMI_SECRET_KEY: this one has fewer than "
                    f"{MIN_SECRET_KEY_DISTINCT_CHARACTERS} distinct characters (try `openssl rand -hex 32`)"
                )
            if self.debug:
                raise ValueError("YIMI_ENV=production refuses YIMI_DEBUG=true")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
