"""The GraphQL schema: the domains' queries merged, with API limits and error masking."""

from __future__ import annotations

import logging

from strawberry import Schema
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graphql import GraphQLError
from yimi.accounts.mutations import AccountMutation
from yimi.accounts.queries import AccountQuery
from yimi.accounts.read_rules import AccessDenied
from yimi.common.errors import UserInputError
from yimi.enterprises.mutations import EnterpriseMutation
from yimi.enterprises.queries import EnterpriseQuery
from yimi.graphql.documents import CachedDocuments
from yimi.graphql.field_rules import guard_fields
from yimi.graphql.limits import (
    LIMIT_CODES,
    LimitsQuery,
    MaskErrorsWithId,
    RequestLimits,
    hides_schema,
    log_unexpected,
    strip_suggestions,
)
from yimi.graphql.node import NodeQuery
from yimi.graphql.response_cache import ResponseCaching
from yimi.issues.mutations import IssueMutation
from yimi.issues.queries import IssueQuery
from yimi.issues.subscriptions import IssueSubscription
from yimi.stats.queries import StatisticsQuery
from yimi.teams.mutations import TeamMutation
from yimi.teams.queries import TeamQuery
from yimi.townships.queries import TownshipQuery

Query = merge_types(
    "Query",
    (NodeQuery, AccountQuery, TownshipQuery, EnterpriseQuery, IssueQuery, TeamQuery, StatisticsQuery, LimitsQuery),
)
Mutation = merge_types("Mutation", (AccountMutation, IssueMutation, EnterpriseMutation, TeamMutation))
Subscription = merge_types("Subscription", (IssueSubscription,))
logger = logging.getLogger("yimi.limits")


def _should_mask(error: GraphQLError) -> bool:
    # Errors before execution (syntax, validation, variable coercion), expected bad input and
    # refusals (GraphQLError subclasses such as UserInputError and AccessDenied) speak for
    # themselves. Anything a resolver raised otherwise is a bug whose details must not
    # leak: it is logged with its traceback under an error id, and the client sees a generic
    # message with that id (extensions.errorId).
    if error.path is None or error.original_error is None:
        return False
    return not isinstance(error.original_error, GraphQLError)


# Errors that are the server's state, not the caller's mistake nor a bug: a warning each.
WARNING_CODES = frozenset({"LIVE_UPDATES_INTERRUPTED"})


class YimiSchema(Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # Runs before MaskErrors: unexpected errors are logged once, under the id the client gets.
        # Nothing else is logged as an error: a document that does not parse or validate, bad
        # input and refusals are the caller's business, and anyone could fill the log with them
        # (Strawberry's default logs each at ERROR with a traceback).
        context = execution_context.context if execution_context else None
        hide = hides_schema(context)
        for error in errors:
            if hide:
                strip_suggestions(error)
            code = (error.extensions or {}).get("code")
            if _should_mask(error):
                log_unexpected(error)  # nothing for an unreachable database: MaskErrorsWithId logs it
            elif code in WARNING_CODES:
                logger.warning("%s: %s", code, error.message)
            elif code in LIMIT_CODES or isinstance(error.original_error, (AccessDenied, UserInputError)):
                # Refusals and bad input: one line, no traceback.
                logger.info("Refused: %s", error.message)
            else:
                # Syntax, validation, variables, errors a resolver meant for the caller.
                logger.debug("Rejected: %s", error.message)


schema = YimiSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(),
    # Classes or factories, never instances: Strawberry builds them per request. Hooks nest in list
    # order: RequestLimits checks the cost before CachedDocuments skips a validation already done, and
    # ResponseCaching answers from its cache inside RequestLimits, after cost and budget.
    extensions=[
        RequestLimits,
        CachedDocuments,
        ResponseCaching,
        lambda: MaskErrorsWithId(should_mask_error=_should_mask),
    ],
)
# The grant checks of ``needs`` (yimi.graphql.field_rules), without a Strawberry extension per field.
GUARDED_FIELDS = guard_fields(schema._schema)
