"""Queries on a graphql-transport-ws socket answer with the data as it is when each one runs, not as it
was when the socket opened: a socket lives for hours, its operations share one context."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.live.conftest import SubscriptionClient, served
from yimi.accounts.tokens import create_token, revoke_token
from yimi.enterprises.models import Enterprise

pytestmark = pytest.mark.timeout(60)

MAP_LAYER = "query($f: EnterpriseFilter) { mapLayer(filter: $f) }"


async def test_the_map_layer_on_a_socket_shows_a_write_made_after_it_opened(app, demo):
    enterprise = await Enterprise.all().order_by("id").first()
    assert enterprise is not None
    variables = {"f": {"search": enterprise.uscc}}

    async def longitudes(client: SubscriptionClient) -> list[float]:
        op_id = await client.subscribe(MAP_LAYER, variables)
        layer = (await client.next(op_id))["mapLayer"]
        assert await client.receive() == {"id": op_id, "type": "complete"}
        layer = json.loads(layer) if isinstance(layer, str) else layer
        return [feature["geometry"]["coordinates"][0] for feature in layer["features"]]

    token, secret = await create_token(f"socket-{uuid.uuid4().hex[:8]}", ["enterprises:read"])
    moved = round(enterprise.lon + 0.001, 6)
    headers = {"Authorization": f"Bearer {secret}"}
    try:
        async with served(app) as url, SubscriptionClient.connect(url, headers=headers) as client:
            assert await longitudes(client) == [enterprise.lon]
            await Enterprise.filter(id=enterprise.id).update(lon=moved)
            assert await longitudes(client) == [moved]
    finally:
        await Enterprise.filter(id=enterprise.id).update(lon=enterprise.lon)
        await revoke_token(token.name)
