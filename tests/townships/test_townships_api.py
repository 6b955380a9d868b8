from shapely.geometry import Point, shape

Q_ALL = """
query($filter: TownshipFilter, $first: Int, $after: String) {
  townships(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node {
      id code name kind countyCode countyName seat { lon lat } boundary
      enterpriseCount openIssueCount overdueIssueCount coveringTeams { name }
    } }
  }
}
"""


async def test_demo_county_has_its_fifteen_townships_with_outlines(gql):
    data = await gql(Q_ALL, {"first": 100})
    conn = data["townships"]
    assert conn["totalCount"] == 15
    nodes = [e["node"] for e in conn["edges"]]
    assert {n["countyCode"] for n in nodes} == {"410223"}
    assert {n["countyName"] for n in nodes} == {"尉氏县"}
    codes = [n["code"] for n in nodes]
    assert codes == sorted(codes) and "410223105" in codes  # 张市镇
    assert {n["name"] for n in nodes} >= {"张市镇", "庄头镇", "水坡镇", "邢庄乡"}
    for n in nodes:
        assert n["boundary"]["type"] == "MultiPolygon"
        assert shape(n["boundary"]).contains(Point(n["seat"]["lon"], n["seat"]["lat"])), n["name"]
    kinds = {n["code"]: n["kind"] for n in nodes}
    assert kinds["410223001"] == "SUBDISTRICT" and kinds["410223105"] == "TOWN" and kinds["410223200"] == "TOWNSHIP"


async def test_township_figures_add_up_to_the_county(gql):
    nodes = [e["node"] for e in (await gql(Q_ALL, {"first": 100}))["townships"]["edges"]]
    totals = await gql(
        """{ e: enterprises { totalCount }
             open: issues(filter: {statuses: [REPORTED, DISPATCHED, IN_PROGRESS, RETURNED, REOPENED]}) { totalCount }
             overdue: issues(filter: {overdue: true}) { totalCount } }"""
    )
    assert sum(n["enterpriseCount"] for n in nodes) == totals["e"]["totalCount"] == 600
    assert sum(n["openIssueCount"] for n in nodes) == totals["open"]["totalCount"] > 0
    assert sum(n["overdueIssueCount"] for n in nodes) == totals["overdue"]["totalCount"] > 0
    assert all(n["overdueIssueCount"] <= n["openIssueCount"] for n in nodes)
    assert sum(1 for n in nodes if n["coveringTeams"]) >= 10


async def test_township_filters(gql):
    by_code = await gql(Q_ALL, {"filter": {"codes": ["410223105", "410223109"]}})
    assert [e["node"]["name"] for e in by_code["townships"]["edges"]] == ["张市镇", "庄头镇"]
    towns = await gql(Q_ALL, {"filter": {"kinds": ["TOWNSHIP"]}, "first": 100})
    assert towns["townships"]["totalCount"] == 5
    assert all(e["node"]["name"].endswith("乡") for e in towns["townships"]["edges"])
    search = await gql(Q_ALL, {"filter": {"search": "水坡"}})
    assert [e["node"]["code"] for e in search["townships"]["edges"]] == ["410223107"]
    other_county = await gql(Q_ALL, {"filter": {"countyCodes": ["500238"]}})
    assert other_county["townships"]["totalCount"] == 0


async def test_township_pages_follow_each_other(gql):
    first = (await gql(Q_ALL, {"first": 6}))["townships"]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    second = (await gql(Q_ALL, {"first": 6, "after": first["pageInfo"]["endCursor"]}))["townships"]
    third = (await gql(Q_ALL, {"first": 6, "after": second["pageInfo"]["endCursor"]}))["townships"]
    assert second["pageInfo"]["hasPreviousPage"]
    assert not third["pageInfo"]["hasNextPage"] and len(third["edges"]) == 3
    codes = [e["node"]["code"] for page in (first, second, third) for e in page["edges"]]
    assert len(codes) == len(set(codes)) == 15
