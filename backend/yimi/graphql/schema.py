"""The GraphQL schema: the domains' queries merged, with error masking."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry import Schema
from strawberry.extensions import MaskErrors
from strawberry.tools import merge_types

from yimi.common.errors import UserInputError
from yimi.enterprises.queries import EnterpriseQuery
from yimi.graphql.node import NodeQuery
from yimi.issues.queries import IssueQuery
from yimi.teams.queries import TeamQuery
from yimi.townships.queries import TownshipQuery

Query = merge_types("Query", (NodeQuery, TownshipQuery, EnterpriseQuery, IssueQuery, TeamQuery))


def _should_mask(error: GraphQLError) -> bool:
    # Expected errors (bad input, validation) speak for themselves; anything else is a bug whose
    # details must not leak: Strawberry logs it with its traceback and the client sees a generic message.
    original = error.original_error
    if original is None or isinstance(original, UserInputError):
        return False
    return True


schema = Schema(query=Query, extensions=[lambda: MaskErrors(should_mask_error=_should_mask)])
