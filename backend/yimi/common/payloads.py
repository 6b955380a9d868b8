"""The `userErrors` convention of mutation payloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from yimi.common.errors import ERROR_CODE_MEANINGS, ErrorCode, ServiceError, UserInputError
from yimi.common.ids import parse_global_id
from yimi.common.text import visibly_empty

P = TypeVar("P")

strawberry.enum(
    ErrorCode,
    name="UserErrorCode",
    description="Why a mutation refused its input or act; translate it, the message is an English fallback.\n\n"
    + "\n".join(f"- {code.value}: {meaning}." for code, meaning in ERROR_CODE_MEANINGS.items()),
)


@strawberry.type(description="An expected failure: which input field, a machine code and a readable message.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault as named in the input (e.g. leadTeamId, coHandlerTeamIds[1], "
        "issues[0].title), null for the whole request."
    )
    code: ErrorCode = strawberry.field(description="What went wrong, for the client to translate together with field.")
    message: str = strawberry.field(description="The same in English, for logs and as a fallback.")

    @classmethod
    def from_error(cls, error: ServiceError) -> UserError:
        return cls(field=error.field, code=error.code, message=error.message)


def global_id(value: str | None, field: str, type_name: str, what: str | None = None) -> int:
    """The primary key behind a global ID; a missing or bad one is a ServiceError naming the field.

    ``what`` names the thing for the message when the ID is missing (default: the type's name).
    """
    if value is None or visibly_empty(value):
        raise ServiceError(field, ErrorCode.REQUIRED, f"{what or 'a ' + type_name} is required")
    try:
        return parse_global_id(value, field, type_name)[1]
    except UserInputError as error:
        reason = error.message.split(": ", 1)[-1]
    try:
        parse_global_id(value, field)
    except UserInputError:
        raise ServiceError(field, ErrorCode.NOT_A_GLOBAL_ID, reason) from None
    raise ServiceError(field, ErrorCode.WRONG_ID_TYPE, reason)


async def run(payload: Callable[..., P], work: Callable[[], Awaitable[P]]) -> P:
    """``work()``'s payload, or ``payload(user_errors=[...])`` for an expected failure."""
    try:
        return await work()
    except ServiceError as error:
        return payload(user_errors=[UserError.from_error(error)])
