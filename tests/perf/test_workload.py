"""The benchmarks' queries at the test suite's scale, untimed: each Yimi answer bench_api.py measures holds
the same rows as the raw SQL it is compared with, and following the API's cursors gives the pages an
offset would (keyset pages equal offset pages)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from tests.perf import workload as w


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


async def test_enterprises_page_holds_the_rows_of_its_sql(gql):
    nodes = (await gql(w.ENTERPRISES_PAGE))["enterprises"]["nodes"]
    rows = await w.raw(w.ENTERPRISES_SQL)
    assert len(nodes) == w.PAGE
    assert [
        (pk(n["id"]), n["name"], n["township"]["name"], (n["commissioner"] or {}).get("name"), n["openIssueCount"])
        for n in nodes
    ] == [(r["id"], r["name"], r["township"], r["commissioner"], r["open_issue_count"]) for r in rows]
    assert any(n["openIssueCount"] for n in nodes) and any(n["commissioner"] for n in nodes)


def issue_rows(nodes: list[dict]) -> list[tuple]:
    rows = []
    for n in nodes:
        lead = (n["leadTeam"] or {}).get("name")
        rows.append((pk(n["id"]), n["number"], n["status"].lower(), n["warningColor"], n["enterprise"]["name"], lead))
    return rows


def sql_issue_rows(rows: list[dict], now: datetime) -> list[tuple]:
    return [(r["id"], r["number"], r["status"], w.warning(r, now), r["enterprise"], r["lead_team"]) for r in rows]


async def test_open_issue_pages_by_cursor_are_the_keyset_and_offset_pages(gql):
    variables = {"statuses": w.OPEN_ENUMS}
    first = (await gql(w.ISSUES_PAGE, variables))["issues"]
    now = datetime.now(UTC)
    assert issue_rows(first["nodes"]) == sql_issue_rows(await w.raw(w.ISSUES_FIRST_SQL), now)
    assert first["pageInfo"]["hasNextPage"], "the demo has more than a page of open issues"
    second = (await gql(w.ISSUES_PAGE, {**variables, "after": first["pageInfo"]["endCursor"]}))["issues"]
    last = (await w.raw(w.ISSUES_FIRST_SQL))[-1]
    keyset = await w.raw(w.ISSUES_AFTER_SQL, last["deadline"], last["id"])
    offset = await w.raw(w.ISSUES_FIRST_SQL.replace(f"LIMIT {w.PAGE}", f"LIMIT {w.PAGE} OFFSET {w.PAGE}"))
    assert keyset == offset
    assert issue_rows(second["nodes"]) == sql_issue_rows(keyset, now)
    assert second["nodes"]


async def test_map_layer_holds_the_points_counts_and_colours_of_its_sql(gql):
    features = (await gql(w.MAP_LAYER, {"filter": {}}))["mapLayer"]["features"]
    rows = await w.raw(w.MAP_SQL, w.sql_time(datetime.now(UTC)))
    assert [
        (
            pk(f["properties"]["id"]),
            *f["geometry"]["coordinates"],
            f["properties"]["openIssueCount"],
            f["properties"]["warningColor"],
        )
        for f in features
    ] == [(r["id"], r["lon"], r["lat"], r["n"] or 0, w.WARNING_NAMES[r["worst"]] if r["n"] else None) for r in rows]


async def test_township_figures_on_every_page_are_those_of_its_sql(gql):
    nodes, after = [], None
    while True:
        conn = (await gql(w.TOWNSHIPS_PAGE, {"after": after}))["townships"]
        nodes += conn["nodes"]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    rows = await w.raw(w.TOWNSHIPS_SQL, w.sql_time(datetime.now(UTC)))
    assert [(n["code"], n["enterpriseCount"], n["openIssueCount"], n["overdueIssueCount"]) for n in nodes] == [
        (r["code"], r["enterprise_count"], r["open_count"], r["overdue_count"]) for r in rows
    ]
    assert sum(n["overdueIssueCount"] for n in nodes) > 0


async def test_the_dashboard_mix_is_the_web_apps_documents_and_each_answers(gql):
    from tests.perf import mix

    pks = [pk(n["id"]) for n in (await gql(w.ENTERPRISES_PAGE))["enterprises"]["nodes"][:2]]
    visit = mix.yimi_requests(pks)
    assert [name for name, _ in visit][:4] == ["townships", "mapLayer", "enterprises page", "issues page"]
    for name, bodies in visit:
        for body in bodies:
            data = await gql(body["query"], body["variables"])
            assert mix.normal(name, data, yimi=True), name
