import pytest
from stdnum.cn import uscc

PAGE = """
query($filter: EnterpriseFilter, $orderBy: EnterpriseOrder, $first: Int, $after: String) {
  enterprises(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name uscc industry size aboveScale chain riskColor location { lon lat }
            township { code } commissioner { name } openIssueCount }
  }
}
"""


async def all_pages(gql, variables: dict) -> list[dict]:
    nodes, after = [], None
    while True:
        conn = (await gql(PAGE, {**variables, "first": 100, "after": after}))["enterprises"]
        nodes += conn["nodes"]
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]


async def count(gql, filter: dict) -> int:
    return (await gql(PAGE, {"filter": filter, "first": 0}))["enterprises"]["totalCount"]


async def test_every_enterprise_once_across_pages(gql):
    nodes = await all_pages(gql, {})
    assert len(nodes) == len({n["id"] for n in nodes}) == 600
    assert all(uscc.is_valid(n["uscc"]) for n in nodes)
    assert sum(n["aboveScale"] for n in nodes) == 265


async def test_filters_select_what_they_say(gql):
    assert await count(gql, {"aboveScale": True}) == 265
    assert await count(gql, {"aboveScale": False}) == 335

    zhangshi = await all_pages(gql, {"filter": {"townshipCodes": ["410223105"]}})
    assert zhangshi and {n["township"]["code"] for n in zhangshi} == {"410223105"}

    sample = (await gql(PAGE, {"first": 1, "orderBy": {"field": "NAME"}}))["enterprises"]["nodes"][0]
    by_name = await all_pages(gql, {"filter": {"search": sample["name"][2:6]}})
    assert sample["id"] in {n["id"] for n in by_name}
    assert all(sample["name"][2:6] in n["name"] for n in by_name)
    by_uscc = await all_pages(gql, {"filter": {"search": sample["uscc"][:12]}})
    assert sample["id"] in {n["id"] for n in by_uscc}

    manufacturing = await all_pages(gql, {"filter": {"industries": ["C"]}})
    assert manufacturing and all(n["industry"] == "C" for n in manufacturing)
    chain = next(n["chain"] for n in await all_pages(gql, {}) if n["chain"])
    in_chain = await all_pages(gql, {"filter": {"chains": [chain]}})
    assert in_chain and all(n["chain"] == chain for n in in_chain)
    red = await all_pages(gql, {"filter": {"riskColors": ["RED", "ORANGE"]}})
    assert red and all(n["riskColor"] in ("RED", "ORANGE") for n in red)

    with_open = await all_pages(gql, {"filter": {"hasOpenIssues": True}})
    without = await all_pages(gql, {"filter": {"hasOpenIssues": False}})
    assert with_open and all(n["openIssueCount"] > 0 for n in with_open)
    assert without and all(n["openIssueCount"] == 0 for n in without)
    assert len(with_open) + len(without) == 600

    combined = await all_pages(gql, {"filter": {"aboveScale": True, "townshipCodes": ["410223105"]}})
    assert {n["id"] for n in combined} == {n["id"] for n in zhangshi if n["aboveScale"]}


async def test_bounding_box(gql):
    everything = await all_pages(gql, {})
    lons = sorted(n["location"]["lon"] for n in everything)
    lats = sorted(n["location"]["lat"] for n in everything)
    box = [lons[0], lats[0], lons[len(lons) // 2], lats[len(lats) // 2]]
    inside = await all_pages(gql, {"filter": {"bbox": box}})
    expected = {
        n["id"]
        for n in everything
        if box[0] <= n["location"]["lon"] <= box[2] and box[1] <= n["location"]["lat"] <= box[3]
    }
    assert inside and {n["id"] for n in inside} == expected
    assert await count(gql, {"bbox": [-180, -90, 180, 90]}) == 600


@pytest.mark.parametrize(
    "field,key",
    [
        ("NAME", lambda n: n["name"]),
        ("USCC", lambda n: n["uscc"]),
        ("OPEN_ISSUE_COUNT", lambda n: n["openIssueCount"]),
    ],
)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_orderings(gql, field, key, direction):
    nodes = await all_pages(gql, {"orderBy": {"field": field, "direction": direction}})
    values = [key(n) for n in nodes]
    assert values == sorted(values, reverse=direction == "DESC")
    assert len(nodes) == 600


async def test_created_at_order_is_stable_across_pages(gql):
    nodes = await all_pages(gql, {"orderBy": {"field": "CREATED_AT", "direction": "DESC"}})
    assert len({n["id"] for n in nodes}) == 600


async def test_nested_issues_newest_first(gql):
    data = await gql(
        """{ enterprises(first: 20, filter: {hasOpenIssues: true}) { nodes {
              openIssueCount
              issues(first: 3) { totalCount pageInfo { hasNextPage } nodes { reportedAt status enterprise { id } } }
              id } } }"""
    )
    for e in data["enterprises"]["nodes"]:
        issues = e["issues"]
        dates = [i["reportedAt"] for i in issues["nodes"]]
        assert dates == sorted(dates, reverse=True)
        assert len(dates) == min(3, issues["totalCount"])
        assert issues["pageInfo"]["hasNextPage"] == (issues["totalCount"] > 3)
        assert all(i["enterprise"]["id"] == e["id"] for i in issues["nodes"])
        assert issues["totalCount"] >= e["openIssueCount"] > 0


async def test_map_layer_is_one_feature_collection(gql):
    layer = (await gql("{ mapLayer }"))["mapLayer"]
    assert layer["type"] == "FeatureCollection" and len(layer["features"]) == 600
    listed = {n["id"]: n for n in await all_pages(gql, {})}
    for f in layer["features"]:
        n = listed[f["properties"]["id"]]
        assert f["geometry"]["coordinates"] == [n["location"]["lon"], n["location"]["lat"]]
        assert f["properties"]["openIssueCount"] == n["openIssueCount"]
        assert (f["properties"]["warningColor"] is None) == (n["openIssueCount"] == 0)
    colours = {f["properties"]["warningColor"] for f in layer["features"]}
    assert {"RED", "GREEN"} <= colours
    filtered = (await gql('{ mapLayer(filter: {townshipCodes: ["410223105"]}) }'))["mapLayer"]
    assert len(filtered["features"]) == await count(gql, {"townshipCodes": ["410223105"]})


async def test_map_colour_is_the_worst_open_issue(gql):
    layer = (await gql("{ mapLayer(filter: {hasOpenIssues: true}) }"))["mapLayer"]
    severity = {"GREEN": 0, "YELLOW": 1, "ORANGE": 2, "RED": 3}
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on Enterprise {
        issues(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { warningColor } } } } }"""
    for f in layer["features"][:60]:
        # Every page: other tests may have reported hundreds of issues for one enterprise.
        colours, after = [], None
        while True:
            page = (await gql(query, {"id": f["properties"]["id"], "after": after}))["node"]["issues"]
            colours += [i["warningColor"] for i in page["nodes"] if i["warningColor"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert f["properties"]["warningColor"] == max(colours, key=severity.get)
