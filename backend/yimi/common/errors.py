"""Errors for expected bad input: they reach the client unmasked and name the argument."""

from __future__ import annotations

from graphql import GraphQLError


class UserInputError(GraphQLError):
    def __init__(self, argument: str, reason: str):
        super().__init__(
            f"Invalid argument '{argument}': {reason}",
            extensions={"code": "BAD_USER_INPUT", "argument": argument},
        )
