# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The psrp Exchange client: parameter marshalling, both error channels, statements in one
pipeline, identities that are never PowerShell, and the psrp option validation."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _module, _psrp
from ansible_collections.m365.admin.plugins.module_utils._cas import SETTINGS, CasSettings
from ansible_collections.m365.admin.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionSettings,
    psrp_options,
)
from ansible_collections.m365.admin.plugins.module_utils._errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    TransportError,
)
from ansible_collections.m365.admin.plugins.module_utils._reconcile import Change, NoOp, Target

pytestmark = pytest.mark.usefixtures("no_sleep")

INJECTION = "x'; Remove-Mailbox -Identity *; '"
NOT_FOUND = "The operation couldn't be performed because object '%s' couldn't be found on 'DC01.contoso.local'."
NO_OP = "The command completed successfully but no settings of '%s' have been modified."


class Obj(object):
    """A deserialized object as pypsrp gives it (types and properties)."""

    def __init__(self, types, adapted=None, extended=None, to_string=None):
        self.types = types
        self.adapted_properties = adapted or {}
        self.extended_properties = extended or {}
        self.to_string = to_string


class Record(Obj):
    """A deserialized ErrorRecord."""

    def __init__(self, exception, text, reason=None, fq_error="Ex6F9304,Get-CASMailbox"):
        super().__init__(["Deserialized.System.Management.Automation.ErrorRecord"], to_string=text)
        self.exception = Obj(["Deserialized.Microsoft.Exchange.Configuration.Tasks." + exception,
                              "Deserialized.System.Exception"], adapted={"Message": text})
        self.reason = reason or exception
        self.fq_error = "[Server=EX01] [FailureCategory=Cmdlet-%s] %s" % (exception, fq_error)


class Warning_(object):
    def __init__(self, message):
        self.message = message


Warning_.__name__ = "WarningRecord"


class Streams(object):
    def __init__(self):
        self.error = []
        self.warning = []


class Tenant(object):
    """What the fake remote runspace answers: cmdlet name -> function(params) -> (objects, warnings, error, fatal)."""

    def __init__(self, mailboxes):
        self.mailboxes = mailboxes
        self.pipelines = []
        self.connected = []

    def run(self, cmdlet, params):
        if cmdlet == "Connect-ExchangeOnline":
            self.connected.append(params)
            return [], [], None, None
        if "Bogus" in params:
            return [], [], None, Record("ParameterBindingException",
                                        "A parameter cannot be found that matches parameter name 'Bogus'.")
        identity = params.get("Identity")
        found = [m for m in self.mailboxes if identity in (None, m["PrimarySmtpAddress"], m["Guid"])]
        if identity is not None and not found:
            return [], [], Record("ManagementObjectNotFoundException", NOT_FOUND % identity), None
        if cmdlet == "Get-CASMailbox":
            return [Obj(["Deserialized.Microsoft.Exchange.Data.Directory.Management.CASMailbox"],
                        adapted=dict(m, Guid=uuid.UUID(m["Guid"]))) for m in found], [], None, None
        if cmdlet == "Set-CASMailbox":
            changed = False
            for key, value in params.items():
                if key != "Identity" and found[0].get(key) != value:
                    found[0][key] = value
                    changed = True
            return [], [] if changed else [NO_OP % identity], None, None
        return [], [], None, Record("CommandNotFoundException", "The term '%s' is not recognized." % cmdlet)


