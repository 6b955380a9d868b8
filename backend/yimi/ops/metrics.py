"""Prometheus metrics, served at /metrics to loopback and the networks YIMI_METRICS_ALLOWED_NETWORKS lists."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "yimi_graphql_requests",
    "GraphQL operations answered, by operation name and outcome (ok, error, rate_limited, rejected)",
    ["operation", "outcome"],
)
LATENCY = Histogram(
    "yimi_graphql_request_duration_seconds",
    "Time to answer a GraphQL operation",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
QUERY_COST = Histogram(
    "yimi_graphql_query_cost_points",
    "Points a GraphQL operation cost (README, Limits)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
RATE_LIMIT_REFUSALS = Counter(
    "yimi_rate_limit_refusals",
    "Requests refused because the caller's budget was spent, by caller kind",
    ["caller_kind"],
)
LIVE_SUBSCRIBERS = Gauge(
    "yimi_live_subscribers",
    "issueChanged subscriptions open in this process",
)
