"""Exchange admin API: InvokeCommand paging by re-POST, warnings, tri-state SMTP AUTH,
identity resolution and errors in the Exchange shape, parameter binding, property sets,
plans, transport config, RBAC, $batch."""
NOOP = "The command completed successfully but no settings of '%s' have been modified."


def _details(r):
    parts = r.json()["error"]["details"][0]["message"].split("|")
    assert len(parts) == 3
    return parts


def _mailbox(sim, **where):
    r = sim.exo("Get-CASMailbox", {"ResultSize": "Unlimited"})
    for m in r.json()["value"]:
        if all(m.get(k) == v for k, v in where.items()):
            return m
    raise AssertionError("no mailbox with %r" % where)


def test_get_cas_mailbox_paging_by_reposting_same_body(sim, openapi):
    body_params = {"ResultSize": "Unlimited"}
    first = sim.exo("Get-CASMailbox", body_params, headers={"Prefer": "odata.maxpagesize=40"})
    assert first.status_code == 200
    openapi.validate("exo", "post", "/%s/InvokeCommand" % sim.tid, first)
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=40"
    page = first.json()
    assert len(page["value"]) == 40 and "$skiptoken=" in page["@odata.nextLink"]
    seen = list(page["value"])
    pages = 1
    while "@odata.nextLink" in page:
        r = sim.exo("Get-CASMailbox", body_params, url=page["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=40"})
        assert r.status_code == 200
        page = r.json()
        seen.extend(page["value"])
        pages += 1
    total = sim.sim("GET", "state?summary=1").json()["counts"]["mailboxes"]
    assert len(seen) == total and pages == -(-total // 40)
    assert len({m["Guid"] for m in seen}) == total
    # a different body against the nextLink is rejected
    r = sim.exo("Get-CASMailbox", {"ResultSize": 5}, url=first.json()["@odata.nextLink"])
    assert r.status_code == 400
    openapi.validate("exo", "post", "/%s/InvokeCommand" % sim.tid, r)


def test_cas_object_shape_and_select(sim):
    m = sim.exo("Get-CASMailbox", {"Identity": "admin"}).json()["value"][0]
    for key in ("Identity", "Name", "DisplayName", "PrimarySmtpAddress", "EmailAddresses", "Guid",
                "ExternalDirectoryObjectId", "ImapEnabled", "PopEnabled", "ActiveSyncEnabled", "MAPIEnabled",
                "OWAEnabled", "EwsEnabled", "ECPEnabled", "SmtpClientAuthenticationDisabled", "OutlookMobileEnabled",
                "MacOutlookEnabled", "UniversalOutlookEnabled", "OneWinNativeOutlookEnabled", "OwaMailboxPolicy",
                "ActiveSyncMailboxPolicy", "HasActiveSyncDevicePartnership"):
        assert key in m, key
    r = sim.exo("Get-CASMailbox", {"Identity": "admin"}, select="Identity,ImapEnabled,smtpclientauthenticationdisabled")
    assert set(r.json()["value"][0]) == {"Identity", "ImapEnabled", "SmtpClientAuthenticationDisabled"}


def test_identity_forms_resolve(sim):
    mbx = sim.exo("Get-Mailbox", {"Identity": "admin@contoso.onmicrosoft.com"}).json()["value"][0]
    for key in ("UserPrincipalName", "PrimarySmtpAddress", "Alias", "Name", "DisplayName", "Guid", "ExchangeGuid",
                "ExternalDirectoryObjectId"):
        r = sim.exo("Get-CASMailbox", {"Identity": mbx[key]})
        assert r.status_code == 200 and r.json()["value"][0]["Guid"] == mbx["Guid"], key
    proxy = next(a for a in mbx["EmailAddresses"] if a.startswith("smtp:"))[5:]
    assert sim.exo("Get-CASMailbox", {"Identity": proxy}).json()["value"][0]["Guid"] == mbx["Guid"]
    assert sim.exo("Get-CASMailbox", {"Identity": mbx["UserPrincipalName"].upper()}).status_code == 200


def test_unknown_identity_error_shape(sim, openapi):
    r = sim.exo("Set-CASMailbox", {"Identity": "nobody@contoso.com", "ImapEnabled": False})
    assert r.status_code == 404
    openapi.validate("exo", "post", "/%s/InvokeCommand" % sim.tid, r)
    err = r.json()["error"]
    assert err["code"] == "NotFound" and err["message"] == "Error executing cmdlet"
    error_id, exc, text = _details(r)
    assert error_id.startswith("Ex")
    assert exc == "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    assert text.startswith("The operation couldn't be performed because object 'nobody@contoso.com' couldn't be "
                           "found on '")
    assert err["innererror"]["internalexception"]["type"] == exc
    r = sim.exo("Get-CASMailbox", {"Identity": "nobody@contoso.com"})
    assert r.status_code == 404
    r = sim.exo("Set-CASMailbox", {"Identity": "Alex Johnson", "PopEnabled": False})
    assert r.status_code == 400
    assert _details(r)[1].endswith("ManagementObjectAmbiguousException")