class FakePowerShell(object):
    tenant = None

    def __init__(self, pool):
        self.pool = pool
        self.commands = []
        self.streams = Streams()
        self.had_errors = False

    def add_cmdlet(self, name):
        self.commands.append(dict(name=name, params=[], merge_error=False, merge_warning=False, end=False))
        return self

    def add_parameter(self, name, value=None):
        self.commands[-1]["params"].append((name, value))
        return self

    def merge_error(self, to="none"):
        self.commands[-1]["merge_error"] = to == "output"
        return self

    def merge_warning(self, to="none"):
        self.commands[-1]["merge_warning"] = to == "output"
        return self

    def add_statement(self):
        self.commands[-1]["end"] = True
        return self

    def invoke(self):
        tenant = self.tenant
        tenant.pipelines.append(self.commands)
        output, piped = [], None
        for command in self.commands:
            params = dict(command["params"])
            if command["name"] == "Select-Object":
                if "InputObject" in params:
                    out = [params["InputObject"]]
                else:
                    out = [Obj(o.types, adapted=dict((k, o.adapted_properties.get(k)) for k in params["Property"]))
                           for o in piped]
            else:
                objects, warnings, error, fatal = tenant.run(command["name"], params)
                if fatal is not None:
                    self.streams.error.append(fatal)
                    self.had_errors = True
                    return output
                out = list(objects)
                if error is not None:
                    if command["merge_error"]:
                        out.append(error)
                    else:
                        self.streams.error.append(error)
                for text in warnings:
                    if command["merge_warning"]:
                        out.append(Warning_(text))
                    else:
                        self.streams.warning.append(Warning_(text))
            if command["end"] or command is self.commands[-1]:
                output.extend(out)
                piped = None
            else:
                piped = out
        return output


class FakePool(object):
    def __init__(self):
        self.opened = 0
        self.closed = 0

    def open(self):
        self.opened += 1

    def close(self):
        self.closed += 1


MAILBOXES = [
    dict(PrimarySmtpAddress="adele@contoso.com", Guid="6e1d2f3a-0b1c-4d5e-8f90-a1b2c3d4e5f6", ImapEnabled=True,
         SmtpClientAuthenticationDisabled=None),
    dict(PrimarySmtpAddress="bob@contoso.com", Guid="7f2e3a4b-1c2d-4e5f-9a01-b2c3d4e5f6a7", ImapEnabled=False,
         SmtpClientAuthenticationDisabled=True),
]


def settings(**overrides):
    values = dict(server="mgmt01.contoso.local", port=5986, username="svc", password="secret", auth="negotiate",
                  ssl=True, cert_validation=True, configuration_name="Microsoft.PowerShell",
                  organization="contoso.onmicrosoft.com", app_id="3f6a2b1c-9d4e-4f8a-b7c6-1e2d3c4b5a60",
                  certificate_thumbprint="90F06A49970211583E2366811F44A6CB5A011C34", timeout=60)
    values.update(overrides)
    return _psrp.PsrpSettings(**values)


@pytest.fixture
def tenant(monkeypatch):
    tenant = Tenant([dict(m) for m in MAILBOXES])
    FakePowerShell.tenant = tenant
    monkeypatch.setattr(_psrp, "PowerShell", FakePowerShell)
    return tenant


def client(**overrides):
    pool = FakePool()
    return _psrp.PsrpExchangeClient(settings(**overrides), wsman_factory=lambda s: None,
                                    pool_factory=lambda wsman, name: pool), pool


def run(coro):
    return asyncio.run(coro)


# -- marshalling ------------------------------------------------------------------------------
def test_marshal_keeps_typed_values():
    pairs = _psrp.marshal("Set-CASMailbox", {"Identity": INJECTION, "ImapEnabled": False,
                                             "SmtpClientAuthenticationDisabled": None, "ResultSize": "Unlimited",
                                             "RecipientTypeDetails": ["UserMailbox", "SharedMailbox"]})
    assert pairs == [("Identity", INJECTION), ("ImapEnabled", False), ("SmtpClientAuthenticationDisabled", None),
                     ("ResultSize", "Unlimited"), ("RecipientTypeDetails", ["UserMailbox", "SharedMailbox"])]


@pytest.mark.parametrize("cmdlet, parameters", [
    ("Get-CASMailbox; Remove-Mailbox", {}),
    ("Get-CASMailbox", {"Identity x": "y"}),
    ("Get-CASMailbox", {"-Identity": "y"}),
    ("Get-CASMailbox", {"Identity": object()}),
    ("Get-CASMailbox", {"Identity": {"nested": "hashtable"}}),
])
def test_marshal_refuses_what_is_not_a_name_or_a_plain_value(cmdlet, parameters):
    with pytest.raises(ValueError):
        _psrp.marshal(cmdlet, parameters)


