"""Errors for expected bad input: they reach the client unmasked and name the argument."""

from __future__ import annotations

from enum import Enum

from graphql import GraphQLError


class UserInputError(GraphQLError):
    def __init__(self, argument: str, reason: str):
        super().__init__(
            f"Invalid argument '{argument}': {reason}",
            extensions={"code": "BAD_USER_INPUT", "argument": argument},
        )


class ErrorCode(str, Enum):
    """Why an expected failure happened, for a client to translate (the message is English)."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    NOT_A_GLOBAL_ID = "NOT_A_GLOBAL_ID"
    WRONG_ID_TYPE = "WRONG_ID_TYPE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NOT_A_WORKING_DAY = "NOT_A_WORKING_DAY"
    DUPLICATE = "DUPLICATE"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    THROTTLED = "THROTTLED"


# What each code means, for the schema (yimi.common.payloads) and the README's list.
ERROR_CODE_MEANINGS: dict[ErrorCode, str] = {
    ErrorCode.REQUIRED: "the field is required and was missing or blank",
    ErrorCode.TOO_LONG: "the text is longer than the field allows (the limit is in the field's description)",
    ErrorCode.TOO_MANY: "the list has more values than the field allows",
    ErrorCode.NOT_A_GLOBAL_ID: "the value is not an ID of this API",
    ErrorCode.WRONG_ID_TYPE: "the ID is of another type than the field takes (e.g. an Enterprise ID for a team)",
    ErrorCode.OUT_OF_RANGE: "a time or number outside what the field allows (e.g. a deadline in the past)",
    ErrorCode.NOT_A_WORKING_DAY: "the day is not a working day of the Chinese calendar (weekend or holiday)",
    ErrorCode.DUPLICATE: "the value is already taken, or an equal request is already pending",
    ErrorCode.INVALID: "the value is malformed in another way; the message says how",
    ErrorCode.NOT_FOUND: "the ID names nothing you may read",
    ErrorCode.UNAUTHENTICATED: "sign in first, or the credentials are wrong",
    ErrorCode.FORBIDDEN: "your roles do not allow this act on this object (see Issue.viewerActions)",
    ErrorCode.ILLEGAL_TRANSITION: "the object's status does not allow this act now (see Issue.viewerActions)",
    ErrorCode.CONFLICT: "someone else changed the object since you read it: reload it and try again",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "the idempotency key was already used for different input",
    ErrorCode.THROTTLED: "too many attempts: wait, then try again",
}


class ServiceError(Exception):
    """An expected failure of a business rule; mutations turn it into a `userErrors` entry.

    ``field`` names the input field at fault (None for the whole request); ``code`` is an
    ``ErrorCode`` (or its name), so that a client can translate it; ``message`` is the English text.
    """

    def __init__(self, field: str | None, code: ErrorCode | str, message: str):
        super().__init__(message)
        self.field = field
        self.code = ErrorCode(code)
        self.message = message
