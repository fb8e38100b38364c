"""The /wsman endpoint: WS-Management shell actions and PSRP, driven by pypsrp's real client."""
import base64
import re

import pytest
import requests
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

INJECTION = "x'; Remove-Mailbox -Identity *; '"


def wsman(info, password=None, path=None):
    psrp = info["psrp"]
    return WSMan(psrp["server"], port=psrp["port"], username=psrp["username"],
                 password=password or psrp["password"], ssl=True, auth="basic", cert_validation=info["ca_path"],
                 path=path or psrp["path"])


def connect(pool, info, app="admin", thumbprint=None, organization=None, environment=None):
    ps = PowerShell(pool)
    ps.add_cmdlet("Connect-ExchangeOnline").add_parameters({
        "AppId": info["apps"][app]["client_id"],
        "CertificateThumbprint": thumbprint or info["apps"][app]["certificate_thumbprint"],
        "Organization": organization or info["tenant_domain"]}).add_parameter("ShowBanner", False)
    if environment:
        ps.add_parameter("ExchangeEnvironmentName", environment)
    ps.invoke()
    return ps


def run(pool, cmdlet, **params):
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in params.items():
        ps.add_parameter(name, value)
    output = ps.invoke()
    return ps, output


def test_management_host_needs_connect_exchange_online(sim):
    with RunspacePool(wsman(sim.info)) as pool:
        ps, output = run(pool, "Get-CASMailbox", ResultSize=1)
        assert ps.had_errors and "is not recognized" in str(ps.streams.error[0])
        ps = connect(pool, sim.info, thumbprint="00" * 20)
        assert ps.had_errors and "Cannot find certificate with this thumbprint" in str(ps.streams.error[0])
        ps = connect(pool, sim.info)
        assert not ps.had_errors and not ps.streams.error
        ps, output = run(pool, "Get-CASMailbox", ResultSize=3)
        assert not ps.had_errors and len(output) == 3
        assert "Microsoft.Exchange.Data.Directory.Management.CASMailbox" in output[0].types[0]
        assert set(["ImapEnabled", "Guid", "PrimarySmtpAddress"]) <= set(output[0].extended_properties)


def test_reader_app_cannot_see_write_cmdlets(sim):
    with RunspacePool(wsman(sim.info)) as pool:
        assert not connect(pool, sim.info, app="reader").had_errors
        ps, output = run(pool, "Set-TransportConfig", SmtpClientAuthenticationDisabled=True)
        assert ps.had_errors and "'Set-TransportConfig' is not recognized" in str(ps.streams.error[0])


def test_on_premises_endpoint_and_the_two_error_channels(sim):
    with RunspacePool(wsman(sim.info, path="PowerShell"), configuration_name="Microsoft.Exchange") as pool:
        ps, output = run(pool, "Get-CASMailbox", Identity=INJECTION)
        # Non-terminating: the pipeline completes, the record is in the error stream.
        assert not ps.had_errors and output == []
        assert str(ps.streams.error[0]) == ("The operation couldn't be performed because object '%s' couldn't be "
                                            "found on 'NAMPR12A005DC003.NAMPR12A005.PROD.OUTLOOK.COM'." % INJECTION)
        assert ps.streams.error[0].reason == "ManagementObjectNotFoundException"
        # Terminating: parameter binding fails the pipeline.
        ps, output = run(pool, "Get-CASMailbox", Bogus=1)
        assert ps.had_errors and "Bogus" in str(ps.streams.error[0])
        ps = PowerShell(pool)
        ps.add_script("Get-Mailbox")
        ps.invoke()
        assert ps.had_errors and "no-language mode" in str(ps.streams.error[0])


def test_set_outputs_nothing_and_warns_when_nothing_changed(sim):
    with RunspacePool(wsman(sim.info, path="PowerShell"), configuration_name="Microsoft.Exchange") as pool:
        ps, output = run(pool, "Get-CASMailbox", ResultSize=1)
        mailbox = output[0].adapted_properties  # an on-premises server's objects are .NET objects
        ps, output = run(pool, "Set-CASMailbox", Identity=str(mailbox["Guid"]), ImapEnabled=not mailbox["ImapEnabled"])
        assert output == [] and not ps.streams.error and not ps.streams.warning
        ps, output = run(pool, "Set-CASMailbox", Identity=str(mailbox["Guid"]), ImapEnabled=not mailbox["ImapEnabled"])
        assert output == [] and "no settings of" in ps.streams.warning[0].message
    changes = sim.sim("GET", "changes").json()["changes"]
    assert len(changes) == 1 and changes[0]["after"]["ImapEnabled"] == (not mailbox["ImapEnabled"])