def test_to_plain_gives_the_rest_shape():
    obj = Obj(["Deserialized.X"], adapted={"Guid": uuid.UUID(MAILBOXES[0]["Guid"]), "ImapEnabled": True,
                                           "Emails": ["a@contoso.com"], "Nested": Obj(["Y"], to_string="text")})
    assert _psrp.to_plain(obj) == {"Guid": MAILBOXES[0]["Guid"], "ImapEnabled": True, "Emails": ["a@contoso.com"],
                                   "Nested": "text"}


# -- one cmdlet ---------------------------------------------------------------------------------
def test_connects_once_with_the_app_and_selects_properties(tenant):
    exchange, pool = client()
    result = run(exchange.invoke("Get-CASMailbox", {"ResultSize": "Unlimited"}, select=["Guid", "ImapEnabled"]))
    run(exchange.invoke("Get-CASMailbox", {"Identity": "bob@contoso.com"}))
    run(exchange.close())
    assert pool.opened == 1 and pool.closed == 1
    assert tenant.connected == [{"AppId": "3f6a2b1c-9d4e-4f8a-b7c6-1e2d3c4b5a60",
                                 "CertificateThumbprint": "90F06A49970211583E2366811F44A6CB5A011C34",
                                 "Organization": "contoso.onmicrosoft.com", "ShowBanner": False}]
    assert result.values == [{"Guid": m["Guid"], "ImapEnabled": m["ImapEnabled"]} for m in MAILBOXES]
    assert [c["name"] for c in tenant.pipelines[1]] == ["Get-CASMailbox", "Select-Object"]


def test_on_premises_endpoint_does_not_connect(tenant):
    exchange, pool = client(configuration_name="Microsoft.Exchange", app_id=None, certificate_thumbprint=None)
    run(exchange.invoke("Get-CASMailbox", {"Identity": "bob@contoso.com"}))
    assert tenant.connected == [] and pool.opened == 1


def test_non_terminating_error_fails_the_call(tenant):
    """Not found is a non-terminating error: the pipeline completes, had_errors stays false."""
    exchange, pool = client()
    with pytest.raises(NotFoundError) as caught:
        run(exchange.invoke("Get-CASMailbox", {"Identity": "nobody@contoso.com"}))
    assert NOT_FOUND % "nobody@contoso.com" in str(caught.value)


def test_terminating_error_fails_the_call(tenant):
    exchange, pool = client()
    with pytest.raises(Exception) as caught:
        run(exchange.invoke("Get-CASMailbox", {"Bogus": 1}))
    assert "A parameter cannot be found that matches parameter name 'Bogus'." in str(caught.value)


def test_unknown_cmdlet_is_a_permission_problem(tenant):
    exchange, pool = client()
    with pytest.raises(PermissionDeniedError):
        run(exchange.invoke("Get-TransportConfig"))


def test_failed_connect_is_an_authentication_error(tenant, monkeypatch):
    def refuse(cmdlet, params):
        return [], [], None, Record("CryptographicException", "Cannot find certificate with this thumbprint.")
    monkeypatch.setattr(tenant, "run", refuse)
    exchange, pool = client()
    with pytest.raises(AuthenticationError) as caught:
        run(exchange.invoke("Get-CASMailbox"))
    assert "Connect-ExchangeOnline" in caught.value.to_message() and "Cannot find certificate" in str(caught.value)
    assert pool.closed == 1


def test_identity_with_powershell_in_it_is_only_a_name(tenant):
    exchange, pool = client()
    with pytest.raises(NotFoundError) as caught:
        run(exchange.invoke("Get-CASMailbox", {"Identity": INJECTION}))
    assert NOT_FOUND % INJECTION in str(caught.value)
    sent = tenant.pipelines[-1]
    assert [c["name"] for c in sent] == ["Get-CASMailbox"]
    assert sent[0]["params"] == [("Identity", INJECTION)]
    assert len(tenant.mailboxes) == 2


