import httpx

from tests.conftest import CSRF_HEADERS, TEST_PASSWORD, GraphQLClient

SIGN_IN = """mutation($u: String!, $p: String!) {
  signIn(input: {username: $u, password: $p}) { staff { name roles } userErrors { field code message } } }"""


async def test_sign_in_sets_a_protected_session_cookie(app, sign_in):
    gql = await sign_in("dispatcher")
    me = (await gql("{ me { name roles } }"))["me"]
    assert me["name"] == gql.staff.name and "dispatcher" in me["roles"]

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await http.post(
            "/graphql",
            json={"query": SIGN_IN, "variables": {"u": gql.staff.username, "p": TEST_PASSWORD}},
            headers=CSRF_HEADERS,
        )
        cookie = response.headers["set-cookie"].lower()
        assert "yimi_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "max-age=28800" in cookie


async def test_wrong_password_and_sign_out(app, sign_in):
    gql = await sign_in("dispatcher")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        anonymous = GraphQLClient(http)
        wrong = (await anonymous(SIGN_IN, {"u": gql.staff.username, "p": "wrong password!"}))["signIn"]
        assert wrong["staff"] is None and wrong["userErrors"][0]["code"] == "UNAUTHENTICATED"
        assert (await anonymous("{ me { name } }"))["me"] is None
    assert (await gql("mutation { signOut { signedOut } }"))["signOut"]["signedOut"]
    assert (await gql("{ me { name } }"))["me"] is None