def test_parameter_binding_errors(sim):
    r = sim.exo("Set-CASMailbox", {"Identity": "admin", "ImapEnabledd": True})
    assert r.status_code == 400
    assert _details(r)[1].endswith("ParameterBindingException")
    assert _details(r)[2] == "A parameter cannot be found that matches parameter name 'ImapEnabledd'."
    r = sim.exo("Set-CASMailbox", {"Identity": "admin", "ImapEnabled": "false"})
    assert r.status_code == 400
    assert _details(r)[2].startswith("Cannot process argument transformation on parameter 'ImapEnabled'.")
    r = sim.exo("Set-CASMailbox", {"ImapEnabled": False})
    assert r.status_code == 400 and "missing mandatory parameters: Identity" in _details(r)[2]
    # parameter names are case-insensitive
    r = sim.exo("set-casmailbox", {"identity": "admin", "imapenabled": 0})
    assert r.status_code == 200
    r = sim.exo("Set-CASMailboxPlan", {"Identity": "ExchangeOnlineEnterprise", "SmtpClientAuthenticationDisabled": True})
    assert r.status_code == 400 and _details(r)[2] == (
        "A parameter cannot be found that matches parameter name 'SmtpClientAuthenticationDisabled'.")
    r = sim.exo("Set-CASMailbox", {"Identity": "admin", "ECPEnabled": False})  # on-premises only parameter
    assert r.status_code == 400
    r = sim.exo("Get-EXOCasMailbox", {"RecipientTypeDetails": "UserMailbox"})  # not a parameter of that cmdlet
    assert r.status_code == 400
    r = sim.exo("Get-Nothing", {})
    assert r.status_code == 400 and _details(r)[1].endswith("CommandNotFoundException")


def test_set_cas_mailbox_noop_warning_and_changes(sim):
    m = _mailbox(sim, ImapEnabled=True, PopEnabled=True)
    r = sim.exo("Set-CASMailbox", {"Identity": m["PrimarySmtpAddress"], "ImapEnabled": True, "PopEnabled": True})
    assert r.status_code == 200
    assert r.json()["@adminapi.warnings"] == [NOOP % m["Identity"]] and r.json()["value"] == []
    r = sim.exo("Set-CASMailbox", {"Identity": m["PrimarySmtpAddress"], "ImapEnabled": False, "PopEnabled": True})
    assert r.status_code == 200 and "@adminapi.warnings" not in r.json() and r.json()["value"] == []
    after = sim.exo("Get-CASMailbox", {"Identity": m["Guid"]}).json()["value"][0]
    assert after["ImapEnabled"] is False and after["PopEnabled"] is True
    change = sim.sim("GET", "changes").json()["changes"][-1]
    assert change["kind"] == "casMailbox" and change["before"] == {"ImapEnabled": True}
    assert change["after"] == {"ImapEnabled": False}
    r = sim.exo("Set-CASMailbox", {"Identity": m["Guid"], "ImapEnabled": True, "WhatIf": True})
    assert r.status_code == 200
    assert sim.exo("Get-CASMailbox", {"Identity": m["Guid"]}).json()["value"][0]["ImapEnabled"] is False


