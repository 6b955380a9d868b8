"""Cross-site request forgery: only our own pages may run mutations with a browser's cookie.

A page on another site can make the browser POST to ``/graphql`` with our session cookie, but it
cannot add a custom header without a CORS preflight, which this server never answers. So every
HTTP request that runs a mutation must

* carry ``X-Yimi-CSRF: 1`` (the web app's ``graphqlRequest`` always sends it), and
* when it has an ``Origin`` header, come from this server's own origin (host and port, as
  Strawberry compares WebSocket origins, so TLS ended at a proxy still matches) or from one
  listed in ``YIMI_CSRF_TRUSTED_ORIGINS`` (e.g. the Vite dev server).

This holds for anonymous requests too, so that ``signIn`` cannot be forged (login CSRF: a
victim signed in as the attacker). Partner requests (``Authorization: Bearer``) are exempt: the
browser never adds that header by itself. Queries are not checked (they change nothing, and GET
never runs mutations: ``allow_queries_via_get=False``); WebSockets check their ``Origin`` in
Strawberry's handshake. A refusal is HTTP 403 with a plain-text reason, before anything runs.
"""

from __future__ import annotations

import logging
from typing import Any

from cross_web import HTTPException
from strawberry.http.websocket_origin import is_same_origin, normalize_origin

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

log = logging.getLogger("yimi.auth")

CSRF_HEADER = "X-Yimi-CSRF"
CSRF_VALUE = "1"


def _runs_mutation(request_data: Any, max_tokens: int | None) -> bool:
    """Whether any operation of the (possibly batched) request is a mutation.

    Conservative: a document that defines a mutation counts even if another operation is
    chosen. A document that does not parse runs nothing, so it needs no proof here.
    """
    items = request_data if isinstance(request_data, list) else [request_data]
    for item in items:
        query = getattr(item, "query", None)
        if not isinstance(query, str):
            continue
        try:
            document = parse(query, no_location=True, max_tokens=max_tokens)
        except GraphQLError:
            continue
        if any(
            isinstance(d, OperationDefinitionNode) and d.operation is OperationType.MUTATION
            for d in document.definitions
        ):
            return True
    return False


def origin_refusal(request: Any, trusted: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why the request's header or ``Origin`` do not prove it comes from our pages, or None."""
    headers = request.headers
    if headers.get(CSRF_HEADER) != CSRF_VALUE:
        return f"the {CSRF_HEADER}: {CSRF_VALUE} header is missing"
    origin = headers.get("origin")
    if origin is None or is_same_origin(origin, headers.get("host")):
        return None
    normalized = normalize_origin(origin)
    if normalized is not None and normalized in {normalize_origin(t) for t in trusted}:
        return None
    return f"the Origin {origin!r} is not this site's"


def check_request(request: Any, context: Any, request_data: Any) -> None:
    """Raises HTTP 403 when a non-partner HTTP request runs a mutation without proof of origin."""
    if getattr(context, "token", None) is not None:
        return  # Authorization: Bearer — no cookie authority to borrow
    settings = getattr(context, "settings", None)
    reason = origin_refusal(request, getattr(settings, "csrf_trusted_origins", ()))
    if reason is None:
        return
    if _runs_mutation(request_data, getattr(settings, "max_query_tokens", None)):
        client = getattr(request, "client", None)
        log.warning("Refused a mutation as cross-site from %s: %s", client.host if client else "unknown", reason)
        raise HTTPException(
            403,
            f"Cross-site request refused: {reason}. Mutations need the header "
            f"'{CSRF_HEADER}: {CSRF_VALUE}' and, from a browser, a page on this site "
            "(partners authenticate with 'Authorization: Bearer <token>' instead).",
        )
