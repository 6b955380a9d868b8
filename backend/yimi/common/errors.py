"""Errors for expected bad input: they reach the client unmasked and name the argument."""

from __future__ import annotations

from graphql import GraphQLError


class UserInputError(GraphQLError):
    def __init__(self, argument: str, reason: str):
        super().__init__(
            f"Invalid argument '{argument}': {reason}",
            extensions={"code": "BAD_USER_INPUT", "argument": argument},
        )


class ServiceError(Exception):
    """An expected failure of a business rule; mutations turn it into a `userErrors` entry.

    ``field`` names the input field at fault (None for the whole request); ``code`` is one of
    NOT_FOUND, FORBIDDEN, UNAUTHENTICATED, INVALID, ILLEGAL_TRANSITION, CONFLICT.
    """

    def __init__(self, field: str | None, code: str, message: str):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message
