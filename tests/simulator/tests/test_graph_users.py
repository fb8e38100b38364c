"""Graph users: schema conformance, default properties, $select, $filter, $top bounds, paging
with opaque $skiptoken, $count / ConsistencyLevel rules, 404/403 shapes, headers, and the real
msgraph-sdk client."""
import asyncio
import ssl
import uuid
from urllib.parse import parse_qs, quote, urlparse

import httpx
import pytest

V1_DEFAULT = {"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone",
              "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}


def test_users_list_default_properties_and_schema(sim, openapi):
    r = sim.graph("GET", "users")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json;odata.metadata=minimal")
    body = r.json()
    assert body["@odata.context"] == sim.url + "/v1.0/$metadata#users"
    assert len(body["value"]) == 100  # default page size
    assert body["@odata.nextLink"].startswith(sim.url + "/v1.0/users?")
    assert all(set(u) == V1_DEFAULT for u in body["value"])
    assert all("@odata.type" not in u for u in body["value"])
    openapi.validate("v1.0", "get", "/users", r)


def test_request_and_client_request_ids(sim):
    cid = str(uuid.uuid4())
    r = sim.graph("GET", "users?$top=1", headers={"client-request-id": cid})
    assert r.headers["client-request-id"] == cid
    assert r.headers["request-id"] and r.headers["request-id"] != cid
    r = sim.graph("GET", "users/does-not-exist@contoso.com", headers={"client-request-id": cid})
    inner = r.json()["error"]["innerError"]
    assert inner["client-request-id"] == cid and inner["request-id"] == r.headers["request-id"]
    assert "T" in inner["date"] and not inner["date"].endswith("Z")


def test_select_projection_and_all_properties_validate(sim, openapi):
    r = sim.graph("GET", "users?$select=id,accountEnabled,userType,proxyAddresses,onPremisesSyncEnabled&$top=50")
    body = r.json()
    assert body["@odata.context"].endswith(
        "$metadata#users(id,accountEnabled,userType,proxyAddresses,onPremisesSyncEnabled)")
    assert all(set(u) == {"id", "accountEnabled", "userType", "proxyAddresses", "onPremisesSyncEnabled"}
               for u in body["value"])
    openapi.validate("v1.0", "get", "/users", r)
    uid = body["value"][5]["id"]
    r = sim.graph("GET", "users/%s?$select=*" % uid)
    assert r.status_code == 200 and len(r.json()) > 60
    openapi.validate("v1.0", "get", "/users/" + uid, r)
    r = sim.graph("GET", "users?$select=id,nonsense")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Could not find a property named 'nonsense' on type 'microsoft.graph.user'."
    r = sim.graph("GET", "users?$select=id,birthday")
    assert r.status_code == 501
    openapi.validate("v1.0", "get", "/users", r)


def test_single_user_by_id_and_upn_including_guest(sim, openapi):
    users, _pages = sim.get_all("users?$select=id,userPrincipalName,userType,mail&$top=999")
    guest = next(u for u in users if u["userType"] == "Guest")
    assert "#EXT#@contoso.onmicrosoft.com" in guest["userPrincipalName"]
    assert guest["mail"] and "_" in guest["userPrincipalName"]
    r = sim.graph("GET", "users/" + quote(guest["userPrincipalName"], safe="@"))
    assert r.status_code == 200 and r.json()["id"] == guest["id"]
    assert r.json()["@odata.context"] == sim.url + "/v1.0/$metadata#users/$entity"
    openapi.validate("v1.0", "get", "/users/" + guest["id"], r)
    upns = {u["userPrincipalName"] for u in users}
    for well_known in ("admin@contoso.onmicrosoft.com", "breakglass1@contoso.onmicrosoft.com",
                       "breakglass2@contoso.onmicrosoft.com"):
        assert well_known in upns
    r = sim.graph("GET", "users/BREAKGLASS1@contoso.onmicrosoft.com")
    assert r.status_code == 200


def test_user_not_found_shape(sim, openapi):
    r = sim.graph("GET", "users/nobody@contoso.com")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "Request_ResourceNotFound"
    assert err["message"] == ("Resource 'nobody@contoso.com' does not exist or one of its queried reference-property "
                              "objects are not present.")
    openapi.validate("v1.0", "get", "/users/nobody@contoso.com", r)


def test_paging_with_skiptoken_keeps_query_options(sim):
    items, pages = sim.get_all("users?$top=37&$select=id,displayName&$filter=userType eq 'Member'")
    assert len(pages) > 2
    link = pages[0]["@odata.nextLink"]
    parsed = parse_qs(urlparse(link).query)
    assert parsed["$top"] == ["37"] and parsed["$select"] == ["id,displayName"]
    assert parsed["$filter"] == ["userType eq 'Member'"] and "$skiptoken" in parsed
    assert "$skip" not in parsed
    ids = [u["id"] for u in items]
    assert len(ids) == len(set(ids))
    everyone, _pages = sim.get_all("users?$top=999&$select=id,userType")
    assert len(ids) == sum(1 for u in everyone if u["userType"] == "Member")
    assert len(everyone) == 200
    # tampering with the token or reusing it with other options fails
    bad = link.replace("$top=37", "$top=38")
    r = sim.http.get(bad, headers=sim.auth())
    assert r.status_code == 400 and r.json()["error"]["code"] == "Directory_ExpiredPageToken"


@pytest.mark.parametrize("top,status", [("0", 400), ("1000", 400), ("-1", 400), ("abc", 400), ("1", 200),
                                        ("999", 200)])
def test_top_bounds(sim, top, status):
    r = sim.graph("GET", "users?$top=" + top)
    assert r.status_code == status
    if top == "1000":
        assert r.json()["error"] == {**r.json()["error"], "code": "Request_UnsupportedQuery",
                                     "message": "Invalid page size specified: '1000'. Must be between 1 and 999 "
                                                "inclusive."}
    if status == 200:
        assert len(r.json()["value"]) == min(int(top), 200)


def test_skip_is_rejected(sim):
    r = sim.graph("GET", "users?$skip=10")
    assert r.status_code == 400 and r.json()["error"]["code"] == "Request_BadRequest"


def _filter(sim, expr, headers=None, extra=""):
    return sim.graph("GET", "users?$top=999&$select=id,displayName,userPrincipalName,mail,userType,accountEnabled&"
                            "$filter=" + quote(expr) + extra, headers=headers)


def test_filters(sim):
    everyone = _filter(sim, "userType eq 'Member' or userType eq 'Guest'").json()["value"]
    assert len(everyone) == 200
    r = _filter(sim, "userPrincipalName eq 'admin@contoso.onmicrosoft.com'")
    assert [u["userPrincipalName"] for u in r.json()["value"]] == ["admin@contoso.onmicrosoft.com"]
    r = _filter(sim, "startswith(userPrincipalName,'breakglass')")
    assert len(r.json()["value"]) == 2
    r = _filter(sim, "userType eq 'Guest' and accountEnabled eq true")
    assert r.json()["value"] and all(u["userType"] == "Guest" and u["accountEnabled"] for u in r.json()["value"])
    r = _filter(sim, "accountEnabled eq false")
    disabled = r.json()["value"]
    assert disabled and not any(u["accountEnabled"] for u in disabled)
    r = _filter(sim, "startswith(displayName,'Break') and (mail eq null or accountEnabled eq true)",
                headers={"ConsistencyLevel": "eventual"}, extra="&$count=true")
    assert r.status_code == 200 and r.json()["@odata.count"] == 2
    uid = everyone[3]["id"]
    r = _filter(sim, "id eq '%s'" % uid)
    assert [u["id"] for u in r.json()["value"]] == [uid]
    r = _filter(sim, "id in ('%s', '%s')" % (everyone[0]["id"], everyone[1]["id"]))
    assert len(r.json()["value"]) == 2
    # quote escaping: O'Brien style literals parse; no match is an empty page, not an error
    r = _filter(sim, "displayName eq 'O''Brien'")
    assert r.status_code == 200 and r.json()["value"] == []
    mail = next(u["mail"] for u in everyone if u["mail"] and u["userType"] == "Member")
    r = _filter(sim, "mail eq '%s'" % mail.upper())  # directory string comparisons are case-insensitive
    assert len(r.json()["value"]) >= 1
    r = _filter(sim, "proxyAddresses/any(p:startswith(p,'smtp:%s'))" % mail.split("@")[0])
    assert r.status_code == 200 and r.json()["value"]


@pytest.mark.parametrize("expr,code", [
    ("jobTitle eq", "BadRequest"),
    ("nosuchprop eq 'x'", "BadRequest"),
    ("endswith(mail,'@contoso.com')", "Request_UnsupportedQuery"),
    ("accountEnabled ne true", "Request_UnsupportedQuery"),
    ("securityIdentifier eq 'x'", "Request_UnsupportedQuery"),
    ("displayName eq 'unterminated", "BadRequest"),
])
def test_unsupported_or_invalid_filters(sim, expr, code):
    r = _filter(sim, expr)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == code


def test_advanced_queries_need_consistency_level(sim, openapi):
    r = _filter(sim, "endswith(mail,'@contoso.com')", headers={"ConsistencyLevel": "eventual"}, extra="&$count=true")
    assert r.status_code == 200 and r.json()["@odata.count"] == len(r.json()["value"]) > 0
    # Documented: without the header, ?$count=true is ignored silently and /$count is refused.
    r = sim.graph("GET", "users?$count=true")
    assert r.status_code == 200 and "@odata.count" not in r.json() and r.json()["value"]
    r = sim.graph("GET", "users/$count")
    assert r.status_code == 400 and r.json()["error"]["code"] == "Request_BadRequest"
    assert r.json()["error"]["message"] == "$count is not currently supported."
    r = _filter(sim, "endswith(mail,'@contoso.com')", extra="&$count=true")
    assert r.status_code == 400 and r.json()["error"]["code"] == "Request_UnsupportedQuery"
    r = sim.graph("GET", "users/$count", headers={"ConsistencyLevel": "eventual"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain") and r.text == "200"
    r = sim.graph("GET", "users/$count?$filter=" + quote("userType eq 'Guest'"), headers={"ConsistencyLevel": "eventual"})
    assert 0 < int(r.text) < 200
    _items, pages = sim.get_all("users?$count=true&$top=60&$select=id", headers={"ConsistencyLevel": "eventual"})
    assert pages[0]["@odata.count"] == 200
    assert all("@odata.count" not in p for p in pages[1:])
    openapi.validate("v1.0", "get", "/users", None, status=200, body=pages[0])
    r = sim.graph("GET", "users?$search=" + quote('"displayName:break"'))
    assert r.status_code == 400
    r = sim.graph("GET", "users?$search=" + quote('"displayName:break"') + "&$select=displayName",
                  headers={"ConsistencyLevel": "eventual"})
    assert sorted(u["displayName"] for u in r.json()["value"]) == ["Break Glass 1", "Break Glass 2"]


def test_permissions(sim, openapi):
    r = sim.graph("GET", "users", app="noperm")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "Authorization_RequestDenied"
    assert r.json()["error"]["message"] == "Insufficient privileges to complete the operation."
    openapi.validate("v1.0", "get", "/users", r)
    assert sim.graph("GET", "users?$top=1", app="reader").status_code == 200


def test_beta_users_and_me_and_unknown_segment(sim, openapi):
    r = sim.graph("GET", "users?$top=5", version="beta")
    assert r.status_code == 200 and "accountEnabled" in r.json()["value"][0]
    openapi.validate("beta", "get", "/users", r)
    uid = r.json()["value"][0]["id"]
    r = sim.graph("GET", "users/" + uid, version="beta")
    openapi.validate("beta", "get", "/users/" + uid, r)
    r = sim.graph("GET", "me")
    assert r.status_code == 400 and "delegated" in r.json()["error"]["message"]
    r = sim.graph("GET", "userz")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Resource not found for the segment 'userz'."
    r = sim.graph("DELETE", "users/" + uid)
    assert r.status_code == 405


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_msgraph_sdk_lists_users(sim):
    from azure.identity.aio import ClientSecretCredential
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder
    from msgraph_core import GraphClientFactory

    a = sim.info["apps"]["admin"]

    async def run():
        cred = ClientSecretCredential(sim.tid, a["client_id"], a["client_secret"], authority=sim.url,
                                      disable_instance_discovery=True, connection_verify=sim.ca)
        auth = AzureIdentityAuthenticationProvider(cred, scopes=[sim.url + "/.default"], allowed_hosts=["localhost"])
        http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(
            verify=ssl.create_default_context(cafile=sim.ca), trust_env=False))
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = sim.url + "/v1.0"
        client = GraphServiceClient(request_adapter=adapter)
        page = await client.users.get()
        users = list(page.value)
        while page.odata_next_link:
            page = await client.users.with_url(page.odata_next_link).get()
            users.extend(page.value)
        q = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter="startswith(userPrincipalName,'breakglass')", select=["id", "userPrincipalName"])
        filtered = await client.users.get(request_configuration=RequestConfiguration(query_parameters=q))
        one = await client.users.by_user_id("admin@contoso.onmicrosoft.com").get()
        await cred.close()
        return users, filtered.value, one

    users, filtered, one = asyncio.run(run())
    assert len(users) == 200 and len({u.id for u in users}) == 200
    expected = ["breakglass1@contoso.onmicrosoft.com", "breakglass2@contoso.onmicrosoft.com"]
    assert sorted(u.user_principal_name for u in filtered) == expected
    assert one.display_name == "Contoso Administrator"
