"""Subscriptions are metered: they pay their cost to start and again for every event delivered."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import aclosing, asynccontextmanager
from types import SimpleNamespace

import pytest

from tests.live.conftest import wait_for_subscribers
from yimi.accounts.models import Staff
from yimi.accounts.read_rules import staff_access
from yimi.graphql.context import Context
from yimi.graphql.limits import Budget
from yimi.graphql.schema import schema
from yimi.issues.models import Issue
from yimi.live.broker import MemoryBroker

pytestmark = pytest.mark.timeout(60)

QUERY = "subscription { issueChanged { action issue { number } } }"


@asynccontextmanager
async def admin_subscriber(settings, points: int):
    """An administrator's subscription context with a budget of ``points`` of its own."""
    small = settings.model_copy(update={"rate_limit_points": points, "rate_limit_key_prefix": uuid.uuid4().hex})
    budget = Budget(small)
    admin = next(s for s in await Staff.all().order_by("id") if "admin" in s.roles)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(budget=budget)), client=None)
    context = Context(
        settings=small, broker=MemoryBroker(), request=request, user=admin, access=await staff_access(admin)
    )
    try:
        yield context, budget
    finally:
        await budget.close()


async def test_events_spend_the_budget_until_it_is_gone(settings, demo):
    issue = await Issue.all().order_by("id").first()
    message = {"issueId": issue.id, "action": "note", "status": issue.status.value, "version": issue.version}
    async with admin_subscriber(settings, 3) as (context, _budget):
        broker = context.broker
        results = await schema.subscribe(QUERY, context_value=context)
        async with aclosing(results):
            pending = asyncio.ensure_future(anext(results))
            await wait_for_subscribers(broker, 1)
            assert context.rate_limit.remaining == 2  # starting cost 1 point
            delivered = []
            for _ in range(3):
                await broker.publish("issues", message)
                result = await asyncio.wait_for(pending, 5)
                delivered.append(result)
                if result.errors:
                    break
                pending = asyncio.ensure_future(anext(results))
    assert [r.data["issueChanged"]["action"] for r in delivered[:2]] == ["note", "note"]
    refusal = delivered[2].errors[0]
    assert refusal.extensions["code"] == "RATE_LIMITED" and "resetAt" in refusal.extensions


async def test_a_subscription_over_the_budget_does_not_start(settings, demo):
    async with admin_subscriber(settings, 1) as (context, budget):
        await budget.charge(f"staff:{context.user.id}", 1)  # the hour's budget is spent
        results = await schema.subscribe(QUERY, context_value=context)
        async with aclosing(results):
            result = await asyncio.wait_for(anext(results), 5)
        assert result.errors[0].extensions["code"] == "RATE_LIMITED"
        assert await context.broker.subscriber_count("issues") == 0
