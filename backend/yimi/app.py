"""The Starlette application: GraphQL at /graphql, the web app at /."""

from __future__ import annotations

import html
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from yimi.accounts.access import access_for
from yimi.accounts.csrf import check_request
from yimi.accounts.service import SignInThrottle, active_staff
from yimi.accounts.tokens import token_for_secret
from yimi.common.errors import ServiceError
from yimi.db import close_db, init_db
from yimi.graphql.context import Context
from yimi.graphql.limits import Budget
from yimi.graphql.schema import schema
from yimi.live.broker import Broker, make_broker
from yimi.settings import Settings, get_settings

SESSION_COOKIE = "yimi_session"
SESSION_SECONDS = 8 * 3600


class YimiGraphQL(GraphQL):
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

    async def get_context(self, request, response) -> Context:
        now = datetime.now(UTC)
        user = token = None
        authorization = request.headers.get("authorization")
        if authorization:
            # A partner token replaces the cookie session: a request is either a partner's or staff's.
            token = await _partner_token(authorization, now)
        else:
            user = await active_staff(request.session.get("staff_id"))
        return Context(
            settings=self.settings,
            request=request,
            response=response,
            broker=self.broker,
            now=now,
            user=user,
            token=token,
            access=await access_for(user, token),
        )

    async def execute_operation(self, request, request_adapter, request_data, context, root_value, sub_response):
        check_request(request, context, request_data)  # mutations need proof of origin (yimi.accounts.csrf)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )


async def _partner_token(authorization: str, now):
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise HTTPException(401, "Authorization must be 'Bearer <token>'")
    try:
        return await token_for_secret(secret.strip(), now)
    except ServiceError as error:
        raise HTTPException(401, f"Invalid token: {error.message}") from None


def _frontend_routes(settings: Settings) -> list:
    dist = settings.frontend_dist
    index = dist / "index.html"

    async def spa(request: Request) -> Response:
        # Client-side routes all load the same page; a missing build says how to make it.
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
            await init_db(settings)
        try:
            yield
        finally:
            await broker.close()
            await app.state.budget.close()
            await app.state.sign_in_throttle.close()
            if manage_db:
                await close_db()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/healthz", health),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),
        *_frontend_routes(settings),
    ]
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_SECONDS,
            same_site="lax",
            https_only=settings.env == "production",
        )
    ]
    app = Starlette(debug=settings.debug, routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.broker = broker
    app.state.budget = Budget(settings)  # API points per caller (yimi.graphql.limits)
    app.state.sign_in_throttle = SignInThrottle(settings)  # failed sign-ins per username and IP
    return app
