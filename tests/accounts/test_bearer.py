from datetime import UTC, datetime, timedelta

from yimi.accounts.models import PartnerCall, PartnerToken
from yimi.accounts.tokens import call_log, create_token, revoke_token


async def test_partner_calls_are_authenticated_metered_and_logged(client, demo):
    token, secret = await create_token("bearer-test", ["enterprises:read", "issues:read"])
    try:
        headers = {"authorization": f"Bearer {secret}"}
        query = (
            "query PartnerOpenIssues { issues(first: 5) { totalCount } me { name } rateLimit { cost remaining limit } }"
        )
        response = await client.post(
            "/graphql", json={"query": query, "operationName": "PartnerOpenIssues"}, headers=headers
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["me"] is None and data["issues"]["totalCount"] > 0
        assert data["rateLimit"]["remaining"] == data["rateLimit"]["limit"] - data["rateLimit"]["cost"]
        await call_log.flush()  # written in batches, off the request path
        calls = await PartnerCall.filter(token_id=token.id)
        assert [(c.operation, c.cost) for c in calls] == [("PartnerOpenIssues", data["rateLimit"]["cost"])]
        assert (await PartnerToken.get(id=token.id)).last_used_at is not None

        await revoke_token("bearer-test")
        refused = await client.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)
        assert refused.status_code == 401 and "revoked" in refused.text
    finally:
        await PartnerToken.filter(id=token.id).delete()


async def test_expired_unknown_and_malformed_tokens_get_401(client, demo):
    token, secret = await create_token(
        "expiring-test", ["enterprises:read", "issues:read"], expires="1d", now=datetime.now(UTC) - timedelta(days=2)
    )
    try:
        for header, reason in (
            (f"Bearer {secret}", "expired"),
            ("Bearer yimi_not-a-token", "unknown"),
            (f"Basic {secret}", "Bearer"),
            ("Bearer ", "Bearer"),
        ):
            response = await client.post(
                "/graphql", json={"query": "{ me { name } }"}, headers={"authorization": header}
            )
            assert response.status_code == 401 and reason in response.text, (header, response.text)
    finally:
        await PartnerToken.filter(id=token.id).delete()
