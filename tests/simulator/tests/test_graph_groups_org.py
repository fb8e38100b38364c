"""Groups (filter/select/paging), transitive membership with nested groups and the user cast,
organization."""
from urllib.parse import quote

import pytest


def _group(sim, name):
    r = sim.graph("GET", "groups?$filter=" + quote("displayName eq '%s'" % name))
    assert r.status_code == 200
    value = r.json()["value"]
    assert len(value) == 1, value
    return value[0]


def test_groups_list_filter_select_paging(sim, openapi):
    r = sim.graph("GET", "groups")
    assert r.status_code == 200
    openapi.validate("v1.0", "get", "/groups", r)
    names = [g["displayName"] for g in r.json()["value"]]
    assert "All Employees" in names and "Break Glass Accounts" in names
    r = sim.graph("GET", "groups?$filter=" + quote("startswith(displayName,'Department - ')") + "&$select=id,displayName")
    depts = r.json()["value"]
    assert len(depts) >= 5 and all(set(g) == {"id", "displayName"} for g in depts)
    items, pages = sim.get_all("groups?$top=4&$select=id")
    assert len(pages) > 2 and len(items) == len(names)
    r = sim.graph("GET", "groups?$skip=2")
    assert r.status_code == 400
    unified = sim.graph("GET", "groups?$filter=" + quote("groupTypes/any(c:c eq 'Unified')")).json()["value"]
    assert [g["displayName"] for g in unified] == ["Project Phoenix"]
    assert unified[0]["mailEnabled"] is True and unified[0]["securityEnabled"] is False


def test_group_by_id_and_errors(sim, openapi):
    g = _group(sim, "Break Glass Accounts")
    r = sim.graph("GET", "groups/" + g["id"])
    assert r.status_code == 200 and r.json()["@odata.context"].endswith("$metadata#groups/$entity")
    openapi.validate("v1.0", "get", "/groups/" + g["id"], r)
    r = sim.graph("GET", "groups/00000000-1111-4222-8333-444444444444")
    assert r.status_code == 404 and r.json()["error"]["code"] == "Request_ResourceNotFound"
    r = sim.graph("GET", "groups/not-a-guid")
    assert r.status_code == 400 and r.json()["error"]["code"] == "Request_BadRequest"
    assert sim.graph("GET", "groups", app="noperm").status_code == 403
    assert sim.graph("GET", "groups/%s/transitiveMembers" % g["id"], app="reader").status_code == 200


def test_transitive_members_resolves_nested_groups(sim, openapi):
    everyone = _group(sim, "All Employees")
    items, pages = sim.get_all("groups/%s/transitiveMembers?$top=50" % everyone["id"])
    for page in pages:
        assert page["@odata.context"].endswith("$metadata#directoryObjects")
        openapi.validate("v1.0", "get", "/groups/%s/transitiveMembers" % everyone["id"], None, status=200, body=page)
    types = {i["@odata.type"] for i in items}
    assert types == {"#microsoft.graph.user", "#microsoft.graph.group", "#microsoft.graph.device"}
    names = {i.get("displayName") for i in items if i["@odata.type"] == "#microsoft.graph.group"}
    # two levels of nesting: All Employees > Department - Engineering > Engineering - Platform > ... Core
    assert {"Department - Engineering", "Engineering - Platform", "Engineering - Platform Core"} <= names
    direct = sim.graph("GET", "groups/%s/members?$top=999" % everyone["id"]).json()["value"]
    assert all(d["@odata.type"] == "#microsoft.graph.group" for d in direct)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    core = _group(sim, "Engineering - Platform Core")
    core_users = sim.graph("GET", "groups/%s/members/microsoft.graph.user" % core["id"]).json()["value"]
    assert core_users and {u["id"] for u in core_users} <= set(ids)


EVENTUAL = {"ConsistencyLevel": "eventual"}


