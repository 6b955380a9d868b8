"""The Starlette application: GraphQL at /graphql, the web app at /."""

from __future__ import annotations

import gc
import html
import logging
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocketState
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.unset import UNSET

from yimi.accounts.csrf import check_request
from yimi.accounts.read_rules import PUBLIC, PUBLIC_ACCESS, Access, access_for, refreshed
from yimi.accounts.service import SESSION_STAFF_ID, SESSION_VERSION, SignInThrottle, session_staff
from yimi.accounts.tokens import call_log, check_in, hash_token, token_for_secret
from yimi.common import data_version
from yimi.common.errors import ServiceError
from yimi.common.http_body import MAX_MESSAGE_DEPTH, checked_body, message_problem, refuse_subscription
from yimi.db import DatabaseNotReady, close_db, init_ready_db, is_unavailable
from yimi.graphql.context import Callers, Context, Loaders
from yimi.graphql.encoding import compressed, json_body
from yimi.graphql.limits import RETRY_AFTER_SECONDS, Budget, caller_kind, log_unavailable, unavailable_error
from yimi.graphql.response_cache import ResponseCache
from yimi.graphql.schema import schema
from yimi.graphql.shared_answers import SharedAnswers
from yimi.imports.web import UploadSizeLimit
from yimi.imports.web import routes as import_routes
from yimi.live.broker import Broker, make_broker
from yimi.ops.health import healthz, readyz
from yimi.ops.metrics import metrics, process_exiting
from yimi.ops.requests import RequestLog, record_of
from yimi.ops.security_headers import SecurityHeaders
from yimi.settings import Settings, get_settings
from yimi.stats.open_data import routes as open_data_routes

log = logging.getLogger("yimi.app")

SESSION_COOKIE = "yimi_session"
SESSION_SECONDS = 8 * 3600
# GraphiQL's page (YimiGraphQL.render_graphql_ide): its scripts come from /graphiql/, never a CDN.
GRAPHIQL_PAGE = files("yimi.graphql").joinpath("graphiql.html").read_text(encoding="utf-8")
# graphql-transport-ws "Unauthorized": the caller must sign in again (graphql-ws clients do not
# retry it, as they would 4403).
CALLER_GONE_CLOSE_CODE = 4401
# The database does not answer: RFC 6455 "Try Again Later" (graphql-ws clients reconnect after it,
# as they would not after 1011).
UNAVAILABLE_CLOSE_CODE = 1013
# The cycle collector's young generation collected every 50,000 new objects instead of 700: a request
# allocates thousands, and each collection also walks whatever a map layer build holds at that moment.
GC_THRESHOLDS = (50_000, 20, 20)


async def close_unavailable(websocket, exc: BaseException) -> None:
    """Ends a WebSocket whose caller cannot be looked up while the database is down: a close frame
    saying so, and one log line under the error id it names (as HTTP callers get a 503)."""
    error_id = log_unavailable(exc)
    await websocket.close(code=UNAVAILABLE_CLOSE_CODE, reason=f"service unavailable [error id {error_id}]")


class CurrentCallerHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws where each operation (query, mutation or subscription) starts with the
    caller's access as it is then, not as it was when the socket opened: a revoked or expired
    token, a disabled account, or a session ended by a sign-out or a new password (anywhere, in
    any process: the database says so) closes the socket instead. Running subscriptions check at
    every event (yimi.issues.subscriptions).

    Strawberry gives all operations of a socket one context; they are all the same caller's, so
    the latest look-up serves them all.

    Each message's shape is checked before strawberry reads it (yimi.common.http_body.message_problem,
    with the variable nesting bound of HTTP): one that is not a protocol message closes the socket
    with 4400 (the protocol's code for an invalid message) and a short reason, logged in one line.
    """

    async def handle(self) -> None:
        try:
            await super().handle()
        except RecursionError:  # JSON nested past Python's recursion limit does not even decode
            await self.refuse_message(f"message nests deeper than {MAX_MESSAGE_DEPTH} levels")

    async def handle_message(self, message: Any) -> None:
        if (problem := message_problem(message)) is not None:
            await self.refuse_message(problem)
            return
        await super().handle_message(message)

    async def refuse_message(self, reason: str) -> None:
        log.info("graphql-transport-ws message refused (4400): %s", reason)
        reason = reason.encode()[:123].decode(errors="ignore")  # a close frame's reason: at most 123 bytes
        with suppress(RuntimeError):  # the client closed it already
            await self.websocket.close(code=4400, reason=reason)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            now = datetime.now(UTC)
            try:
                access = await refreshed(self.context.access, now)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                await close_unavailable(self.websocket, exc)
                return
            if access is None:
                reason = "Unauthorized: the session ended or the token is no longer valid"
                await self.websocket.close(code=CALLER_GONE_CLOSE_CODE, reason=reason)
                return
            context = self.context
            context.access, context.user, context.token, context.now = access, access.staff, access.token, now
            context.loaders = Loaders(now, access)  # no rows cached under the access of before
        await super().handle_subscribe(message)


class YimiGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = CurrentCallerHandler

    def __init__(self, settings: Settings, broker: Broker):
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=False,
            # Subscriptions speak graphql-transport-ws only (the legacy graphql-ws protocol is
            # unmaintained); pages on other origins are refused unless listed in allowed_origins.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.settings = settings
        self.broker = broker
        self.versions = data_version.VersionReads()

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our page, not Strawberry's: GraphiQL from this server (/graphiql/, built into frontend/dist),
        # no CDN and no inline script, sending X-Yimi-CSRF with each request (graphql/graphiql.html).
        return HTMLResponse(GRAPHIQL_PAGE)

    def create_response(self, response_data, sub_response) -> Response:
        # As Strawberry's, with orjson and the cached answers' JSON reused (yimi.graphql.encoding).
        response = json_body(response_data)
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    def parse_json(self, data: str | bytes) -> Any:
        return checked_body(super().parse_json, data)  # a JSON object, or HTTP 400 (yimi.common.http_body)

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        refuse_subscription(request_data.query, self.settings.max_query_tokens)
        return await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)

    async def get_context(self, request, response) -> Context:
        now = datetime.now(UTC)
        authorization = request.headers.get("authorization")
        record = record_of(request)
        if record is not None:  # who it claims to be, should the lookup fail
            record.caller = "partner" if authorization else "staff" if request.session.get("staff_id") else "public"
        version = None  # a socket's operations share this context for hours: each reads its own version
        if self.is_websocket_request(request):
            # Who the caller is, no more: every operation on the socket rebuilds the access before
            # it runs (CurrentCallerHandler.handle_subscribe), so one built now would go unused.
            user, token = await _caller(request.session, authorization, now)
            access = PUBLIC_ACCESS if user is None and token is None else Access(grants=PUBLIC, staff=user, token=token)
        else:
            # First: what is read below, the callers' rows included, is at least as new as this version.
            version = await self.versions.current()
            user, token, access = await _known_caller(request, authorization, now, version)
        context = Context(
            settings=self.settings,
            request=request,
            response=response,
            broker=self.broker,
            at=now,
            user=user,
            token=token,
            access=access,
            record=record,
            data_version=version,
        )
        if record is not None:
            record.caller = caller_kind(context)
        return context

    async def run(self, request, context=UNSET, root_value=UNSET):
        try:
            response = await super().run(request, context, root_value)
        except ClientDisconnect:
            # The client went away before its request arrived whole: nobody to answer, no error of ours
            # (it was logged as a 500 with a traceback: anyone could fill the log). 499 as nginx says it.
            return Response(status_code=499)
        except Exception as exc:
            # The session or token lookup in get_context runs before GraphQL can answer with an
            # error: without this, a signed-in caller would get a bare 500 while the database is down.
            if not is_unavailable(exc):
                raise
            if self.is_websocket_request(request):  # accepted already: close it with a reason
                if request.application_state == WebSocketState.CONNECTED:
                    await close_unavailable(request, exc)
                return request
            return _unavailable(request, exc)
        return await compressed(request, response)

    async def execute_operation(self, request, request_adapter, request_data, context, root_value, sub_response):
        check_request(request, context, request_data)  # mutations need proof of origin (yimi.accounts.csrf)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )


async def _caller(session: dict, authorization: str | None, now: datetime) -> tuple[Any, Any]:
    """The signed-in staff and the partner token (a request is either a partner's or staff's)."""
    if authorization:
        return None, await _partner_token(_secret(authorization), now)
    return await session_staff(session), None


async def _known_caller(request: Request, authorization: str | None, now: datetime, version: int) -> tuple:
    """The caller and their access, from the app's Callers when it knows them at ``version``."""
    callers: Callers = request.app.state.callers
    if authorization:
        secret = _secret(authorization)
        key: tuple = ("token", hash_token(secret))
    else:
        staff_id, session_version = request.session.get(SESSION_STAFF_ID), request.session.get(SESSION_VERSION)
        key = ("staff", staff_id, session_version) if isinstance(staff_id, int) else ("public",)
    known = callers.get(key, version)
    if known is None:
        user, token = await _caller(request.session, authorization, now)
        known = (user, token, await access_for(user, token))
        callers.put(key, version, known)
    elif known[1] is not None:
        try:
            await check_in(known[1], now)  # expiry is the clock's, not a write
        except ServiceError as error:
            raise HTTPException(401, f"Invalid token: {error.message}") from None
    return known


def _secret(authorization: str) -> str:
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise HTTPException(401, "Authorization must be 'Bearer <token>'")
    return secret.strip()


async def _partner_token(secret: str, now: datetime):
    try:
        return await token_for_secret(secret, now)
    except ServiceError as error:
        raise HTTPException(401, f"Invalid token: {error.message}") from None


def _unavailable(request: Request, exc: Exception) -> Response:
    error_id = log_unavailable(exc)
    record = record_of(request)
    if record is not None:
        record.outcome, record.error_id = "unavailable", error_id
    body = {"data": None, "errors": [unavailable_error(error_id).formatted]}
    return JSONResponse(body, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


# First path segments the web app's client-side routes never use: anything under them that no
# route answered is a 404, never the page.
RESERVED_PATHS = frozenset({"healthz", "readyz", "metrics", "graphql", "open-data", "assets", "imports", "graphiql"})


def _frontend_routes(settings: Settings) -> list:
    dist = settings.frontend_dist
    index = dist / "index.html"

    async def spa(request: Request) -> Response:
        # Client-side routes all load the same page; a missing build says how to make it.
        if request.url.path.strip("/").split("/", 1)[0].lower() in RESERVED_PATHS:
            # /readyz/, /METRICS, //metrics, a missing asset: not the web app, so that a probe
            # configured with a stray slash fails instead of always passing on the HTML page.
            return PlainTextResponse("Not Found", 404)
        if not index.exists():
            return PlainTextResponse("The web app is not built: run `make run` (or `npm run build` in frontend/).", 503)
        page = index.read_text(encoding="utf-8")
        if settings.tile_url:
            # The optional raster base map is a deployment choice, so the page learns it at serve time.
            meta = f'<meta name="yimi-tile-url" content="{html.escape(settings.tile_url, quote=True)}">'
            page = page.replace("</head>", f"  {meta}\n  </head>", 1)
        return HTMLResponse(page)

    routes: list = []
    if (dist / "assets").is_dir():
        routes.append(Mount("/assets", app=StaticFiles(directory=dist / "assets"), name="assets"))
    if (dist / "graphiql").is_dir():  # GraphiQL's own copies of React and GraphiQL, and its boot script
        routes.append(Mount("/graphiql", app=StaticFiles(directory=dist / "graphiql"), name="graphiql"))
    routes.append(Route("/{path:path}", spa, methods=["GET", "HEAD"]))
    return routes


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """``manage_db=False`` leaves Tortoise to the caller (tests share one initialised ORM)."""
    settings = settings or get_settings()
    broker = make_broker(settings)
    graphql_app = YimiGraphQL(settings, broker)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if manage_db:
            try:
                await init_ready_db(settings)
            except DatabaseNotReady as exc:
                log.error("yimi: %s", exc)
                raise
        # What is loaded by now (the schema, the libraries, the ORM's models: some 135,000 objects) lives as
        # long as the process: out of every full collection of the cycle collector, which walked them all
        # (a 100-300 ms pause of every request in flight, every few seconds under load).
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            await call_log.flush()  # the partner calls not yet written (yimi.accounts.tokens.CallLog)
            await broker.close()
            await app.state.budget.close()
            await app.state.sign_in_throttle.close()
            if app.state.shared_answers is not None:
                await app.state.shared_answers.close()
            if manage_db:
                await close_db()
            process_exiting()

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),
        *open_data_routes,  # public statistics as GET URLs (yimi.stats.open_data)
        *import_routes,  # the web import for administrators (yimi.imports.web)
        *_frontend_routes(settings),
    ]
    middleware = [
        # Outermost, so that every answer carries the headers, refusals included.
        Middleware(SecurityHeaders, tile_url=settings.tile_url),
        Middleware(RequestLog),
        # Before anything reads a body: oversized requests are refused while they stream in.
        # (YIMI_IMPORT_MAX_BYTES instead under /imports/: uploads of registers and ledgers.)
        Middleware(UploadSizeLimit, max_bytes=settings.max_request_bytes),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_SECONDS,
            same_site="lax",
            https_only=settings.env == "production",
        ),
    ]
    app = Starlette(debug=settings.debug, routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.broker = broker
    app.state.budget = Budget(settings)  # API points per caller (yimi.graphql.limits)
    app.state.callers = Callers()  # who each session and token is, per data version (yimi.graphql.context)
    app.state.response_cache = ResponseCache(settings.response_cache_entries, settings.response_cache_megabytes << 20)
    # The same answers for every process (yimi.graphql.shared_answers).
    redis_url = settings.redis_url if settings.response_cache_entries > 0 else None
    app.state.shared_answers = SharedAnswers(redis_url) if redis_url else None
    app.state.sign_in_throttle = SignInThrottle(settings)  # failed sign-ins per username and IP
    return app
