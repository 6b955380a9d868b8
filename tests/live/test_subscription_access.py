"""A subscription outlives its request: the caller's rights are looked up again as events arrive."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import aclosing

import pytest

from tests.live.conftest import wait_for_subscribers
from yimi.accounts.models import PartnerToken, Staff
from yimi.accounts.read_rules import staff_access, token_access
from yimi.accounts.tokens import create_token, revoke_token
from yimi.graphql.context import Context
from yimi.graphql.schema import schema
from yimi.issues import subscriptions
from yimi.issues.models import Issue
from yimi.live.broker import MemoryBroker

pytestmark = pytest.mark.timeout(60)

QUERY = "subscription { issueChanged { action } }"


async def _first_then_after(context: Context, change_rights) -> tuple:
    """The subscriber's result for one event, then for another after ``change_rights()`` ran."""
    issue = await Issue.all().order_by("id").first()
    message = {"issueId": issue.id, "action": "note", "status": issue.status.value, "version": issue.version}
    broker = context.broker
    results = await schema.subscribe(QUERY, context_value=context)
    async with aclosing(results):
        pending = asyncio.ensure_future(anext(results))
        await wait_for_subscribers(broker, 1)
        await broker.publish("issues", message)
        first = await asyncio.wait_for(pending, 5)
        await change_rights()
        pending = asyncio.ensure_future(anext(results))
        await broker.publish("issues", message)
        second = await asyncio.wait_for(pending, 5)
    await wait_for_subscribers(broker, 0)
    return first, second


@pytest.fixture
def recheck_always(monkeypatch):
    monkeypatch.setattr(subscriptions, "ACCESS_RECHECK_SECONDS", 0.0)


async def test_a_disabled_member_of_staff_stops_receiving(settings, demo, recheck_always):
    template = next(s for s in await Staff.all().order_by("id") if "dispatcher" in s.roles)
    staff = await Staff.create(
        username=f"live-{uuid.uuid4().hex[:8]}",
        name="值班员",
        department_id=template.department_id,
        roles=["dispatcher"],
    )
    context = Context(settings=settings, broker=MemoryBroker(), user=staff, access=await staff_access(staff))
    try:
        first, second = await _first_then_after(context, lambda: Staff.filter(id=staff.id).update(is_active=False))
        assert first.data == {"issueChanged": {"action": "note"}}
        assert second.errors[0].extensions["code"] == "UNAUTHENTICATED"
    finally:
        await Staff.filter(id=staff.id).delete()


async def test_a_revoked_token_stops_receiving(settings, demo, recheck_always):
    token, _secret = await create_token(f"live-{uuid.uuid4().hex[:8]}", ["enterprises:read", "issues:read"])
    context = Context(settings=settings, broker=MemoryBroker(), token=token, access=await token_access(token))
    try:
        first, second = await _first_then_after(context, lambda: revoke_token(token.name))
        assert first.data == {"issueChanged": {"action": "note"}}
        assert second.errors[0].extensions["code"] == "UNAUTHENTICATED"
    finally:
        await PartnerToken.filter(id=token.id).delete()
