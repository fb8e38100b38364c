"""Sign-in logs: the seeded legacy users, Graph's filters, paging, ordering, the query options Graph refuses,
the two permissions and the licence error."""
import datetime
from urllib.parse import quote

import pytest

LEGACY_VALUES = {"Exchange ActiveSync", "IMAP4", "POP3", "Authenticated SMTP", "MAPI Over HTTP",
                 "Outlook Anywhere (RPC over HTTP)", "Exchange Web Services", "Autodiscover", "Offline Address Book",
                 "Exchange Online PowerShell", "Other clients"}


def _all(sim, query):
    items, r = [], sim.graph("GET", "auditLogs/signIns?" + query)
    while True:
        assert r.status_code == 200, r.text
        items.extend(r.json()["value"])
        link = r.json().get("@odata.nextLink")
        if not link:
            return items
        r = sim.http.get(link, headers=sim.auth())


def test_legacy_users_are_seeded_deterministically(sim):
    summary = sim.sim("GET", "state?summary=1").json()
    legacy = summary["legacy_users"]
    assert [u["clientAppUsed"] for u in legacy][:4] == ["Exchange ActiveSync"] * 4
    assert {u["recency"] for u in legacy} == {"recent", "stale"}
    assert sum(1 for u in legacy if u["outcome"] == "failure") == 1
    sim.sim("POST", "reset", json={"users": 200, "seed": 1})
    assert sim.sim("GET", "state?summary=1").json()["legacy_users"] == legacy
    # Every legacy sign-in in the log belongs to the subset: tests can know who.
    state = sim.sim("GET", "state").json()
    upns = {u["userPrincipalName"] for u in legacy}
    assert {e["userPrincipalName"] for e in state["signins"] if e["clientAppUsed"] in LEGACY_VALUES} == upns
    # Their mailboxes allow what they use successfully.
    by_user = {m["ExternalDirectoryObjectId"]: m for m in state["mailboxes"]}
    for user in legacy:
        cas = by_user[user["id"]]["cas"]
        if user["clientAppUsed"] == "Exchange ActiveSync" and user["outcome"] == "success":
            assert cas.get("ActiveSyncEnabled", True) is True
        if user["clientAppUsed"] == "Authenticated SMTP":
            assert cas.get("SmtpClientAuthenticationDisabled") is False


def test_filter_by_client_and_window(sim):
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    flt = quote("createdDateTime ge %s and clientAppUsed eq 'Exchange ActiveSync'" % since)
    events = _all(sim, "$filter=%s&$top=1000" % flt)
    legacy = sim.sim("GET", "state?summary=1").json()["legacy_users"]
    recent_eas = {u["userPrincipalName"] for u in legacy
                  if u["clientAppUsed"] == "Exchange ActiveSync" and u["recency"] == "recent"}
    assert {e["userPrincipalName"] for e in events} == recent_eas
    # Whole events: the listing has no $select.
    assert all({"createdDateTime", "userId", "userPrincipalName", "clientAppUsed", "status", "deviceDetail",
                "userAgent", "isInteractive"} <= set(e) for e in events)
    assert all(e["deviceDetail"]["operatingSystem"] == "Ios" for e in events)
    assert all(e["createdDateTime"] >= since for e in events)


def test_paging_newest_first_and_top_limit(sim):
    total = sim.sim("GET", "state?summary=1").json()["counts"]["signins"]
    assert 300 < total < 1000
    body = sim.graph("GET", "auditLogs/signIns").json()
    assert len(body["value"]) == total and "@odata.nextLink" not in body  # default page size: 1,000
    body = sim.graph("GET", "auditLogs/signIns?$top=300").json()
    assert len(body["value"]) == 300 and "$skiptoken" in body["@odata.nextLink"]
    stamps = [e["createdDateTime"] for e in body["value"]]
    assert stamps == sorted(stamps, reverse=True)
    assert sim.graph("GET", "auditLogs/signIns?$top=1000").status_code == 200
    assert sim.graph("GET", "auditLogs/signIns?$top=1001").status_code == 400
    rest = sim.http.get(body["@odata.nextLink"], headers=sim.auth()).json()
    assert rest["value"] and not ({e["id"] for e in rest["value"]} & {e["id"] for e in body["value"]})
    assert len(_all(sim, "$top=300")) == total


def test_failure_status_filter(sim):
    events = _all(sim, "$filter=" + quote("clientAppUsed eq 'IMAP4' and status/errorCode eq 50126"))
    legacy = sim.sim("GET", "state?summary=1").json()["legacy_users"]
    assert {e["userPrincipalName"] for e in events} == {
        u["userPrincipalName"] for u in legacy if u["clientAppUsed"] == "IMAP4" and u["outcome"] == "failure"}
    assert all(e["status"]["failureReason"] for e in events)
    # Basic-auth legacy sign-ins pass the password: interactive, so listed by v1.0.
    assert all(e["isInteractive"] is True and e["userAgent"] == "BAV2ROPC" for e in events)


def test_without_premium_licence_or_permission(sim):
    sim.config(entra_premium=False)
    r = sim.graph("GET", "auditLogs/signIns?$top=5")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    sim.config(entra_premium=True)
    # The reader app has AuditLog.Read.All but not Directory.Read.All: Graph wants both.
    assert "AuditLog.Read.All" in sim.info["apps"]["reader"]["roles"]
    assert "Directory.Read.All" not in sim.info["apps"]["reader"]["roles"]
    r = sim.graph("GET", "auditLogs/signIns?$top=5", app="reader")
    assert r.status_code == 403 and r.json()["error"]["code"] == "Authorization_RequestDenied"
    assert sim.graph("GET", "auditLogs/signIns?$top=5", app="noperm").status_code == 403
    assert sim.graph("GET", "auditLogs/signIns?$top=5").status_code == 200


@pytest.mark.parametrize("query, name", [
    ("$select=createdDateTime,userPrincipalName", "Select"),
    ("$orderby=createdDateTime desc", "OrderBy"),
    ("$count=true", "Count"),
    ("$skip=10", "Skip"),
])
def test_undocumented_query_options_are_refused(sim, query, name):
    # "List signIns" documents $top, $skiptoken and $filter only; Graph refuses the rest with 400.
    r = sim.graph("GET", "auditLogs/signIns?$top=5&" + query)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["message"].startswith("Query option '%s' is not allowed." % name)
    assert error["innerError"]["request-id"]