# -- many cmdlets ---------------------------------------------------------------------------------
def test_many_commands_share_a_pipeline_and_each_gets_its_own_answer(tenant):
    exchange, pool = client()
    commands = [("Get-CASMailbox", {"Identity": "adele@contoso.com"}),
                ("Get-CASMailbox", {"Identity": INJECTION}),
                ("Set-CASMailbox", {"Identity": "bob@contoso.com", "ImapEnabled": False}),
                ("Set-CASMailbox", {"Identity": "adele@contoso.com", "ImapEnabled": False}),
                ("Get-CASMailbox", {"Identity": "bob@contoso.com"})]
    results = run(exchange.invoke_many(commands))
    assert len(tenant.pipelines) == 2  # Connect-ExchangeOnline, then one pipeline for all five
    assert results[0].ok and results[0].values[0]["PrimarySmtpAddress"] == "adele@contoso.com"
    assert results[1].error.exception == "ManagementObjectNotFoundException"
    assert results[1].error.text == NOT_FOUND % INJECTION
    assert results[2].ok and results[2].no_op and results[2].values == []
    assert results[3].ok and not results[3].no_op and results[3].warnings == []
    assert results[4].values[0]["Guid"] == MAILBOXES[1]["Guid"]
    assert tenant.mailboxes[0]["ImapEnabled"] is False


def test_statements_after_a_terminating_error_run_in_the_next_pipeline(tenant):
    exchange, pool = client()
    commands = [("Get-CASMailbox", {"Identity": "adele@contoso.com"}),
                ("Get-CASMailbox", {"Bogus": 1}),
                ("Get-CASMailbox", {"Identity": "bob@contoso.com"})]
    results = run(exchange.invoke_many(commands))
    assert results[0].ok
    assert results[1].error.exception == "ParameterBindingException"
    assert results[2].ok and results[2].values[0]["PrimarySmtpAddress"] == "bob@contoso.com"
    assert len(tenant.pipelines) == 3


def test_chunks_of_statements(tenant, monkeypatch):
    monkeypatch.setattr(_psrp, "STATEMENTS_PER_PIPELINE", 2)
    exchange, pool = client(configuration_name="Microsoft.Exchange")
    results = run(exchange.invoke_many([("Get-CASMailbox", {"Identity": "bob@contoso.com"})] * 5))
    assert [r.ok for r in results] == [True] * 5
    assert len(tenant.pipelines) == 3


def test_cas_write_reports_failures_and_no_ops_like_rest(tenant):
    exchange, pool = client()
    imap = [s for s in SETTINGS if s.name == "imap"][0]
    changes = []
    for address, guid in (("adele@contoso.com", MAILBOXES[0]["Guid"]), ("bob@contoso.com", MAILBOXES[1]["Guid"]),
                          (INJECTION, INJECTION)):
        target = Target(guid, address, {"imap": True})
        changes.append(Change(target, {"imap": True}, {"imap": False}))
    outcomes = run(CasSettings(exchange, settings=(imap,)).write(changes))
    assert [type(o).__name__ for o in outcomes] == ["NoOp", "Failure"]
    assert isinstance(outcomes[0], NoOp) and outcomes[0].target.label == "bob@contoso.com"
    assert NOT_FOUND % INJECTION in outcomes[1].error


def test_throttled_commands_run_again_after_a_back_off(tenant, monkeypatch):
    throttled = set(["bob@contoso.com"])
    plain_run = tenant.run

    def throttle_once(cmdlet, params):
        if params.get("Identity") in throttled:
            throttled.discard(params.get("Identity"))
            return [], [], Record("ThrottlingException", "Micro delay applied. Retry later."), None
        return plain_run(cmdlet, params)
    monkeypatch.setattr(tenant, "run", throttle_once)
    exchange, pool = client(configuration_name="Microsoft.Exchange")
    results = run(exchange.invoke_many([("Set-CASMailbox", {"Identity": "adele@contoso.com", "ImapEnabled": False}),
                                        ("Set-CASMailbox", {"Identity": "bob@contoso.com", "ImapEnabled": True})]))
    assert [r.ok for r in results] == [True, True]
    assert tenant.mailboxes[1]["ImapEnabled"] is True
    assert len(tenant.pipelines) == 2
    throttled.add("adele@contoso.com")
    result = run(exchange.invoke("Get-CASMailbox", {"Identity": "adele@contoso.com"}))
    assert result.values[0]["PrimarySmtpAddress"] == "adele@contoso.com"


