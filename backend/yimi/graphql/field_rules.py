"""Field rules: a field that needs a read grant says so with ``extensions=needs(Grant.X)``.

The check runs before the resolver; a caller without the grant gets an AccessDenied error
(UNAUTHENTICATED for the public, FORBIDDEN otherwise) at that field. Row rules are not here: they
live in the querysets of ``yimi.accounts.read_rules.Access``, which every query and loader starts from.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from yimi.accounts.read_rules import Grant


class Needs(BasePermission):
    def __init__(self, grant: Grant):
        self.grant = grant

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        info.context.access.require(self.grant)  # raises with the reason and the code
        return True


@cache
def _extension(grant: Grant) -> PermissionExtension:
    return PermissionExtension(permissions=[Needs(grant)], use_directives=False)


def needs(grant: Grant) -> list[FieldExtension]:
    return [_extension(grant)]
