from __future__ import annotations

import strawberry

from yimi.accounts.types import Staff
from yimi.graphql.context import Info


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in member of staff, or null.")
    def me(self, info: Info) -> Staff | None:
        user = info.context.user
        return Staff.from_model(user) if user else None