def test_persistent_throttling_is_reported(tenant, monkeypatch):
    monkeypatch.setattr(tenant, "run", lambda cmdlet, params: (
        [], [], Record("ThrottlingException", "Micro delay applied."), None))
    exchange, pool = client(configuration_name="Microsoft.Exchange")
    results = run(exchange.invoke_many([("Get-CASMailbox", {"Identity": "adele@contoso.com"})]))
    assert results[0].error.status == 429 and len(tenant.pipelines) == _psrp.MAX_ATTEMPTS


def test_a_lost_connection_during_writes_is_an_unknown_outcome(tenant, monkeypatch):
    def drop(cmdlet, params):
        raise ConnectionResetError("connection reset by peer")
    monkeypatch.setattr(tenant, "run", drop)
    exchange, pool = client(configuration_name="Microsoft.Exchange")
    results = run(exchange.invoke_many([("Set-CASMailbox", {"Identity": "adele@contoso.com", "ImapEnabled": False}),
                                        ("Set-CASMailbox", {"Identity": "bob@contoso.com", "ImapEnabled": False})]))
    # Not sent again: each command is an unknown outcome, for the caller to read back.
    assert [r.error.status for r in results] == [0, 0]
    assert "some may have been applied" in results[0].error.describe()
    with pytest.raises(TransportError) as caught:
        run(exchange.invoke("Get-CASMailbox"))
    assert not isinstance(caught.value, OutcomeUnknownError)


# -- options ----------------------------------------------------------------------------------------
def options(**overrides):
    values = dict(psrp_server="mgmt01.contoso.local", psrp_username="svc", psrp_password="secret",
                  psrp_auth="negotiate", psrp_ssl=True, psrp_cert_validation="true",
                  psrp_configuration_name="Microsoft.PowerShell", exchange_organization="contoso.onmicrosoft.com",
                  exchange_app_id="3f6a2b1c-9d4e-4f8a-b7c6-1e2d3c4b5a60",
                  exchange_certificate_thumbprint="90f06a49970211583e2366811f44a6cb5a011c34")
    values.update(overrides)
    return values


def test_options_default_port_and_upper_case_thumbprint():
    result = psrp_options(options(), 60)
    assert result["port"] == 5986 and result["certificate_thumbprint"] == "90F06A49970211583E2366811F44A6CB5A011C34"
    assert psrp_options(options(psrp_ssl=False), 60)["port"] == 5985
    assert psrp_options(options(psrp_cert_validation="false"), 60)["cert_validation"] is False


@pytest.mark.parametrize("overrides, option", [
    (dict(psrp_server=""), "psrp_server"),
    (dict(psrp_server="https://mgmt01/wsman"), "psrp_server"),
    (dict(psrp_password=None), "psrp_password"),
    (dict(psrp_username=None), "psrp_username"),
    (dict(psrp_auth="basic", psrp_ssl=False), "psrp_ssl"),
    (dict(psrp_auth="certificate"), "psrp_certificate_path"),
    (dict(psrp_cert_validation="/nonexistent/ca.pem"), "psrp_cert_validation"),
    (dict(exchange_app_id=None), "exchange_app_id"),
    (dict(exchange_app_id="not-a-guid"), "exchange_app_id"),
    (dict(exchange_certificate_thumbprint="abc"), "exchange_certificate_thumbprint"),
    (dict(exchange_organization=None), "exchange_organization"),
    (dict(psrp_configuration_name="Microsoft.Exchange; x"), "psrp_configuration_name"),
    (dict(psrp_path="wsman?x=1"), "psrp_path"),
])
def test_options_name_the_bad_one(overrides, option):
    with pytest.raises(ConfigurationError) as caught:
        psrp_options(options(**overrides), 60)
    assert caught.value.option == option


def test_on_premises_needs_no_app():
    result = psrp_options(options(psrp_configuration_name="Microsoft.Exchange", exchange_app_id=None,
                                  exchange_certificate_thumbprint=None, exchange_organization=None,
                                  psrp_auth="kerberos", psrp_password=None), 60)
    assert result["configuration_name"] == "Microsoft.Exchange" and result["app_id"] is None
    assert (result["path"], result["port"]) == ("PowerShell", 443)
    assert psrp_options(options(), 60)["path"] == "wsman"
    assert psrp_options(options(psrp_path="/custom/"), 60)["path"] == "custom"


