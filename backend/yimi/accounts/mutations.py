from __future__ import annotations

import strawberry

from yimi.accounts.service import authenticate
from yimi.accounts.types import Staff
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
        staff = await authenticate(input.username, input.password)
        if staff is None:
            return SignInPayload(
                user_errors=[UserError(field="password", code="UNAUTHENTICATED", message="wrong username or password")]
            )
        session = info.context.request.session
        session.clear()
        session["staff_id"] = staff.id
        info.context.user = staff
        return SignInPayload(staff=Staff.from_model(staff))

    @strawberry.mutation(description="End the cookie session.")
    async def sign_out(self, info: Info) -> SignOutPayload:
        info.context.request.session.clear()
        info.context.user = None
        return SignOutPayload(signed_out=True)
