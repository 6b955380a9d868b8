import pytest


@pytest.mark.parametrize("field", ["townships", "enterprises", "issues", "serviceTeams"])
async def test_first_above_100_is_refused_by_name(gql, field):
    err = await gql.error(f"{{ {field}(first: 1000) {{ totalCount }} }}")
    assert err["extensions"]["argument"] == "first"
    assert "between 0 and 100" in err["message"]
    assert (await gql(f"{{ {field}(first: 100) {{ totalCount }} }}"))[field]["totalCount"] > 0


async def test_nested_connection_limit(gql):
    err = await gql.error("{ enterprises(first: 1) { nodes { issues(first: 101) { totalCount } } } }")
    assert err["extensions"]["argument"] == "first"


@pytest.mark.parametrize(
    "bbox,reason",
    [
        ([113.9, 34.2, 114.3], "expected 4 numbers"),
        ([114.3, 34.2, 113.9, 34.6], "west must not exceed east"),
        ([113.9, 95, 114.3, 96], "latitudes"),
    ],
)
async def test_malformed_bounding_box(gql, bbox, reason):
    for query in (
        "query($b: [Float!]) { enterprises(filter: {bbox: $b}) { totalCount } }",
        "query($b: [Float!]) { mapLayer(filter: {bbox: $b}) }",
    ):
        err = await gql.error(query, {"b": bbox})
        assert err["extensions"]["argument"] == "filter.bbox"
        assert reason in err["message"]


async def test_unknown_enum_value_names_the_argument(gql):
    err = await gql.error("{ issues(filter: {statuses: [LOST]}) { totalCount } }")
    assert "LOST" in err["message"] and "IssueStatus" in err["message"]
    err = await gql.error("query($f: IssueFilter) { issues(filter: $f) { totalCount } }", {"f": {"statuses": ["LOST"]}})
    assert "$f" in err["message"] and "LOST" in err["message"]


async def test_bad_cursor_and_bad_references(gql):
    err = await gql.error('{ enterprises(after: "bm9wZQ==") { totalCount } }')
    assert err["extensions"]["argument"] == "after"
    err = await gql.error('{ issues(filter: {team: "garbage"}) { totalCount } }')
    assert err["extensions"]["argument"] == "filter.team"
    township = (await gql("{ townships(first: 1) { nodes { id } } }"))["townships"]["nodes"][0]["id"]
    err = await gql.error("query($t: ID) { issues(filter: {team: $t}) { totalCount } }", {"t": township})
    assert "ServiceTeam" in err["message"]
    err = await gql.error(
        '{ issues(filter: {reportedBetween: {from: "2022-01-01T00:00:00Z", to: "2021-01-01T00:00:00Z"}}) { totalCount } }'
    )
    assert err["extensions"]["argument"] == "filter.reportedBetween"


async def test_malformed_requests_are_client_errors_not_500(client):
    for body in ({"query": "{ townships { "}, {"query": "{ nothing }"}):
        response = await client.post("/graphql", json=body)
        assert response.status_code in (200, 400), response.text
        assert response.json()["errors"]
    response = await client.post("/graphql", json={})
    assert response.status_code == 400 and "No GraphQL query" in response.text
    response = await client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.text


async def test_unexpected_errors_are_masked(gql, monkeypatch):
    import yimi.teams.queries

    async def broken(townships):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(yimi.teams.queries, "coverage_matrix", broken)
    body = await gql.raw("{ coverage { gaps } }")
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in str(body)


LONG = "X" * 40  # longer than any code column: Tortoise used to raise ValidationError building the filter


@pytest.mark.parametrize(
    "query",
    [
        f'{{ townships(filter: {{codes: ["{LONG}"]}}) {{ totalCount }} }}',
        f'{{ townships(filter: {{countyCodes: ["{LONG}"]}}) {{ totalCount }} }}',
        f'{{ enterprises(filter: {{townshipCodes: ["{LONG}"]}}) {{ totalCount }} }}',
        f'{{ enterprises(filter: {{industries: ["{LONG}"]}}) {{ totalCount }} }}',
        f'{{ enterprises(filter: {{chains: ["{LONG}"]}}) {{ totalCount }} }}',
        f'{{ issues(filter: {{townshipCodes: ["{LONG}"]}}) {{ totalCount }} }}',
        f'{{ serviceTeams(filter: {{townshipCodes: ["{LONG}"]}}) {{ totalCount }} }}',
    ],
)
async def test_overlong_filter_codes_match_nothing(gql, query):
    # Found by the schemathesis fuzzing (tests/graphql/test_fuzz.py): "Unexpected error." before.
    data = await gql(query)
    assert next(iter(data.values()))["totalCount"] == 0


async def test_overlong_codes_in_map_layer_and_coverage(gql):
    layer = (await gql(f'{{ mapLayer(filter: {{industries: ["{LONG}"]}}) }}'))["mapLayer"]
    assert layer["features"] == []
    assert (await gql(f'{{ coverage(filter: {{countyCodes: ["{LONG}"]}}) {{ __typename }} }}'))["coverage"] == []


def test_fitting_drops_values_longer_than_the_column():
    from yimi.common.filters import fitting
    from yimi.enterprises.models import Enterprise
    from yimi.townships.models import Township

    assert fitting(["C", "CC", ""], Enterprise, "industry") == ["C", ""]
    assert fitting(["410825", "4108250"], Township, "county_code") == ["410825"]
