"""Text and lists from clients: a documented limit on each, and only characters every database stores.

PostgreSQL refuses a NUL character in text and neither database can encode an unpaired UTF-16
surrogate (JSON's "\\ud800" decodes to one), so either would reach the client as "Unexpected
error." from deep inside a query; SQLite would even store the NUL. Both are refused here, the
same way on both databases, before any SQL runs. Lengths count characters (code points).
The README's "Input limits" lists the limits below; the schema's descriptions state them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TypeVar

from yimi.common.errors import ErrorCode, ServiceError, UserInputError

T = TypeVar("T")

# Free text of the issue workflow and visits (mutations; a longer text is a userError naming the field).
MAX_TITLE = 200  # the column's length
MAX_DESCRIPTION = 10_000  # an issue's description, a visit's notes
MAX_SUMMARY = 5_000  # a resolution summary
MAX_NOTE = 2_000  # notes, instructions, reasons, comments
# Query arguments (a longer one is a BAD_USER_INPUT error naming the argument).
MAX_SEARCH = 100  # SQLite refuses LIKE patterns over 50,000 bytes; nobody searches with a page of text
MAX_LIST = 1_000  # values in a list argument: codes, enum values (SQLite allows 32,766 SQL variables)
MAX_LIST_ITEM = 100  # characters in one value of such a list (longer ones could match no column anyway)
LIST = f"At most {MAX_LIST:,} values, each at most {MAX_LIST_ITEM} characters."


# Characters that show nothing: whitespace (Unicode category Zs, Zl, Zp, and tab or newline),
# format characters (Cf: zero-width space, joiners U+200B to U+200D, U+FEFF, word joiner, bidi
# marks...), other control characters (Cc), and the letters that render blank (Hangul fillers,
# the blank Braille pattern). Required text made only of these is empty.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf", "Cc"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u200b\u200c\u200d\ufeff")


def visibly_empty(value: str) -> bool:
    """Whether ``value`` shows nothing: only whitespace, format characters and other invisibles."""
    return all(
        ch.isspace() or ch in _BLANK_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in value
    )


def text_problem(value: str, max_length: int) -> str | None:
    """Why ``value`` cannot be taken, or None."""
    refusal = _text_refusal(value, max_length)
    return refusal[1] if refusal else None


def _text_refusal(value: str, max_length: int) -> tuple[ErrorCode, str] | None:
    if len(value) > max_length:
        return ErrorCode.TOO_LONG, f"at most {max_length:,} characters, got {len(value):,}"
    if "\x00" in value:
        return ErrorCode.INVALID, "must not contain NUL characters (U+0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return ErrorCode.INVALID, "must not contain unpaired UTF-16 surrogates (U+D800 to U+DFFF): send valid Unicode"
    return None


def checked_field(value: str | None, field: str, max_length: int) -> str:
    """``value`` stripped, for a mutation's input field; ServiceError (TOO_LONG, INVALID) naming ``field``."""
    text = (value or "").strip()
    if (refusal := _text_refusal(text, max_length)) is not None:
        raise ServiceError(field, *refusal)
    return text


def required_field(value: str | None, field: str, what: str, max_length: int) -> str:
    """As ``checked_field``, and not empty: text that shows nothing (``visibly_empty``: zero-width
    spaces, format characters, whitespace of any kind) counts as empty."""
    text = checked_field(value, field, max_length)
    if visibly_empty(text):
        raise ServiceError(field, ErrorCode.REQUIRED, f"{what} is required")
    return text


def checked_field_list(values: Sequence[str], field: str, max_items: int = MAX_LIST) -> list[str]:
    """A mutation's list of short strings (codes, IDs); ServiceError (TOO_MANY, ...) naming the field or item."""
    if len(values) > max_items:
        raise ServiceError(field, ErrorCode.TOO_MANY, f"at most {max_items:,} values, got {len(values):,}")
    for i, value in enumerate(values):
        if (refusal := _text_refusal(value, MAX_LIST_ITEM)) is not None:
            raise ServiceError(f"{field}[{i}]", *refusal)
    return list(values)


def checked_argument(value: str | None, argument: str, max_length: int = MAX_SEARCH) -> str | None:
    """``value`` for a query argument; UserInputError naming ``argument`` if refused."""
    if value is None:
        return None
    if (problem := text_problem(value, max_length)) is not None:
        raise UserInputError(argument, problem)
    return value


def checked_list(values: Sequence[T] | None, argument: str, max_items: int = MAX_LIST) -> list[T] | None:
    """A list argument of at most ``max_items`` values; its strings checked as ``checked_argument``."""
    if values is None:
        return None
    if len(values) > max_items:
        raise UserInputError(argument, f"at most {max_items:,} values, got {len(values):,}")
    for i, value in enumerate(values):
        if isinstance(value, str):
            checked_argument(value, f"{argument}[{i}]", MAX_LIST_ITEM)
    return list(values)