def test_smtp_client_auth_tri_state(sim):
    values = sim.exo("Get-CASMailbox", {"ResultSize": "Unlimited"}).json()["value"]
    seen = {v["SmtpClientAuthenticationDisabled"] for v in values}
    assert seen == {None, True, False}
    m = next(v for v in values if v["SmtpClientAuthenticationDisabled"] is None)
    ident = m["PrimarySmtpAddress"]

    def current():
        return sim.exo("Get-CASMailbox", {"Identity": ident}).json()["value"][0]["SmtpClientAuthenticationDisabled"]

    assert sim.exo("Set-CASMailbox", {"Identity": ident, "SmtpClientAuthenticationDisabled": False}).status_code == 200
    assert current() is False
    assert sim.exo("Set-CASMailbox", {"Identity": ident, "SmtpClientAuthenticationDisabled": True}).status_code == 200
    assert current() is True
    r = sim.exo("Set-CASMailbox", {"Identity": ident, "SmtpClientAuthenticationDisabled": None})
    assert r.status_code == 200 and "@adminapi.warnings" not in r.json()
    assert current() is None  # null stays null: it means "inherit from Set-TransportConfig"
    r = sim.exo("Set-CASMailbox", {"Identity": ident, "SmtpClientAuthenticationDisabled": None})
    assert r.json()["@adminapi.warnings"] == [NOOP % m["Identity"]]
    # the organization switch is a plain Boolean
    r = sim.exo("Set-TransportConfig", {"SmtpClientAuthenticationDisabled": None})
    assert r.status_code == 400


def test_get_exo_cas_mailbox_property_sets(sim):
    r = sim.exo("Get-EXOCasMailbox", {"UserPrincipalName": "admin@contoso.onmicrosoft.com"})
    minimum = r.json()["value"][0]
    assert "SmtpClientAuthenticationDisabled" not in minimum and "OutlookMobileEnabled" not in minimum
    assert {"ImapEnabled", "PopEnabled", "Identity", "PrimarySmtpAddress"} <= set(minimum)
    r = sim.exo("Get-EXOCasMailbox", {"Identity": "admin", "Properties": ["SmtpClientAuthenticationDisabled",
                                                                          "OutlookMobileEnabled"]})
    obj = r.json()["value"][0]
    assert "SmtpClientAuthenticationDisabled" in obj and "OutlookMobileEnabled" in obj and "ImapEnabled" in obj
    r = sim.exo("Get-EXOCasMailbox", {"Identity": "admin", "PropertySets": ["Imap", "Pop"]})
    obj = r.json()["value"][0]
    assert "ImapUseProtocolDefaults" in obj and "PopMessagesRetrievalMimeFormat" in obj
    assert "SmtpClientAuthenticationDisabled" not in obj and "DisplayName" not in obj
    r = sim.exo("Get-EXOCasMailbox", {"Identity": "admin", "PropertySets": "All"})
    obj = r.json()["value"][0]
    for key in ("SmtpClientAuthenticationDisabled", "MacOutlookEnabled", "UniversalOutlookEnabled",
                "OneWinNativeOutlookEnabled", "OutlookMobileEnabled"):
        assert key in obj
    ext = obj["ExternalDirectoryObjectId"]
    r = sim.exo("Get-EXOCasMailbox", {"ExternalDirectoryObjectId": ext})
    assert r.json()["value"][0]["Guid"] == obj["Guid"]
    r = sim.exo("Get-EXOCasMailbox", {"Identity": "admin", "UserPrincipalName": "admin@contoso.onmicrosoft.com"})
    assert r.status_code == 400
    r = sim.exo("Get-EXOCasMailbox", {"PropertySets": "Bogus"})
    assert r.status_code == 400
    r = sim.exo("Get-EXOCasMailbox", {"Filter": "RecipientTypeDetails -eq 'SharedMailbox'", "ResultSize": "Unlimited"})
    shared = r.json()["value"]
    assert shared and len(shared) < 50


def test_recipient_type_details_filter(sim):
    r = sim.exo("Get-CASMailbox", {"RecipientTypeDetails": ["SharedMailbox", "RoomMailbox", "EquipmentMailbox"],
                                   "ResultSize": "Unlimited"})
    cas = r.json()["value"]
    mbx = sim.exo("Get-Mailbox", {"RecipientTypeDetails": "SharedMailbox,RoomMailbox,EquipmentMailbox",
                                  "ResultSize": "Unlimited"}).json()["value"]
    assert {m["Guid"] for m in cas} == {m["Guid"] for m in mbx}
    assert {m["RecipientTypeDetails"] for m in mbx} == {"SharedMailbox", "RoomMailbox", "EquipmentMailbox"}
    r = sim.exo("Get-Mailbox", {"RecipientTypeDetails": "NotAType"})
    assert r.status_code == 400


