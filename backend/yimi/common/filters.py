"""Helpers for filtering on client-supplied values."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.models import Model


def fitting(values: Iterable[str], model: type[Model], field: str) -> list[str]:
    """The values short enough for ``model.field``; only they can match its column exactly.

    A longer value cannot be stored there, so it matches nothing, but Tortoise validates the
    values of an ``__in`` filter against the field and raises ``ValidationError`` (an
    unexpected error to the client) while building the query. Filter with this instead.
    """
    max_length = getattr(model._meta.fields_map[field], "max_length", None)
    return [v for v in values if max_length is None or len(v) <= max_length]
