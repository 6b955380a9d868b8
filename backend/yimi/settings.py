"""The one settings object, read from ``YIMI_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-insecure-secret-key"
DEFAULT_DB_PATH = Path("var") / "yimi.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIMI_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = f"sqlite://{DEFAULT_DB_PATH}"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = DEV_SECRET_KEY
    debug: bool = False
    redis_url: str | None = None
    timezone: str = "Asia/Shanghai"
    # Readable issue numbers are <prefix>-<year>-<sequence>, e.g. WS-2021-00042 for Weishi.
    issue_number_prefix: str = Field("WS", pattern=r"^[A-Z]{1,6}$")
    # Share of an issue's time (report to deadline) used at which the warning turns yellow / orange.
    warn_yellow_at: float = Field(0.5, gt=0, lt=1)
    warn_orange_at: float = Field(0.8, gt=0, lt=1)
    max_page_size: int = 100
    frontend_dist: Path = Path("frontend") / "dist"
    tile_url: str | None = None

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        if self.warn_yellow_at >= self.warn_orange_at:
            raise ValueError("YIMI_WARN_YELLOW_AT must be below YIMI_WARN_ORANGE_AT")
        if self.env == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError(
                    "YIMI_ENV=production needs YIMI_SECRET_KEY set to a random value of 32+ characters"
                )
            if self.debug:
                raise ValueError("YIMI_ENV=production refuses YIMI_DEBUG=true")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
