"""Global IDs: base64 of "TypeName:pk", as Relay expects."""

from __future__ import annotations

from strawberry.relay import GlobalID

from yimi.common.errors import UserInputError

# Primary keys are IntField: int4 (serial) on PostgreSQL, which refuses a larger number in a query
# ("value out of int32 range") where SQLite would just find nothing. No row has a key this large.
MAX_PK = 2**31


def to_global_id(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


def parse_global_id(value: str, argument: str, expected_type: str | None = None) -> tuple[str, int]:
    try:
        gid = GlobalID.from_id(value)
        pk = int(gid.node_id)
        if not 0 < pk < MAX_PK:
            raise ValueError
    except Exception:
        raise UserInputError(argument, f"'{value}' is not a global ID of this API") from None
    if expected_type is not None and gid.type_name != expected_type:
        raise UserInputError(argument, f"expected the ID of a {expected_type}, got one of a {gid.type_name}")
    return gid.type_name, pk