@pytest.mark.parametrize("cast", ["microsoft.graph.user", "graph.user"])
def test_transitive_members_user_cast(sim, openapi, cast):
    everyone = _group(sim, "All Employees")
    users, pages = sim.get_all("groups/%s/transitiveMembers/%s?$count=true&$top=999" % (everyone["id"], cast),
                               headers=EVENTUAL)
    assert pages[0]["@odata.context"].endswith("$metadata#users")
    assert pages[0]["@odata.count"] == len(users)
    assert users and all(u["@odata.type"] == "#microsoft.graph.user" for u in users)
    openapi.validate("v1.0", "get", "/groups/%s/transitiveMembers/graph.user" % everyone["id"], None, status=200,
                     body=pages[0])
    total, _pages = sim.get_all("groups/%s/transitiveMembers?$top=999" % everyone["id"])
    assert len(users) == sum(1 for t in total if t["@odata.type"] == "#microsoft.graph.user")
    r = sim.graph("GET", "groups/%s/transitiveMembers/%s/$count" % (everyone["id"], cast),
                  headers={"ConsistencyLevel": "eventual"})
    assert int(r.text) == len(users)
    sel = sim.graph("GET", "groups/%s/transitiveMembers/%s?$count=true&$select=id,userPrincipalName&$top=5"
                    % (everyone["id"], cast), headers=EVENTUAL)
    assert all(set(u) == {"@odata.type", "id", "userPrincipalName"} for u in sel.json()["value"])
    assert sel.json()["@odata.count"] == len(users) and "@odata.nextLink" in sel.json()


@pytest.mark.parametrize("query, headers", [
    ("?$top=999", {}),                      # neither advanced query parameter
    ("?$count=true&$top=999", {}),          # $count=true without the header
    ("?$top=999", EVENTUAL),                # the header without $count=true
])
def test_transitive_members_user_cast_is_an_advanced_query(sim, query, headers):
    """aad-advanced-queries: the OData cast of a transitive members list needs both advanced
    query parameters; without either, Graph answers 400 Request_UnsupportedQuery."""
    everyone = _group(sim, "All Employees")
    r = sim.graph("GET", "groups/%s/transitiveMembers/microsoft.graph.user%s" % (everyone["id"], query),
                  headers=headers)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "Request_UnsupportedQuery"
    assert "ConsistencyLevel" in error["message"] and "$count=true" in error["message"]
    # The same cast inside a $batch follows the same rule, the header given in the item.
    items = [{"id": "1", "method": "GET", "url": "/groups/%s/transitiveMembers/microsoft.graph.user%s"
              % (everyone["id"], query), "headers": headers},
             {"id": "2", "method": "GET", "url": "/groups/%s/transitiveMembers/microsoft.graph.user"
              "?$count=true&$top=999" % everyone["id"], "headers": EVENTUAL}]
    answers = {a["id"]: a for a in sim.graph("POST", "$batch", json={"requests": items}).json()["responses"]}
    assert answers["1"]["status"] == 400 and answers["1"]["body"]["error"]["code"] == "Request_UnsupportedQuery"
    assert answers["2"]["status"] == 200 and answers["2"]["body"]["@odata.count"] > 0


def test_organization(sim, openapi):
    r = sim.graph("GET", "organization")
    assert r.status_code == 200
    openapi.validate("v1.0", "get", "/organization", r)
    orgs = r.json()["value"]
    assert len(orgs) == 1 and orgs[0]["id"] == sim.tid and orgs[0]["tenantType"] == "AAD"
    domains = {d["name"]: d for d in orgs[0]["verifiedDomains"]}
    assert domains["contoso.onmicrosoft.com"]["isInitial"] and domains["contoso.com"]["isDefault"]
    assert all(set(d) == {"capabilities", "isDefault", "isInitial", "name", "type"} for d in domains.values())
    r = sim.graph("GET", "organization/" + sim.tid + "?$select=id,displayName")
    assert r.json()["displayName"] == "Contoso" and set(r.json()) == {"@odata.context", "id", "displayName"}
    assert sim.graph("GET", "organization", app="reader").status_code == 200
    assert sim.graph("GET", "organization", app="noperm").status_code == 403


def test_signins(sim, openapi):
    r = sim.graph("GET", "auditLogs/signIns?$top=10")
    assert r.status_code == 200 and len(r.json()["value"]) == 10
    openapi.validate("v1.0", "get", "/auditLogs/signIns", r)
    stamps = [e["createdDateTime"] for e in r.json()["value"]]
    assert stamps == sorted(stamps, reverse=True)
    r = sim.graph("GET", "auditLogs/signIns?$filter=" + quote("clientAppUsed eq 'IMAP4' or clientAppUsed eq 'POP3'"))
    assert all(e["clientAppUsed"] in ("IMAP4", "POP3") for e in r.json()["value"])
    since = stamps[-1]
    r = sim.graph("GET", "auditLogs/signIns?$filter=" + quote("createdDateTime ge %s" % since))
    assert len(r.json()["value"]) >= 10
    assert sim.graph("GET", "auditLogs/signIns", app="reader").status_code == 403
