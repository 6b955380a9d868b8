import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.databases import query
from yimi.accounts.models import PartnerToken
from yimi.accounts.tokens import call_log, create_token, hash_token, log_call, revoke_token, token_for_secret
from yimi.common.errors import ServiceError

NOW = datetime(2026, 11, 25, 8, tzinfo=UTC)


async def test_token_is_shown_once_and_stored_as_a_hash(demo):
    token, secret = await create_token(
        "农商行普惠部", ["issues:read", "enterprises:read"], ["410223105"], ["financing"], "30d", now=NOW
    )
    try:
        stored = await PartnerToken.get(id=token.id)
        assert secret.startswith("yimi_") and len(secret) > 40
        assert stored.token_hash == hash_token(secret) and secret not in str(stored.__dict__)
        assert stored.expires_at == NOW + timedelta(days=30)
        found = await token_for_secret(secret, NOW + timedelta(days=1))
        assert found.id == token.id and found.last_used_at is not None
        log_call(found, "PartnerIssues", 12, NOW)
        await call_log.flush()  # written in batches, off the request path
        assert [(c.operation, c.cost) for c in await found.calls.all()] == [("PartnerIssues", 12)]
    finally:
        await PartnerToken.filter(id=token.id).delete()


async def test_expired_revoked_and_unknown_tokens_are_refused(demo):
    token, secret = await create_token("税务局", ["enterprises:read", "issues:read"], expires="2026-12-01", now=NOW)
    try:
        with pytest.raises(ServiceError, match="expired"):
            await token_for_secret(secret, datetime(2026, 12, 2, tzinfo=UTC))
        await revoke_token("税务局", now=NOW)
        with pytest.raises(ServiceError, match="revoked"):
            await token_for_secret(secret, NOW)
        with pytest.raises(ServiceError, match="unknown"):
            await token_for_secret(secret + "x", NOW)
    finally:
        await PartnerToken.filter(id=token.id).delete()


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"scopes": ["issues:write"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["townships:read"]}, "scopes"),  # everyone reads townships: not a scope
        ({"scopes": ["issues:read"]}, "scopes"),  # an issue names its enterprise
        ({"scopes": ["enterprises:read", "issues:details"]}, "scopes"),
        ({"scopes": ["enterprises:contacts"]}, "scopes"),
        ({"scopes": ["enterprises:read", "issues:read"], "township_codes": ["999999999"]}, "townships"),
        ({"scopes": ["enterprises:read", "issues:read"], "categories": ["weather"]}, "categories"),
        ({"scopes": ["enterprises:read", "issues:read"], "expires": "yesterday"}, "expires"),
        ({"scopes": ["enterprises:read", "issues:read"], "expires": "2020-01-01"}, "expires"),
    ],
)
async def test_bad_token_requests_name_the_field(demo, kwargs, field):
    with pytest.raises(ServiceError) as error:
        await create_token("x", now=NOW, **kwargs)
    assert error.value.field == field
    assert not await PartnerToken.exists(name="x")


def test_token_commands(scratch_database_url):
    from tests.test_cli import run

    url = scratch_database_url
    env = {**os.environ, "YIMI_DATABASE_URL": url}
    assert run("migrate", env=env).returncode == 0
    created = run(
        "token", "create", "--name", "bank", "--scopes", "issues:read,enterprises:read", "--expires", "90d", env=env
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    ((token_hash, scopes),) = query(url, "select token_hash, scopes from partner_token")
    assert (token_hash, json.loads(scopes)) == (hash_token(secret), ["enterprises:read", "issues:read"])
    listing = run("token", "list", env=env)
    assert "bank" in listing.stdout and secret not in listing.stdout
    assert run("token", "revoke", "bank", env=env).returncode == 0
    assert query(url, "select revoked_at is not null from partner_token") == [(True,)]
    assert run("token", "revoke", "nobody", env=env).returncode == 1


async def test_an_overlong_township_code_is_an_unknown_code(demo):
    with pytest.raises(ServiceError) as error:
        await create_token("overlong", ["enterprises:read", "issues:read"], ["4102231050000000000"], now=NOW)
    assert error.value.field == "townships" and "4102231050000000000" in error.value.message


def test_every_scope_says_what_it_opens():
    from yimi.accounts.read_rules import SCOPE_GRANTS
    from yimi.accounts.tokens import TokenScope

    assert {s.value for s in TokenScope} == set(SCOPE_GRANTS)