def test_result_size_default_and_warning_on_last_page(sim):
    assert sim.sim("POST", "reset", json={"users": 1300, "seed": 3}).status_code == 200
    total = sim.sim("GET", "state?summary=1").json()["counts"]["mailboxes"]
    assert total > 1000
    r = sim.exo("Get-CASMailbox", {}, headers={"Prefer": "odata.maxpagesize=400"})
    page = r.json()
    assert "@adminapi.warnings" not in page
    got = list(page["value"])
    while "@odata.nextLink" in page:
        page = sim.exo("Get-CASMailbox", {}, url=page["@odata.nextLink"],
                       headers={"Prefer": "odata.maxpagesize=400"}).json()
        got.extend(page["value"])
    assert len(got) == 1000
    assert "ResultSize" in page["@adminapi.warnings"][0] and "Unlimited" in page["@adminapi.warnings"][0]
    r = sim.exo("Get-CASMailbox", {"ResultSize": 5})
    assert len(r.json()["value"]) == 5 and r.json()["@adminapi.warnings"]
    first = sim.exo("Get-Mailbox", {"ResultSize": "Unlimited"}).json()
    assert len(first["value"]) == 1000 and "@odata.nextLink" in first  # default page size 1000


def test_cas_mailbox_plans(sim):
    plans = sim.exo("Get-CASMailboxPlan").json()["value"]
    by_name = {p["DisplayName"]: p for p in plans}
    assert set(by_name) == {"ExchangeOnline", "ExchangeOnlineEnterprise", "ExchangeOnlineDeskless",
                            "ExchangeOnlineEssentials"}
    ent = by_name["ExchangeOnlineEnterprise"]
    assert ent["Name"] == "ExchangeOnlineEnterprise-" + ent["Guid"] and ent["Identity"] == ent["Name"]
    assert by_name["ExchangeOnlineDeskless"]["ImapEnabled"] is False
    r = sim.exo("Set-CASMailboxPlan", {"Identity": "ExchangeOnlineEnterprise", "ImapEnabled": True})
    assert r.json()["@adminapi.warnings"] == [NOOP % ent["Name"]]
    r = sim.exo("Set-CASMailboxPlan", {"Identity": ent["Name"], "ImapEnabled": False, "PopEnabled": False})
    assert r.status_code == 200 and "@adminapi.warnings" not in r.json()
    again = sim.exo("Get-CASMailboxPlan", {"Identity": ent["Guid"]}).json()["value"][0]
    assert again["ImapEnabled"] is False and again["PopEnabled"] is False
    assert sim.exo("Set-CASMailboxPlan", {"Identity": "NoSuchPlan", "ImapEnabled": True}).status_code == 404


def test_transport_config(sim):
    tc = sim.exo("Get-TransportConfig").json()["value"][0]
    assert tc["SmtpClientAuthenticationDisabled"] is True
    r = sim.exo("Set-TransportConfig", {"SmtpClientAuthenticationDisabled": False})
    assert r.status_code == 200 and "@adminapi.warnings" not in r.json()
    assert sim.exo("Get-TransportConfig").json()["value"][0]["SmtpClientAuthenticationDisabled"] is False
    r = sim.exo("Set-TransportConfig", {"SmtpClientAuthenticationDisabled": False})
    assert r.json()["@adminapi.warnings"] == [NOOP % tc["Identity"]]
    assert sim.exo("Set-TransportConfig", {"MaxRecipientEnvelopeLimit": 5000}).status_code == 400
    assert sim.exo("Set-TransportConfig", {"DSNConversionMode": "UseExchangeDSNs"}).status_code == 200
    assert sim.exo("Get-TransportConfig", {"Identity": "x"}).status_code == 400


