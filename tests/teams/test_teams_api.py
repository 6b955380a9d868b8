TEAMS = """
query($filter: ServiceTeamFilter) {
  serviceTeams(filter: $filter, first: 100) {
    totalCount
    nodes { id name kind specialities leadDepartment { name } leader { name } members { name }
            parent { name } subTeams { name } townships { code } openIssueCount }
  }
}
"""

COVERAGE = """
{ coverage { township { code name } teams { name specialities }
             categories { category covered teams { name specialities } } gaps } }
"""


async def test_teams_of_the_demo_county(gql):
    teams = (await gql(TEAMS))["serviceTeams"]["nodes"]
    joint = [t for t in teams if t["kind"] == "JOINT" and t["parent"] is None and t["subTeams"]]
    assert len(joint) == 1 and len(joint[0]["subTeams"]) == 5
    assert any(t["kind"] == "SPECIALISED" and "FINANCING" in t["specialities"] for t in teams)
    for t in teams:
        assert t["leadDepartment"]["name"]
        assert t["members"], t["name"]
    assert sum(t["openIssueCount"] for t in teams) > 0


async def test_team_filters(gql):
    joint = (await gql(TEAMS, {"filter": {"kinds": ["JOINT"]}}))["serviceTeams"]["nodes"]
    assert joint and all(t["kind"] == "JOINT" for t in joint)
    finance = (await gql(TEAMS, {"filter": {"speciality": "FINANCING"}}))["serviceTeams"]["nodes"]
    assert finance and all("FINANCING" in t["specialities"] for t in finance)
    zhangshi = (await gql(TEAMS, {"filter": {"townshipCodes": ["410223105"]}}))["serviceTeams"]["nodes"]
    assert zhangshi and all("410223105" in [x["code"] for x in t["townships"]] for t in zhangshi)
    everyone = (await gql(TEAMS))["serviceTeams"]["totalCount"]
    assert len(zhangshi) < everyone


async def test_coverage_marks_the_gaps(gql):
    rows = (await gql(COVERAGE))["coverage"]
    assert len(rows) == 15
    gaps = 0
    for row in rows:
        for cell in row["categories"]:
            handlers = [t for t in row["teams"] if cell["category"] in t["specialities"]]
            assert cell["covered"] == bool(handlers)
            assert sorted(t["name"] for t in cell["teams"]) == sorted(t["name"] for t in handlers)
        assert row["gaps"] == [c["category"] for c in row["categories"] if not c["covered"]]
        gaps += len(row["gaps"])
    cells = 15 * len(rows[0]["categories"])
    assert 0 < gaps < cells / 2, "the demo leaves some, but not most, township-category pairs uncovered"
