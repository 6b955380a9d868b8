"""The GraphQL schema: the domains' queries merged, with error masking."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry import Schema
from strawberry.extensions import MaskErrors
from strawberry.tools import merge_types

from yimi.accounts.mutations import AccountMutation
from yimi.accounts.queries import AccountQuery
from yimi.common.errors import UserInputError
from yimi.enterprises.mutations import EnterpriseMutation
from yimi.enterprises.queries import EnterpriseQuery
from yimi.graphql.node import NodeQuery
from yimi.issues.mutations import IssueMutation
from yimi.issues.queries import IssueQuery
from yimi.issues.subscriptions import IssueSubscription
from yimi.teams.mutations import TeamMutation
from yimi.teams.queries import TeamQuery
from yimi.townships.queries import TownshipQuery

Query = merge_types("Query", (NodeQuery, AccountQuery, TownshipQuery, EnterpriseQuery, IssueQuery, TeamQuery))
Mutation = merge_types("Mutation", (AccountMutation, IssueMutation, EnterpriseMutation, TeamMutation))
Subscription = merge_types("Subscription", (IssueSubscription,))


def _should_mask(error: GraphQLError) -> bool:
    # Errors before execution (syntax, validation, variable coercion) and expected bad input
    # speak for themselves. Anything a resolver raised otherwise is a bug whose details must not
    # leak: Strawberry logs it with its traceback and the client sees a generic message.
    if error.path is None or error.original_error is None:
        return False
    return not isinstance(error.original_error, UserInputError)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[lambda: MaskErrors(should_mask_error=_should_mask)],
)
