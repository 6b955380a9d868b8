"""GraphQL object types filled from a Tortoise row (or a service's dataclass) without restating it.

A type declares what it publishes — names, GraphQL types, descriptions, field rules — and nothing
else: ``fill(cls, source, **values)`` copies every constructor field of ``cls`` that is also a
column of ``source`` (a Tortoise model field, or a dataclass field or property) under the same
name. The few fields whose value is not the column of the same name (a point made of two columns,
a converted list) and the row itself, which types keep in ``row`` for their resolvers (foreign
keys, computed fields), are passed as ``values`` and win over a copied column. A published field
that is neither copied nor passed fails loudly, at the first object built, as a missing
constructor argument.

The names are worked out once per (type, source class); what is left per object is one dict of
the shared columns (under a microsecond over a hand-written constructor call: under 0.1 ms on a
100-row page, which takes 20 to 50 ms).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from tortoise.models import Model

T = TypeVar("T")


def fill(cls: type[T], source: object, **values: Any) -> T:
    """An instance of the Strawberry type ``cls`` with the columns of ``source`` it shares, and ``values``."""
    key = (cls, type(source))
    names = _SHARED_COLUMNS.get(key)
    if names is None:
        names = _SHARED_COLUMNS[key] = _shared_columns(*key)
    copied = {name: getattr(source, name) for name in names}
    copied.update(values)
    return cls(**copied)


_SHARED_COLUMNS: dict[tuple[type, type], tuple[str, ...]] = {}


def _shared_columns(cls: type, source_type: type) -> tuple[str, ...]:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a Strawberry type")
    columns = _columns(source_type)
    return tuple(f.name for f in dataclasses.fields(cls) if f.init and f.name in columns)


def _columns(source_type: type) -> set[str]:
    if issubclass(source_type, Model):
        return set(source_type._meta.fields_map)
    if dataclasses.is_dataclass(source_type):
        properties = {name for name in dir(source_type) if isinstance(getattr(source_type, name), property)}
        return {f.name for f in dataclasses.fields(source_type)} | properties
    raise TypeError(f"{source_type.__name__} is neither a Tortoise model nor a dataclass")