def test_statements_with_merged_streams_keep_their_order(sim):
    with RunspacePool(wsman(sim.info, path="PowerShell"), configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-CASMailbox").add_parameter("Identity", "nobody").merge_error("output").add_statement()
        ps.add_cmdlet("Select-Object").add_parameter("InputObject", "marker").add_statement()
        ps.add_cmdlet("Get-TransportConfig").add_cmdlet("Select-Object").add_parameter(
            "Property", ["SmtpClientAuthenticationDisabled"])
        output = ps.invoke()
        assert not ps.had_errors and not ps.streams.error
        assert "couldn't be found" in str(output[0]) and output[1] == "marker"
        assert list(output[2].extended_properties) == ["SmtpClientAuthenticationDisabled"]


def test_each_endpoint_hosts_its_own_configuration(sim):
    with pytest.raises(Exception) as caught:
        RunspacePool(wsman(sim.info), configuration_name="Microsoft.Exchange").open()
    assert "not found in the WS-Management catalog" in str(caught.value)
    with pytest.raises(Exception) as caught:
        RunspacePool(wsman(sim.info, path="PowerShell")).open()
    assert "not found in the WS-Management catalog" in str(caught.value)


def test_wrong_password_and_unknown_shell(sim):
    with pytest.raises(AuthenticationError):
        RunspacePool(wsman(sim.info, password="wrong")).open()
    psrp = sim.info["psrp"]
    envelope = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
        '<a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive</a:Action>'
        '<a:MessageID>uuid:1</a:MessageID><w:SelectorSet><w:Selector Name="ShellId">NOPE</w:Selector>'
        '</w:SelectorSet></s:Header><s:Body/></s:Envelope>')
    auth = base64.b64encode(("%s:%s" % (psrp["username"], psrp["password"])).encode()).decode()
    r = requests.post(sim.url + "/wsman", data=envelope, verify=sim.ca,
                      headers={"Authorization": "Basic " + auth, "Content-Type": "application/soap+xml"})
    assert r.status_code == 500 and "WSManFault" in r.text and "shell was not found" in r.text


EXO_FQID = re.compile(r"^\[Server=[^,\]]+,RequestId=[0-9a-f-]{36},TimeStamp=[^\]]+\] "
                      r"\[FailureCategory=Cmdlet-ManagementObjectNotFoundException\] (Ex[0-9A-F]+),Write-ErrorMessage$")
ONPREM_FQID = re.compile(r"^\[Server=[^,\]]+,RequestId=[0-9a-f-]{36},TimeStamp=[^\]]+\] "
                         r"\[FailureCategory=Cmdlet-ManagementObjectNotFoundException\] [0-9A-F]{8},"
                         r"Microsoft\.Exchange\.Management\.RecipientTasks\.GetCASMailbox$")


