# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os

import pytest

from ansible_collections.m365.admin.plugins.module_utils._connection import (
    CLOUDS,
    CONNECTION_ARGUMENT_SPEC,
    ConnectionSettings,
)
from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError

TENANT = "5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c"
CLIENT = "8e1b9b4c-9f37-4a5e-a7f2-0b7d1c2e3f40"


def params(**overrides):
    base = {name: spec.get("default") for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
    base.update(tenant_id=TENANT, client_id=CLIENT, client_secret="s3cret")
    base.update(overrides)
    return base


def error_for(**overrides):
    with pytest.raises(ConfigurationError) as info:
        ConnectionSettings.from_params(params(**overrides))
    return info.value


def test_public_cloud_defaults():
    settings = ConnectionSettings.from_params(params())
    assert settings.graph_url == "https://graph.microsoft.com"
    assert settings.exchange_url == "https://outlook.office365.com"
    assert settings.authority_url == "https://login.microsoftonline.com"
    assert settings.graph_scope == "https://graph.microsoft.com/.default"
    assert settings.exchange_scope == "https://outlook.office365.com/.default"
    assert settings.auth_method == "client_secret"
    assert settings.is_known_cloud_authority


@pytest.mark.parametrize("cloud", ["usgov", "usgov_dod", "china"])
def test_national_clouds_use_their_documented_hosts(cloud):
    settings = ConnectionSettings.from_params(params(cloud=cloud))
    assert settings.graph_url == CLOUDS[cloud]["graph_url"]
    assert settings.authority_url == CLOUDS[cloud]["authority_url"]
    assert settings.exchange_url == CLOUDS[cloud]["exchange_url"]


def test_gcc_high_hosts():
    settings = ConnectionSettings.from_params(params(cloud="usgov"))
    assert settings.graph_url == "https://graph.microsoft.us"
    assert settings.authority_url == "https://login.microsoftonline.us"
    assert settings.exchange_scope == "https://outlook.office365.us/.default"


def test_custom_cloud_takes_the_urls_and_strips_trailing_slashes():
    settings = ConnectionSettings.from_params(params(cloud="custom", graph_url="https://localhost:8443/",
                                                     exchange_url="https://localhost:8443",
                                                     authority_url="https://localhost:8443/"))
    assert settings.graph_url == "https://localhost:8443"
    assert settings.authority_url == "https://localhost:8443"
    assert not settings.is_known_cloud_authority


def test_override_one_host_of_a_cloud():
    settings = ConnectionSettings.from_params(params(graph_url="https://graph.example.test"))
    assert settings.graph_url == "https://graph.example.test"
    assert settings.exchange_url == "https://outlook.office365.com"


def test_missing_tenant_names_the_option():
    exc = error_for(tenant_id=None)
    assert exc.option == "tenant_id"
    assert "tenant_id is required" in exc.message
    assert "M365_TENANT_ID" in exc.message


@pytest.mark.parametrize("bad", ["not a tenant", "contoso", "1234", "x@contoso.com"])
def test_malformed_tenant(bad):
    exc = error_for(tenant_id=bad)
    assert exc.option == "tenant_id"
    assert repr(bad) in exc.message


def test_tenant_may_be_a_domain():
    assert ConnectionSettings.from_params(params(tenant_id="contoso.onmicrosoft.com")).tenant_id == \
        "contoso.onmicrosoft.com"


def test_custom_cloud_without_urls_lists_every_missing_one():
    exc = error_for(cloud="custom", graph_url="https://localhost:1")
    assert "exchange_url" in exc.message and "authority_url" in exc.message
    assert "graph_url" not in exc.message.split("requires", 1)[1].split("(")[0]
    assert exc.option == "exchange_url"


def test_plain_http_is_refused():
    exc = error_for(cloud="custom", graph_url="http://localhost:1", exchange_url="https://x.test",
                    authority_url="https://x.test")
    assert exc.option == "graph_url"
    assert "https://" in exc.message


def test_client_id_must_be_a_guid():
    assert error_for(client_id="my-app").option == "client_id"


def test_auto_with_nothing_given_lists_the_ways_to_sign_in():
    exc = error_for(client_secret=None)
    assert exc.option == "auth_method"
    assert "client_certificate_path" in exc.message and "client_secret" in exc.message


def test_auto_prefers_certificate(tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    settings = ConnectionSettings.from_params(params(client_certificate_path=str(cert)))
    assert settings.auth_method == "certificate"


def test_certificate_that_does_not_exist():
    exc = error_for(auth_method="certificate", client_certificate_path="/nonexistent/c.pem")
    assert exc.option == "client_certificate_path"
    assert "does not exist" in exc.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_certificate_that_cannot_be_read(tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    cert.chmod(0)
    exc = error_for(auth_method="certificate", client_certificate_path=str(cert))
    assert "not readable" in exc.message


def test_secret_method_without_secret():
    exc = error_for(auth_method="client_secret", client_secret=None)
    assert exc.option == "client_secret"


def test_secret_without_client_id():
    exc = error_for(client_id=None)
    assert exc.option == "client_id"


def test_workload_identity_needs_a_token_file():
    exc = error_for(auth_method="workload_identity", client_secret=None)
    assert exc.option == "federated_token_file"


def test_managed_identity_needs_no_client_id():
    settings = ConnectionSettings.from_params(params(auth_method="managed_identity", client_id=None,
                                                     client_secret=None))
    assert settings.client_id is None


def test_ca_path_must_exist():
    assert error_for(ca_path="/nonexistent/ca.pem").option == "ca_path"


def test_timeout_bounds():
    assert error_for(request_timeout=0).option == "request_timeout"


def test_public_view_has_no_secret():
    view = ConnectionSettings.from_params(params()).public_view()
    assert "s3cret" not in repr(view)
    assert "client_secret" not in view


def test_secrets_are_no_log():
    assert CONNECTION_ARGUMENT_SPEC["client_secret"]["no_log"] is True
    assert CONNECTION_ARGUMENT_SPEC["client_certificate_password"]["no_log"] is True


def test_environment_fallbacks_are_declared():
    fallback = CONNECTION_ARGUMENT_SPEC["tenant_id"]["fallback"]
    assert fallback[1] == ["M365_TENANT_ID", "AZURE_TENANT_ID", "AZURE_TENANT"]


@pytest.mark.parametrize("option, variable", [("tenant_id", "AZURE_TENANT"), ("client_secret", "AZURE_SECRET")])
def test_the_names_awx_azure_credential_injects_are_read_last(monkeypatch, option, variable):
    # AWX's built-in "Microsoft Azure Resource Manager" credential sets AZURE_TENANT and AZURE_SECRET.
    names = CONNECTION_ARGUMENT_SPEC[option]["fallback"][1]
    for name in names:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "from-awx")
    function, args = CONNECTION_ARGUMENT_SPEC[option]["fallback"]
    assert function(*args) == "from-awx"
    monkeypatch.setenv(names[0], "from-m365")
    assert function(*args) == "from-m365"