def test_rbac(sim):
    assert sim.exo("Get-CASMailbox", {"Identity": "admin"}, app="reader").status_code == 200
    # A valid token whose role does not allow the cmdlet: 401 naming the cmdlet, not 403.
    r = sim.exo("Set-CASMailbox", {"Identity": "admin", "ImapEnabled": False}, app="reader")
    assert r.status_code == 401
    assert r.json()["error"] == {"code": "Unauthorized", "message": "User is not allowed to call Set-CASMailbox"}
    assert "WWW-Authenticate" not in r.headers
    r = sim.exo("Set-TransportConfig", {"SmtpClientAuthenticationDisabled": False}, app="reader")
    assert r.status_code == 401 and r.json()["error"]["message"] == "User is not allowed to call Set-TransportConfig"
    assert sim.sim("GET", "changes").json()["changes"] == []
    r = sim.exo("Get-CASMailbox", {"Identity": "admin"}, app="noperm")
    assert r.status_code == 403 and "Exchange.ManageAsApp" in _details(r)[2]
    r = sim.http.post(sim.url + "/adminapi/beta/unknown.example/InvokeCommand",
                      json={"CmdletInput": {"CmdletName": "Get-TransportConfig"}}, headers=sim.auth())
    assert r.status_code == 404
    r = sim.http.post(sim.url + "/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand",
                      json={"CmdletInput": {"CmdletName": "Get-TransportConfig"}}, headers=sim.auth())
    assert r.status_code == 200
    r = sim.http.post(sim.exo_url(), json={"CmdletInput": {"CmdletName": "Get-TransportConfig"}})
    assert r.status_code == 401


