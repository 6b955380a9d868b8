from pathlib import Path

from yimi.graphql.schema import schema

ROOT = Path(__file__).resolve().parents[1]


def test_published_schema_matches_the_code():
    published = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert published == schema.as_str() + "\n", "schema.graphql is stale: run `make schema` and commit it"


def test_contract_names_exist():
    sdl = schema.as_str()
    for name in [
        "node(id: ID!): Node",
        "nodes(ids: [ID!]!)",
        "townships(",
        "enterprises(",
        "issues(",
        "serviceTeams(",
        "coverage",
        "mapLayer(",
        "totalCount: Int!",
        "pageInfo: PageInfo!",
        "overdueIssueCount",
        "coveringTeams",
        "warningColor",
        "coHandlers",
        "enterpriseCount",
    ]:
        assert name in sdl, name
