from __future__ import annotations

import strawberry

from yimi.accounts.service import SignInThrottle, end_sessions, sign_in_attempt, start_session
from yimi.accounts.types import Staff
from yimi.common.errors import ServiceError
from yimi.common.payloads import UserError
from yimi.graphql.context import Info


@strawberry.input
class SignInInput:
    username: str
    password: str


@strawberry.type
class SignInPayload:
    staff: Staff | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignOutPayload:
    signed_out: bool


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Start a cookie session for a member of staff.")
    async def sign_in(self, info: Info, input: SignInInput) -> SignInPayload:
        request = info.context.request
        client = getattr(request, "client", None)
        ip = client.host if client else "unknown"
        try:
            # Too many recent failures for the username or the IP: THROTTLED, password unchecked.
            staff = await sign_in_attempt(input.username, input.password, ip, _throttle(info))
        except ServiceError as error:
            return SignInPayload(user_errors=[UserError.from_error(error)])
        start_session(request.session, staff)
        info.context.user = staff
        return SignInPayload(staff=Staff.from_model(staff))

    @strawberry.mutation(
        description="End the cookie session, and every other session of the same person, on any device: "
        "a copied cookie stops working too."
    )
    async def sign_out(self, info: Info) -> SignOutPayload:
        if info.context.user is not None:
            await end_sessions(info.context.user)
        info.context.request.session.clear()
        info.context.user = None
        return SignOutPayload(signed_out=True)


def _throttle(info: Info) -> SignInThrottle:
    """The app's failed sign-in counters (``create_app`` makes them; made here if it did not)."""
    state = info.context.request.app.state
    throttle = getattr(state, "sign_in_throttle", None)
    if throttle is None:
        throttle = state.sign_in_throttle = SignInThrottle(info.context.settings)
    return throttle
