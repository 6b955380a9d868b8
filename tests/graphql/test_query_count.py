from tests.conftest import count_sql

PAGE = """
query($first: Int) {
  enterprises(first: $first) {
    nodes {
      name
      township { name }
      commissioner { name }
      openIssueCount
      issues(first: 3) { totalCount nodes { number leadTeam { name } } }
    }
  }
}
"""


async def test_sql_statements_do_not_grow_with_the_page(gql, uncached):
    with count_sql() as small:
        page = await gql(PAGE, {"first": 10})
    assert len(page["enterprises"]["nodes"]) == 10
    with count_sql() as large:
        page = await gql(PAGE, {"first": 100})
    assert len(page["enterprises"]["nodes"]) == 100
    assert any(n["issues"]["nodes"] and n["issues"]["nodes"][0]["leadTeam"] for n in page["enterprises"]["nodes"])
    assert 0 < len(large) == len(small) <= 8, large
