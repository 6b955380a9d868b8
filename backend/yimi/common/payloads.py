"""The `userErrors` convention of mutation payloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from yimi.common.errors import ServiceError, UserInputError
from yimi.common.ids import parse_global_id

P = TypeVar("P")


@strawberry.type(description="An expected failure: which input field, a machine code and a readable message.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, null for the whole request.")
    code: str = strawberry.field(
        description="NOT_FOUND, FORBIDDEN, UNAUTHENTICATED, INVALID, ILLEGAL_TRANSITION or CONFLICT."
    )
    message: str

    @classmethod
    def from_error(cls, error: ServiceError) -> UserError:
        return cls(field=error.field, code=error.code, message=error.message)


def global_id(value: str, field: str, type_name: str) -> int:
    """The primary key behind a global ID; a bad one is a ServiceError naming the field."""
    try:
        return parse_global_id(value, field, type_name)[1]
    except UserInputError as error:
        reason = error.message.split(": ", 1)[-1]
        raise ServiceError(field, "INVALID", reason) from None


async def run(payload: Callable[..., P], work: Callable[[], Awaitable[P]]) -> P:
    """``work()``'s payload, or ``payload(user_errors=[...])`` for an expected failure."""
    try:
        return await work()
    except ServiceError as error:
        return payload(user_errors=[UserError.from_error(error)])