def _item(i, cmdlet, params, url):
    return {"id": str(i), "method": "POST", "url": url,
            "headers": {"Content-Type": "application/json"},
            "body": {"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}}}


def test_exchange_batch(sim, openapi):
    url = sim.exo_url()
    mailboxes = sim.exo("Get-Mailbox", {"ResultSize": 10}).json()["value"]
    reqs = [_item(i, "Get-CASMailbox", {"Identity": m["Guid"]}, url) for i, m in enumerate(mailboxes[:9])]
    reqs.append(_item(9, "Set-CASMailbox", {"Identity": "nobody@contoso.com", "ImapEnabled": False}, url))
    r = sim.http.post(sim.exo_url("$batch"), json={"requests": reqs[:9]}, headers=sim.auth())
    assert r.status_code == 200
    openapi.validate("exo", "post", "/%s/$batch" % sim.tid, r)
    r = sim.http.post(sim.exo_url("$batch"), json={"requests": reqs}, headers=sim.auth())
    assert r.status_code == 200
    # (the reconstructed BatchResponse uses oneOf(InvokeCommandResponse, AdminApiErrorBody), which an
    # error body satisfies twice, so error items are validated against the InvokeCommand operation)
    items = {i["id"]: i for i in r.json()["responses"]}
    openapi.validate("exo", "post", "/%s/InvokeCommand" % sim.tid, None, status=404, body=items["9"]["body"])
    assert len(items) == 10
    assert all(items[str(i)]["status"] == 200 for i in range(9))
    assert items["0"]["body"]["value"][0]["Guid"] == mailboxes[0]["Guid"]
    assert items["9"]["status"] == 404
    assert items["9"]["body"]["error"]["details"][0]["message"].split("|")[1].endswith(
        "ManagementObjectNotFoundException")
    reqs.append(_item(10, "Get-TransportConfig", {}, url))
    r = sim.http.post(sim.exo_url("$batch"), json={"requests": reqs}, headers=sim.auth())
    assert r.status_code == 400
    r = sim.http.post(sim.exo_url("$batch"), json={"requests": [
        {"id": "1", "method": "POST", "url": "/adminapi/beta/%s/InvokeCommand" % sim.tid,
         "body": {"CmdletInput": {"CmdletName": "Get-TransportConfig"}}}]}, headers=sim.auth())
    assert r.json()["responses"][0]["status"] == 400  # item url must be absolute


def test_exchange_batch_follows_next_link(sim):
    url = sim.exo_url()
    r = sim.http.post(sim.exo_url("$batch"), json={"requests": [_item(1, "Get-Mailbox", {"ResultSize": 25}, url)]},
                      headers={**sim.auth(), "Prefer": "odata.maxpagesize=10"})
    item = r.json()["responses"][0]
    got = list(item["body"]["value"])
    while "@odata.nextLink" in item["body"]:
        r = sim.http.post(sim.exo_url("$batch"), json={"requests": [
            _item(1, "Get-Mailbox", {"ResultSize": 25}, item["body"]["@odata.nextLink"])]},
            headers={**sim.auth(), "Prefer": "odata.maxpagesize=10"})
        item = r.json()["responses"][0]
        assert item["status"] == 200
        got.extend(item["body"]["value"])
    assert len(got) == 25


def test_module_file_manifest(sim):
    r = sim.http.get("%s/AdminApi/v1.0/%s/EXOModuleFile" % (sim.url, sim.tid), headers=sim.auth())
    assert r.status_code == 200
    cmdlets = r.json()["value"]["exportedCmdlets"].split(",")
    assert {"Get-CASMailbox", "Set-CASMailbox", "Get-EXOCasMailbox", "Set-TransportConfig"} <= set(cmdlets)


def test_batch_item_refused_to_the_role_is_401_naming_the_cmdlet(sim):
    url = sim.exo_url()
    reqs = [_item(1, "Get-CASMailbox", {"Identity": "admin"}, url),
            _item(2, "Set-CASMailbox", {"Identity": "admin", "PopEnabled": False}, url)]
    r = sim.http.post(sim.exo_url("$batch"), json={"requests": reqs},
                      headers={**sim.auth("reader"), "Prefer": "odata.continue-on-error"})
    items = {i["id"]: i for i in r.json()["responses"]}
    assert items["1"]["status"] == 200
    assert items["2"]["status"] == 401
    assert items["2"]["body"]["error"]["message"] == "User is not allowed to call Set-CASMailbox"


def test_batch_stops_at_the_first_failure_without_continue_on_error(sim):
    url = sim.exo_url()
    target = _mailbox(sim, PopEnabled=True)
    reqs = [_item(1, "Get-CASMailbox", {"Identity": "admin"}, url),
            _item(2, "Get-CASMailbox", {"Identity": "nobody@contoso.com"}, url),
            _item(3, "Set-CASMailbox", {"Identity": target["Guid"], "PopEnabled": False}, url)]
    r = sim.http.post(sim.exo_url("$batch"), json={"requests": reqs}, headers=sim.auth())
    assert r.status_code == 200
    items = {i["id"]: i for i in r.json()["responses"]}
    assert [items[k]["status"] for k in ("1", "2", "3")] == [200, 404, 424]
    assert items["3"]["body"]["error"]["code"] == "FailedDependency"
    # The item answered 424 was not run.
    assert sim.exo("Get-CASMailbox", {"Identity": target["Guid"]}).json()["value"][0]["PopEnabled"] is True

    r = sim.http.post(sim.exo_url("$batch"), json={"requests": reqs},
                      headers={**sim.auth(), "Prefer": "odata.continue-on-error"})
    assert r.headers["Preference-Applied"] == "odata.continue-on-error"
    items = {i["id"]: i for i in r.json()["responses"]}
    assert [items[k]["status"] for k in ("1", "2", "3")] == [200, 404, 200]
    assert sim.exo("Get-CASMailbox", {"Identity": target["Guid"]}).json()["value"][0]["PopEnabled"] is False


def test_ews_is_null_by_default_at_both_levels(sim):
    org = sim.exo("Get-OrganizationConfig", app="reader").json()["value"]
    assert len(org) == 1 and "EwsEnabled" in org[0] and org[0]["EwsEnabled"] is None
    mailboxes = sim.exo("Get-CASMailbox", {"ResultSize": "Unlimited"}).json()["value"]
    values = [m["EwsEnabled"] for m in mailboxes]
    assert values.count(None) > len(values) // 2 and set(values) <= {None, False}
    # The mailbox value goes back to null (not enforced at the mailbox level).
    target = mailboxes[values.index(None)]["Guid"]
    assert sim.exo("Set-CASMailbox", {"Identity": target, "EwsEnabled": True}).status_code == 200
    assert sim.exo("Get-CASMailbox", {"Identity": target}).json()["value"][0]["EwsEnabled"] is True
    assert sim.exo("Set-CASMailbox", {"Identity": target, "EwsEnabled": None}).status_code == 200
    assert sim.exo("Get-CASMailbox", {"Identity": target}).json()["value"][0]["EwsEnabled"] is None


def test_organization_ews_switch(sim):
    r = sim.exo("Set-OrganizationConfig", {"EwsEnabled": False}, app="reader")
    assert r.status_code == 401
    assert sim.exo("Set-OrganizationConfig", {"EwsEnabled": False}).status_code == 200
    assert sim.exo("Get-OrganizationConfig", select="EwsEnabled").json()["value"] == [{"EwsEnabled": False}]
    again = sim.exo("Set-OrganizationConfig", {"EwsEnabled": False}).json()
    assert "no settings of" in again["@adminapi.warnings"][0]
    assert sim.exo("Set-OrganizationConfig", {"EwsEnabled": None}).status_code == 200
    assert sim.exo("Get-OrganizationConfig").json()["value"][0]["EwsEnabled"] is None
