import base64

from yimi.common.ids import to_global_id


async def test_node_and_nodes_round_trip_every_type(gql):
    data = await gql(
        """{ townships(first: 1) { nodes { id } }
             enterprises(first: 1) { nodes { id commissioner { id department { id } } } }
             issues(first: 1) { nodes { id } }
             serviceTeams(first: 1) { nodes { id } } }"""
    )
    ids = [
        data["townships"]["nodes"][0]["id"],
        data["enterprises"]["nodes"][0]["id"],
        data["issues"]["nodes"][0]["id"],
        data["serviceTeams"]["nodes"][0]["id"],
    ]
    for gid in ids:
        node = (await gql("query($id: ID!) { node(id: $id) { __typename id } }", {"id": gid}))["node"]
        assert node["id"] == gid
    nodes = (await gql("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids[::-1]}))["nodes"]
    assert [n["id"] for n in nodes] == ids[::-1]
    assert [n["__typename"] for n in nodes] == ["ServiceTeam", "Issue", "Enterprise", "Township"]


async def test_node_fragments_reach_type_fields(gql):
    gid = (await gql('{ townships(filter: {codes: ["410223105"]}) { nodes { id } } }'))["townships"]["nodes"][0]["id"]
    node = (await gql("query($id: ID!) { node(id: $id) { ... on Township { name code } } }", {"id": gid}))["node"]
    assert node == {"name": "张市镇", "code": "410223105"}


async def test_nodes_gives_null_for_a_missing_object(gql):
    gid = to_global_id("Enterprise", 999999)
    real = (await gql("{ enterprises(first: 1) { nodes { id } } }"))["enterprises"]["nodes"][0]["id"]
    nodes = (await gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [real, gid]}))["nodes"]
    assert nodes == [{"id": real}, None]


async def test_unknown_ids_name_the_argument(gql):
    q = "query($id: ID!) { node(id: $id) { id } }"
    garbage = await gql.error(q, {"id": "not-an-id"})
    assert garbage["extensions"]["argument"] == "id" and "'id'" in garbage["message"]
    unknown_type = await gql.error(q, {"id": base64.b64encode(b"Spaceship:1").decode()})
    assert "Spaceship" in unknown_type["message"] and unknown_type["extensions"]["argument"] == "id"
    missing = await gql.error(q, {"id": to_global_id("Issue", 999999)})
    assert missing["extensions"]["argument"] == "id" and "no Issue" in missing["message"]
    in_list = await gql.error("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"]})
    assert in_list["extensions"]["argument"] == "ids[0]"


async def test_visits_are_nodes_too(gql):
    from yimi.enterprises.models import Visit

    visit = await Visit.all().order_by("id").first()
    gid = to_global_id("Visit", visit.id)
    node = (await gql("query($id: ID!) { node(id: $id) { __typename id ... on Visit { visitedOn } } }", {"id": gid}))[
        "node"
    ]
    assert node == {"__typename": "Visit", "id": gid, "visitedOn": visit.visited_on.isoformat()}
