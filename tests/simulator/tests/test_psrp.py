"""The /wsman endpoint: WS-Management shell actions and PSRP, driven by pypsrp's real client."""
import base64

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


def connect(pool, info, app="admin", thumbprint=None):
    ps = PowerShell(pool)
    ps.add_cmdlet("Connect-ExchangeOnline").add_parameters({
        "AppId": info["apps"][app]["client_id"],
        "CertificateThumbprint": thumbprint or info["apps"][app]["certificate_thumbprint"],
        "Organization": info["tenant_domain"]}).add_parameter("ShowBanner", False)
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
        mailbox = output[0].extended_properties
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
