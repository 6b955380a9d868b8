"""What a GraphQL request over HTTP must be before anything runs: clear HTTP 400s, not 500s.

Strawberry takes any JSON value as the body and calls ``.get`` on it, lets invalid UTF-8 and
JSON nested past Python's recursion limit escape as exceptions, and runs a subscription sent by
POST as a query, which fails deep inside. ``yimi.app.YimiGraphQL`` calls these instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cross_web import HTTPException

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

# Variables of this schema nest a few levels (an input object in a list in an input object);
# deeper ones can only be an attack on the recursion of whatever reads them.
MAX_VARIABLE_DEPTH = 32


def checked_body(parse_json: Callable[[str | bytes], Any], data: str | bytes) -> Any:
    """The parsed body: a JSON object (or a list of them, which batching rules then judge)."""
    try:
        body = parse_json(data)
    except UnicodeDecodeError:
        raise HTTPException(400, "The request body is not valid UTF-8") from None
    except RecursionError:
        raise HTTPException(400, f"The request body nests deeper than {MAX_VARIABLE_DEPTH} levels") from None
    items = body if isinstance(body, list) else [body]
    for item in items:
        if not isinstance(item, dict):
            raise HTTPException(400, 'The request body must be a JSON object: {"query": "...", "variables": {...}}')
        if (problem := _nesting_problem(item)) is not None:
            raise HTTPException(400, problem)
    return body


def _nesting_problem(payload: dict) -> str | None:
    """Why the variables or extensions of a request nest too deep, or None."""
    variables = payload.get("variables")
    if isinstance(variables, dict):
        for name, value in variables.items():
            if _deeper_than(value, MAX_VARIABLE_DEPTH):
                return f"Variable '${name}' nests lists or objects deeper than {MAX_VARIABLE_DEPTH} levels"
    if _deeper_than(payload.get("extensions"), MAX_VARIABLE_DEPTH):
        return f"'extensions' nests lists or objects deeper than {MAX_VARIABLE_DEPTH} levels"
    return None


# The deepest graphql-transport-ws message worth reading: a subscribe message's variable values at
# MAX_VARIABLE_DEPTH (message, payload, variables, then the value's own levels).
MAX_MESSAGE_DEPTH = MAX_VARIABLE_DEPTH + 3


def message_problem(message: object) -> str | None:
    """Why a graphql-transport-ws message from a client is not one strawberry can handle, or None.

    Strawberry indexes into each message as if it had the protocol's shape: anything else (a JSON
    string, null, a list, an object as the id, a payload that is not an object, a query that is not
    a string) escaped as an unhandled exception. ``yimi.app.CurrentCallerHandler`` closes the socket
    with 4400 and this reason instead (short: a close reason holds at most 123 bytes).
    """
    if not isinstance(message, dict):
        return "message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "message 'type' must be a string"
    if _deeper_than(message, MAX_MESSAGE_DEPTH):
        return f"message nests deeper than {MAX_MESSAGE_DEPTH} levels"
    if kind in ("subscribe", "complete"):
        op_id = message.get("id")
        if not isinstance(op_id, str) or not op_id:
            return f"{kind} message 'id' must be a non-empty string"
    if kind != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "subscribe 'payload' must be an object"
    if not isinstance(payload.get("query"), str):
        return "subscribe 'query' must be a string"
    for key in ("variables", "extensions"):
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"subscribe '{key}' must be an object or null"
    if payload.get("operationName") is not None and not isinstance(payload["operationName"], str):
        return "subscribe 'operationName' must be a string or null"
    return _nesting_problem(payload)


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def refuse_subscription(query: object, max_tokens: int | None) -> None:
    """HTTP 400 when the document defines a subscription: those run over the WebSocket only."""
    if not isinstance(query, str) or "subscription" not in query:
        return  # the keyword is lowercase: no other document can define one
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return  # GraphQL answers for a document that does not parse
    if any(
        isinstance(d, OperationDefinitionNode) and d.operation is OperationType.SUBSCRIPTION
        for d in document.definitions
    ):
        raise HTTPException(
            400,
            "Subscriptions run over a WebSocket at /graphql (protocol graphql-transport-ws), not over HTTP",
        )
