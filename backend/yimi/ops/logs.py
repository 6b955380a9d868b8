"""Logging for ``yimi serve``: plain text, or one JSON object per line (``YIMI_LOG_FORMAT=json``).

Given to uvicorn as its ``log_config``, so that every worker process configures itself alike.
Fields a record carries in ``extra={"fields": {...}}`` (the request line of
:mod:`yimi.ops.requests`) become keys of the JSON object; text shows them in the message.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class OneLine(logging.Filter):
    """Folds a record's exception into its message: for retries that are expected during an outage."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg, record.args = f"{record.getMessage()}: {type(error).__name__}: {error}", None
            record.exc_info = record.exc_text = None
        return True


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    formatter = (
        {"()": JsonFormatter} if log_format == "json" else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"one_line": {"()": OneLine}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default"}},
        "loggers": {
            # uvicorn's loggers propagate to the root, so its lines share the format; its access log
            # is off (yimi.requests writes the richer line).
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # While PostgreSQL is down, asyncpg retries its pool's floor (backing off to a minute)
            # and logs a traceback each time.
            "asyncpg.pool": {"filters": ["one_line"]},
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def configure_logging(log_format: str) -> None:
    import logging.config

    logging.config.dictConfig(logging_config(log_format))
