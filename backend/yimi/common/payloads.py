"""The `userErrors` convention of mutation payloads."""

from __future__ import annotations

import strawberry

from yimi.common.errors import ServiceError


@strawberry.type(description="An expected failure: which input field, a machine code and a readable message.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, null for the whole request.")
    code: str = strawberry.field(
        description="NOT_FOUND, FORBIDDEN, UNAUTHENTICATED, INVALID, ILLEGAL_TRANSITION or CONFLICT."
    )
    message: str

    @classmethod
    def from_error(cls, error: ServiceError) -> "UserError":
        return cls(field=error.field, code=error.code, message=error.message)