# -- the connection layer chooses the transport ---------------------------------------------------
def connection_params(**overrides):
    base = {name: spec.get("default") for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
    base.update(tenant_id="5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c", client_id="8e1b9b4c-9f37-4a5e-a7f2-0b7d1c2e3f40",
                client_secret="s3cret")
    base.update(overrides)
    return base


def test_rest_ignores_the_psrp_options():
    settings_ = ConnectionSettings.from_params(connection_params(psrp_server="https://not/a/host"))
    assert settings_.exchange_transport == "rest" and settings_.psrp is None


def test_psrp_options_are_validated_with_the_connection():
    with pytest.raises(ConfigurationError) as caught:
        ConnectionSettings.from_params(connection_params(exchange_transport="psrp"))
    assert caught.value.option == "psrp_server"
    settings_ = ConnectionSettings.from_params(connection_params(exchange_transport="psrp", **options()))
    assert settings_.psrp["server"] == "mgmt01.contoso.local"
    assert "secret" not in settings_.public_view().values()


def test_the_connection_hands_modules_the_psrp_client(monkeypatch):
    settings_ = ConnectionSettings.from_params(connection_params(exchange_transport="psrp", **options()))
    monkeypatch.setattr(_module, "build_credential", lambda *args, **kwargs: None)
    connection = _module.M365Connection(settings_)
    exchange = run(connection.exchange())
    assert isinstance(exchange, _psrp.PsrpExchangeClient)
    assert exchange.settings.server == "mgmt01.contoso.local" and exchange.settings.auth == "negotiate"
    run(connection.close())


# -- error records of both hosts --------------------------------------------------------------------
class ExoRecord(Obj):
    """An ErrorRecord as ExchangeOnlineManagement v3 writes it (Write-ErrorMessage)."""

    def __init__(self, error_id, exception, text, cmdlet="Set-CASMailbox"):
        super().__init__(["Deserialized.System.Management.Automation.ErrorRecord"], to_string=text)
        self.exception = Obj(["Deserialized.System.Exception", "Deserialized.System.Object"],
                             adapted={"Message": "%s|Microsoft.Exchange.Configuration.Tasks.%s|%s"
                                      % (error_id, exception, text)})
        self.reason = exception
        self.activity = cmdlet
        self.fq_error = ("[Server=NAMPR12MB0001,RequestId=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,TimeStamp=Tue, 14 Jan "
                         "2026 10:00:00 GMT] [FailureCategory=Cmdlet-%s] %s,Write-ErrorMessage" % (exception, error_id))


def test_exchange_online_error_record_is_split_like_rest():
    text = NOT_FOUND % "x"
    error = _psrp.error_from_record(ExoRecord("Ex94914C", "ManagementObjectNotFoundException", text))
    assert (error.status, error.exception, error.text, error.error_id) == (
        404, "ManagementObjectNotFoundException", text, "Ex94914C")
    with pytest.raises(NotFoundError) as caught:
        error.raise_error("Set-CASMailbox", "x")
    assert caught.value.to_result()["service_message"] == text


def test_exchange_online_error_without_reason_takes_the_failure_category():
    record = ExoRecord("Ex0B7A11", "ManagementObjectNotFoundException", NOT_FOUND % "x")
    record.reason = None
    record.exception.adapted_properties["Message"] = NOT_FOUND % "x"  # no id|type| prefix either
    error = _psrp.error_from_record(record)
    assert (error.status, error.exception, error.error_id) == (404, "ManagementObjectNotFoundException", "Ex0B7A11")


def test_on_premises_error_record_keeps_its_type_text_and_id():
    record = Record("ManagementObjectNotFoundException", NOT_FOUND % "x",
                    fq_error="8288830C,Microsoft.Exchange.Management.RecipientTasks.SetCASMailbox")
    record.fq_error = "[Server=EX01,RequestId=1,TimeStamp=7/22/2019 9:42:03 PM] " \
                      "[FailureCategory=Cmdlet-ManagementObjectNotFoundException] " \
                      "8288830C,Microsoft.Exchange.Management.RecipientTasks.SetCASMailbox"
    error = _psrp.error_from_record(record)
    assert (error.status, error.exception, error.text, error.error_id) == (
        404, "ManagementObjectNotFoundException", NOT_FOUND % "x", "8288830C")


def test_exchange_online_errors_fail_their_own_command_in_a_batch(tenant, monkeypatch):
    real_run = tenant.run

    def exo(cmdlet, params):
        objects, warnings, error, fatal = real_run(cmdlet, params)
        if error is not None:
            error = ExoRecord("Ex94914C", "ManagementObjectNotFoundException", NOT_FOUND % params["Identity"])
        return objects, warnings, error, fatal
    monkeypatch.setattr(tenant, "run", exo)
    exchange, pool = client()
    results = run(exchange.invoke_many([("Set-CASMailbox", {"Identity": "nobody@contoso.com", "ImapEnabled": False}),
                                        ("Set-CASMailbox", {"Identity": "bob@contoso.com", "ImapEnabled": True})]))
    assert results[0].error.text == NOT_FOUND % "nobody@contoso.com" and results[0].error.error_id == "Ex94914C"
    assert results[1].ok


# -- adapted and extended properties ----------------------------------------------------------------
def test_objects_read_the_same_from_adapted_or_extended_properties():
    values = dict(Guid=uuid.UUID(MAILBOXES[0]["Guid"]), ImapEnabled=True)
    adapted = _psrp.to_plain(Obj(["Deserialized.X"], adapted=values))
    extended = _psrp.to_plain(Obj(["Selected.X"], extended=values))
    assert adapted == extended == {"Guid": MAILBOXES[0]["Guid"], "ImapEnabled": True}


def test_multi_valued_property_of_an_on_premises_server_is_a_list():
    """pypsrp keeps the <LST> of a type it does not know (Exchange's MultiValuedProperty) as XML text."""
    mvp = Obj(["Deserialized.Microsoft.Exchange.Data.MultiValuedProperty`1[[System.String]]"],
              to_string="SMTP:a@contoso.com smtp:b@contoso.com")
    mvp.property_sets = ["<LST><S>SMTP:a@contoso.com</S><S>smtp:b@contoso.com</S></LST>"]
    enum = Obj(["Deserialized.Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails"],
               to_string="UserMailbox")
    enum.property_sets = [1]
    mailbox = Obj(["Deserialized.Mailbox"], adapted=dict(EmailAddresses=mvp, RecipientTypeDetails=enum))
    assert _psrp.to_plain(mailbox) == dict(EmailAddresses=["SMTP:a@contoso.com", "smtp:b@contoso.com"],
                                           RecipientTypeDetails="UserMailbox")


# -- Connect-ExchangeOnline: the cloud's environment and the initial domain ---------------------------
def cloud_options(**overrides):
    return options(tenant_id="5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c", **overrides)


@pytest.mark.parametrize("cloud, environment", [
    ("public", None), ("usgov", "O365USGovGCCHigh"), ("usgov_dod", "O365USGovDoD"), ("china", "O365China"),
])
def test_the_cloud_names_the_exchange_environment(tenant, cloud, environment):
    assert psrp_options(cloud_options(cloud=cloud), 60)["exchange_environment"] == environment
    organization = "contoso.partner.onmschina.cn" if cloud == "china" else "contoso.onmicrosoft.com"
    exchange, pool = client(exchange_environment=environment, organization=organization)
    run(exchange.invoke("Get-CASMailbox", {"Identity": "bob@contoso.com"}))
    assert tenant.connected[0]["Organization"] == organization
    assert tenant.connected[0].get("ExchangeEnvironmentName") == environment
    assert ("ExchangeEnvironmentName" in tenant.connected[0]) is (environment is not None)


def test_a_custom_cloud_needs_the_environment_named():
    with pytest.raises(ConfigurationError) as caught:
        psrp_options(cloud_options(cloud="custom"), 60)
    assert caught.value.option == "psrp_exchange_environment" and "cloud=custom" in str(caught.value)
    given = psrp_options(cloud_options(cloud="custom", psrp_exchange_environment="O365USGovDoD"), 60)
    assert given["exchange_environment"] == "O365USGovDoD"
    assert psrp_options(cloud_options(cloud="custom", psrp_exchange_environment="O365Default"), 60)[
        "exchange_environment"] is None
    with pytest.raises(ConfigurationError) as caught:
        psrp_options(cloud_options(cloud="china", psrp_exchange_environment="O365USGovDoD"), 60)
    assert caught.value.option == "psrp_exchange_environment" and "O365China" in str(caught.value)
    # An on-premises server runs no Connect-ExchangeOnline: the cloud does not matter there.
    onprem = psrp_options(cloud_options(cloud="custom", psrp_configuration_name="Microsoft.Exchange"), 60)
    assert onprem["exchange_environment"] is None


def test_the_organization_defaults_to_the_tenant():
    result = psrp_options(cloud_options(exchange_organization=None), 60)
    assert result["organization"] == "5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c"


class FakeGraph(object):
    def __init__(self, domains, tenant_id="5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c"):
        self.body = {"value": [{"id": tenant_id, "verifiedDomains": domains}]}
        self.requests = []

    async def get(self, path, **kwargs):
        self.requests.append((path, kwargs.get("params"), kwargs.get("permission")))
        return self.body


DOMAINS = [dict(name="contoso.com", isDefault=True, isInitial=False),
           dict(name="contoso.mail.onmicrosoft.com", isDefault=False, isInitial=False),
           dict(name="contoso.onmicrosoft.com", isDefault=False, isInitial=True)]


@pytest.mark.parametrize("given, environment, lookups", [
    ("contoso.onmicrosoft.com", None, 0),
    ("5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c", None, 1),
    ("contoso.com", None, 1),
    ("contoso.mail.onmicrosoft.com", None, 1),
    ("contoso.onmicrosoft.com", "O365China", 1),
    ("contoso.onmicrosoft.us", "O365USGovGCCHigh", 0),
    ("contoso.onmicrosoft.com", "O365USGovDoD", 0),
    ("contoso.partner.onmschina.cn", "O365China", 0),
])
def test_the_organization_is_the_initial_domain(given, environment, lookups):
    graph = FakeGraph(DOMAINS + [dict(name="contoso.onmicrosoft.us", isInitial=False),
                                 dict(name="contoso.partner.onmschina.cn", isInitial=False)])
    psrp = settings(organization=given, exchange_environment=environment)
    resolved = run(_psrp.resolve_organization(psrp, graph))
    assert len(graph.requests) == lookups
    assert resolved == psrp.organization == (given if not lookups else "contoso.onmicrosoft.com")
    if lookups:
        assert graph.requests[0][1] == {"$select": "id,verifiedDomains"}
        assert "Organization.Read.All" in graph.requests[0][2]


@pytest.mark.parametrize("given", ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "fabrikam.com"])
def test_an_organization_of_another_tenant_is_refused(given):
    with pytest.raises(ConfigurationError) as caught:
        run(_psrp.resolve_organization(settings(organization=given), FakeGraph(DOMAINS)))
    assert caught.value.option == "exchange_organization" and given in str(caught.value)