def test_exchange_online_writes_its_errors_the_v3_way(sim):
    """Management host: the v3 module's Write-ErrorMessage shape; on-premises: the typed exception."""
    with RunspacePool(wsman(sim.info)) as pool:
        assert not connect(pool, sim.info).had_errors
        ps, output = run(pool, "Get-CASMailbox", Identity="nobody@contoso.com")
        assert not ps.had_errors and output == []
        record = ps.streams.error[0]
        message = record.exception.adapted_properties["Message"]
        match = re.match(r"^(Ex[0-9A-F]+)\|Microsoft\.Exchange\.Configuration\.Tasks\.ManagementObjectNotFoundException"
                         r"\|The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found "
                         r"on '[A-Z0-9.]+'\.$", message)
        assert match, message
        assert record.exception.types[0].replace("Deserialized.", "") == "System.Exception"
        assert (record.category, record.activity, record.reason, record.target_name) == (
            0, "Get-CASMailbox", "ManagementObjectNotFoundException", "")
        fq_id = EXO_FQID.match(record.fq_error)
        assert fq_id and fq_id.group(1) == match.group(1), record.fq_error
    with RunspacePool(wsman(sim.info, path="PowerShell"), configuration_name="Microsoft.Exchange") as pool:
        ps, output = run(pool, "Get-CASMailbox", Identity="nobody@contoso.com")
        record = ps.streams.error[0]
        assert record.exception.adapted_properties["Message"].startswith("The operation couldn't be performed")
        assert record.exception.types[0].replace("Deserialized.", "") == (
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
        assert ONPREM_FQID.match(record.fq_error), record.fq_error


def test_connect_needs_the_cloud_and_the_initial_domain(sim):
    with RunspacePool(wsman(sim.info)) as pool:
        ps = connect(pool, sim.info, environment="O365USGovGCCHigh")
        assert ps.had_errors and "AADSTS90002" in str(ps.streams.error[0])
        ps = connect(pool, sim.info, environment="O365Mars")
        assert ps.had_errors and "Cannot bind parameter 'ExchangeEnvironmentName'" in str(ps.streams.error[0])
        for organization in (sim.tid, "contoso.com"):
            ps = connect(pool, sim.info, organization=organization)
            assert ps.had_errors and "primary .onmicrosoft.com domain" in str(ps.streams.error[0])
        ps = connect(pool, sim.info, organization="fabrikam.onmicrosoft.com")
        assert ps.had_errors and "AADSTS90002" in str(ps.streams.error[0])
        ps, output = run(pool, "Get-CASMailbox", ResultSize=1)
        assert ps.had_errors and "is not recognized" in str(ps.streams.error[0])
        assert not connect(pool, sim.info, environment="O365Default").had_errors
    sim.config(exchange_environment="O365USGovGCCHigh")
    with RunspacePool(wsman(sim.info)) as pool:
        ps = connect(pool, sim.info)
        assert ps.had_errors and "signing into the correct cloud" in str(ps.streams.error[0])
        assert not connect(pool, sim.info, environment="O365USGovGCCHigh").had_errors
        ps, output = run(pool, "Get-CASMailbox", ResultSize=1)
        assert not ps.had_errors and len(output) == 1


def values_of(obj):
    return obj.adapted_properties or obj.extended_properties


@pytest.mark.parametrize("knob, configuration, adapted", [
    ("auto", "Microsoft.PowerShell", False),
    ("auto", "Microsoft.Exchange", True),
    ("adapted", "Microsoft.PowerShell", True),
    ("extended", "Microsoft.Exchange", False),
])
def test_objects_carry_adapted_or_extended_properties(sim, knob, configuration, adapted):
    sim.config(psrp_properties=knob)
    path = "PowerShell" if configuration == "Microsoft.Exchange" else None
    with RunspacePool(wsman(sim.info, path=path), configuration_name=configuration) as pool:
        if configuration == "Microsoft.PowerShell":
            assert not connect(pool, sim.info).had_errors
        ps, output = run(pool, "Get-Mailbox", ResultSize=1)
        mailbox = output[0]
        assert bool(mailbox.adapted_properties) is adapted and bool(mailbox.extended_properties) is not adapted
        addresses = values_of(mailbox)["EmailAddresses"]
        if adapted:
            # Exchange's MultiValuedProperty: a list of a type pypsrp does not know.
            assert addresses.types[0].startswith("Microsoft.Exchange.Data.MultiValuedProperty`1")
            assert addresses.property_sets[0].startswith("<LST>")
        else:
            assert isinstance(addresses, list) and addresses
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-CASMailbox").add_parameter("ResultSize", 1)
        ps.add_cmdlet("Select-Object").add_parameter("Property", ["ImapEnabled", "Guid"])
        selected = ps.invoke()
        # Select-Object makes a PSCustomObject of note properties whatever the input was.
        assert set(selected[0].extended_properties) == {"ImapEnabled", "Guid"}
        assert isinstance(selected[0].extended_properties["ImapEnabled"], bool)


def test_config_knobs_refuse_unknown_values(sim):
    for knob, value in (("psrp_properties", "both"), ("exchange_environment", "O365Mars")):
        r = sim.sim("POST", "config", json={knob: value})
        assert r.status_code == 400 and knob in r.text
