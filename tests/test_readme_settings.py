"""README's settings table (section "Settings") lists every YIMI_* setting the code reads, with its
default, and no other."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

from pydantic_settings import BaseSettings

import yimi
from yimi.settings import DEV_SECRET_KEY

README = Path(__file__).resolve().parents[1] / "README.md"
ROW = re.compile(r"^\| `(YIMI_[A-Z0-9_]+)` \| ([^|]*) \|", re.M)


def yimi_settings() -> dict[str, object]:
    """Every setting of every settings class under yimi (``YIMI_NAME``: default)."""
    for module in pkgutil.walk_packages(yimi.__path__, "yimi."):
        if not module.name.startswith("yimi.migrations"):
            importlib.import_module(module.name)
    found: dict[str, object] = {}
    classes = list(BaseSettings.__subclasses__())
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if cls.__module__.startswith("yimi.") and cls.model_config.get("env_prefix") == "YIMI_":
            for name, field in cls.model_fields.items():
                found[f"YIMI_{name.upper()}"] = field.default
    return found


def shown(default: object) -> str:
    """A default as the table shows it."""
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, dict | list):
        return f"`{json.dumps(default)}`"
    return f"`{default}`"


def test_the_settings_table_lists_every_setting_with_its_default():
    section = README.read_text(encoding="utf-8").split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {name: cell.strip() for name, cell in ROW.findall(section)}
    settings = yimi_settings()
    assert "YIMI_DATABASE_URL" in settings and "YIMI_IMPORT_MAX_BYTES" in settings  # both settings objects
    assert sorted(set(settings) - set(rows)) == [], "settings missing from README's table"
    assert sorted(set(rows) - set(settings)) == [], "rows of README's table that no code reads"
    for name, default in settings.items():
        if default == DEV_SECRET_KEY:
            continue  # shown as "a development value", on purpose
        cell = rows[name]
        assert cell.startswith(shown(default)), (name, cell, default)