def test_an_unresolved_guid_is_never_sent_to_connect_exchange_online(tenant):
    exchange, pool = client(organization="5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c")
    with pytest.raises(ConfigurationError):
        run(exchange.invoke("Get-CASMailbox"))
    assert tenant.connected == [] and tenant.pipelines == [] and pool.opened == 0


def test_the_connection_resolves_a_tenant_guid_once_before_any_cmdlet(tenant, monkeypatch):
    params = connection_params(exchange_transport="psrp", **options(exchange_organization=None))
    settings_ = ConnectionSettings.from_params(params)
    monkeypatch.setattr(_module, "build_credential", lambda *args, **kwargs: None)
    connection = _module.M365Connection(settings_)
    graph = FakeGraph(DOMAINS)
    monkeypatch.setattr(connection, "graph", lambda: graph)
    monkeypatch.setattr(_psrp, "WSMan", lambda server, **kwargs: None)
    monkeypatch.setattr(_psrp, "RunspacePool", lambda wsman, configuration_name: FakePool())

    async def twice():
        first = await connection.exchange()
        second = await connection.exchange()
        await first.invoke("Get-CASMailbox", {"Identity": "bob@contoso.com"})
        return first, second
    first, second = run(twice())
    assert first is second and len(graph.requests) == 1
    assert tenant.connected[0]["Organization"] == "contoso.onmicrosoft.com"
    run(connection.close())
