# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Connection options: the argument spec shared by every module, and their validation.

Everything here is pure Python (no third-party import), so that it is validated before any
library is loaded or any request is sent.
"""

from __future__ import annotations

import os
import re

from ansible.module_utils.basic import env_fallback

from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError


# Connect-ExchangeOnline -ExchangeEnvironmentName per cloud (the cmdlet's reference page and
# "App-only authentication ... in Exchange Online PowerShell"). O365Default is the worldwide
# service and GCC, and the cmdlet's default: it is not sent.
EXCHANGE_ENVIRONMENT_BY_CLOUD = {
    "public": "O365Default",
    "usgov": "O365USGovGCCHigh",
    "usgov_dod": "O365USGovDoD",
    "china": "O365China",
}
EXCHANGE_ENVIRONMENTS = ("O365Default", "O365USGovGCCHigh", "O365USGovDoD", "O365China")

CONNECTION_ARGUMENT_SPEC = dict(
    tenant_id=dict(type="str", fallback=(env_fallback, ["M365_TENANT_ID", "AZURE_TENANT_ID", "AZURE_TENANT"])),
    client_id=dict(type="str", fallback=(env_fallback, ["M365_CLIENT_ID", "AZURE_CLIENT_ID"])),
    client_secret=dict(type="str", no_log=True,
                       fallback=(env_fallback, ["M365_CLIENT_SECRET", "AZURE_CLIENT_SECRET", "AZURE_SECRET"])),
    client_certificate_path=dict(type="path",
                                 fallback=(env_fallback, ["M365_CLIENT_CERTIFICATE_PATH",
                                                          "AZURE_CLIENT_CERTIFICATE_PATH"])),
    client_certificate_password=dict(type="str", no_log=True,
                                     fallback=(env_fallback, ["M365_CLIENT_CERTIFICATE_PASSWORD",
                                                              "AZURE_CLIENT_CERTIFICATE_PASSWORD"])),
    federated_token_file=dict(type="path",
                              fallback=(env_fallback, ["M365_FEDERATED_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE"])),
    auth_method=dict(type="str", default="auto",
                     choices=["auto", "client_secret", "certificate", "managed_identity",
                              "workload_identity", "azure_cli"],
                     fallback=(env_fallback, ["M365_AUTH_METHOD"])),
    cloud=dict(type="str", default="public", choices=["public", "usgov", "usgov_dod", "china", "custom"],
               fallback=(env_fallback, ["M365_CLOUD"])),
    graph_url=dict(type="str", fallback=(env_fallback, ["M365_GRAPH_URL"])),
    exchange_url=dict(type="str", fallback=(env_fallback, ["M365_EXCHANGE_URL"])),
    authority_url=dict(type="str", fallback=(env_fallback, ["M365_AUTHORITY_URL"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["M365_CA_PATH"])),
    exchange_transport=dict(type="str", default="rest", choices=["rest", "psrp"],
                            fallback=(env_fallback, ["M365_EXCHANGE_TRANSPORT"])),
    request_timeout=dict(type="int", default=60, fallback=(env_fallback, ["M365_REQUEST_TIMEOUT"])),
    psrp_server=dict(type="str", fallback=(env_fallback, ["M365_PSRP_SERVER"])),
    psrp_port=dict(type="int", fallback=(env_fallback, ["M365_PSRP_PORT"])),
    psrp_path=dict(type="str", fallback=(env_fallback, ["M365_PSRP_PATH"])),
    psrp_username=dict(type="str", fallback=(env_fallback, ["M365_PSRP_USERNAME"])),
    psrp_password=dict(type="str", no_log=True, fallback=(env_fallback, ["M365_PSRP_PASSWORD"])),
    psrp_certificate_path=dict(type="path", fallback=(env_fallback, ["M365_PSRP_CERTIFICATE_PATH"])),
    psrp_certificate_key_path=dict(type="path", fallback=(env_fallback, ["M365_PSRP_CERTIFICATE_KEY_PATH"])),
    psrp_auth=dict(type="str", default="negotiate",
                   choices=["negotiate", "kerberos", "ntlm", "certificate", "credssp", "basic"],
                   fallback=(env_fallback, ["M365_PSRP_AUTH"])),
    psrp_ssl=dict(type="bool", default=True, fallback=(env_fallback, ["M365_PSRP_SSL"])),
    psrp_cert_validation=dict(type="str", default="true", fallback=(env_fallback, ["M365_PSRP_CERT_VALIDATION"])),
    psrp_configuration_name=dict(type="str", default="Microsoft.PowerShell",
                                 fallback=(env_fallback, ["M365_PSRP_CONFIGURATION_NAME"])),
    exchange_organization=dict(type="str", fallback=(env_fallback, ["M365_EXCHANGE_ORGANIZATION"])),
    exchange_app_id=dict(type="str", fallback=(env_fallback, ["M365_EXCHANGE_APP_ID"])),
    exchange_certificate_thumbprint=dict(type="str",
                                         fallback=(env_fallback, ["M365_EXCHANGE_CERTIFICATE_THUMBPRINT"])),
    psrp_exchange_environment=dict(type="str", choices=list(EXCHANGE_ENVIRONMENTS),
                                   fallback=(env_fallback, ["M365_PSRP_EXCHANGE_ENVIRONMENT"])),
)

# Microsoft's documented hosts per national cloud (Graph "national cloud deployments",
# Connect-ExchangeOnline's -ExchangeEnvironmentName). GCC uses the worldwide hosts.
CLOUDS = {
    "public": dict(graph_url="https://graph.microsoft.com",
                   authority_url="https://login.microsoftonline.com",
                   exchange_url="https://outlook.office365.com"),
    "usgov": dict(graph_url="https://graph.microsoft.us",
                  authority_url="https://login.microsoftonline.us",
                  exchange_url="https://outlook.office365.us"),
    "usgov_dod": dict(graph_url="https://dod-graph.microsoft.us",
                      authority_url="https://login.microsoftonline.us",
                      exchange_url="https://outlook-dod.office365.us"),
    "china": dict(graph_url="https://microsoftgraph.chinacloudapi.cn",
                  authority_url="https://login.chinacloudapi.cn",
                  exchange_url="https://partner.outlook.cn"),
}

URL_OPTIONS = ("graph_url", "exchange_url", "authority_url")

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
URL_RE = re.compile(r"^https://[^/\s?#]+(/[^\s?#]*)?$")


def is_guid(value):
    return bool(value) and bool(GUID_RE.match(value))


class ConnectionSettings(object):
    """Validated connection options, with the cloud's hosts filled in."""

    def __init__(self, tenant_id, client_id, client_secret, client_certificate_path,
                 client_certificate_password, federated_token_file, auth_method, cloud,
                 graph_url, exchange_url, authority_url, ca_path, exchange_transport, request_timeout, psrp=None):
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.client_certificate_path = client_certificate_path
        self.client_certificate_password = client_certificate_password
        self.federated_token_file = federated_token_file
        self.auth_method = auth_method
        self.cloud = cloud
        self.graph_url = graph_url
        self.exchange_url = exchange_url
        self.authority_url = authority_url
        self.ca_path = ca_path
        self.exchange_transport = exchange_transport
        self.request_timeout = request_timeout
        self.psrp = psrp  # the validated psrp_* options (a dict) when exchange_transport is psrp

    @property
    def graph_scope(self):
        return self.graph_url + "/.default"

    @property
    def exchange_scope(self):
        return self.exchange_url + "/.default"

    @property
    def is_known_cloud_authority(self):
        """True when the sign-in host is one of Microsoft's, so MSAL's instance discovery applies."""
        return any(self.authority_url == c["authority_url"] for c in CLOUDS.values())

    def public_view(self):
        """What a module may return about its connection: no secret, no path to one."""
        return dict(tenant_id=self.tenant_id, client_id=self.client_id, auth_method=self.auth_method,
                    cloud=self.cloud, graph_url=self.graph_url, exchange_url=self.exchange_url,
                    authority_url=self.authority_url, exchange_transport=self.exchange_transport)

    @classmethod
    def from_params(cls, params):
        """Validate the connection options of a module and fill in the cloud's hosts.

        Raises ConfigurationError naming the option at fault. Files are checked for presence and
        readability here; their content (a certificate's key and password) is checked by _auth.
        """
        tenant_id = (params.get("tenant_id") or "").strip()
        if not tenant_id:
            raise ConfigurationError(
                "tenant_id is required: set it (or the environment variable M365_TENANT_ID) to the "
                "tenant's GUID or a verified domain such as contoso.onmicrosoft.com", option="tenant_id")
        if not (is_guid(tenant_id) or DOMAIN_RE.match(tenant_id)):
            raise ConfigurationError(
                "tenant_id %r is neither a GUID nor a domain name such as contoso.onmicrosoft.com" % tenant_id,
                option="tenant_id")

        cloud = params.get("cloud") or "public"
        urls = {}
        for option in URL_OPTIONS:
            value = params.get(option)
            if value:
                value = value.strip().rstrip("/")
                if not URL_RE.match(value):
                    raise ConfigurationError(
                        "%s %r is not an https:// URL (TLS is required and cannot be turned off)" % (option, value),
                        option=option)
            urls[option] = value
        if cloud == "custom":
            missing = [option for option in URL_OPTIONS if not urls[option]]
            if missing:
                raise ConfigurationError(
                    "cloud=custom requires %s (or the environment variables %s)"
                    % (", ".join(missing), ", ".join("M365_" + m.upper() for m in missing)),
                    option=missing[0])
        else:
            for option in URL_OPTIONS:
                urls[option] = urls[option] or CLOUDS[cloud][option]

        client_id = (params.get("client_id") or "").strip() or None
        if client_id and not is_guid(client_id):
            raise ConfigurationError("client_id %r is not a GUID (the application (client) ID)" % client_id,
                                     option="client_id")

        auth_method = _pick_auth_method(params)
        if auth_method in ("client_secret", "certificate", "workload_identity") and not client_id:
            raise ConfigurationError(
                "client_id is required with auth_method=%s: set it (or M365_CLIENT_ID) to the "
                "application (client) ID of the app registration" % auth_method, option="client_id")
        if auth_method == "client_secret" and not params.get("client_secret"):
            raise ConfigurationError("auth_method=client_secret requires client_secret (or M365_CLIENT_SECRET)",
                                     option="client_secret")
        if auth_method == "certificate":
            if not params.get("client_certificate_path"):
                raise ConfigurationError(
                    "auth_method=certificate requires client_certificate_path (or M365_CLIENT_CERTIFICATE_PATH)",
                    option="client_certificate_path")
            _check_readable_file(params["client_certificate_path"], "client_certificate_path")
        if auth_method == "workload_identity":
            if not params.get("federated_token_file"):
                raise ConfigurationError(
                    "auth_method=workload_identity requires federated_token_file "
                    "(or M365_FEDERATED_TOKEN_FILE / AZURE_FEDERATED_TOKEN_FILE)", option="federated_token_file")
            _check_readable_file(params["federated_token_file"], "federated_token_file")

        ca_path = params.get("ca_path")
        if ca_path:
            _check_readable_file(ca_path, "ca_path")

        timeout = params.get("request_timeout")
        if timeout is None:
            timeout = 60
        if timeout < 1 or timeout > 900:
            raise ConfigurationError("request_timeout must be between 1 and 900 seconds, got %s" % timeout,
                                     option="request_timeout")

        transport = params.get("exchange_transport") or "rest"
        psrp = psrp_options(params, timeout) if transport == "psrp" else None

        return cls(tenant_id=tenant_id, client_id=client_id, client_secret=params.get("client_secret"),
                   client_certificate_path=params.get("client_certificate_path"),
                   client_certificate_password=params.get("client_certificate_password"),
                   federated_token_file=params.get("federated_token_file"),
                   auth_method=auth_method, cloud=cloud, ca_path=ca_path,
                   exchange_transport=transport, request_timeout=timeout, psrp=psrp, **urls)


THUMBPRINT_RE = re.compile(r"^[0-9A-Fa-f]{40}$")
PASSWORD_AUTHS = ("negotiate", "ntlm", "credssp", "basic")


def psrp_options(params, timeout):
    """Validate the psrp_* and exchange_* options of exchange_transport=psrp (nothing is sent before)."""
    server = (params.get("psrp_server") or "").strip()
    if not server:
        raise ConfigurationError("exchange_transport=psrp requires psrp_server (or M365_PSRP_SERVER): the Windows "
                                 "management host or on-premises Exchange server to connect to",
                                 option="psrp_server")
    if re.search(r"[\s/?#@]", server) or "://" in server:
        raise ConfigurationError("psrp_server %r must be a host name or address, not a URL" % server,
                                 option="psrp_server")
    ssl = params.get("psrp_ssl")
    ssl = True if ssl is None else bool(ssl)
    configuration = (params.get("psrp_configuration_name") or "Microsoft.PowerShell").strip()
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", configuration):
        raise ConfigurationError("psrp_configuration_name %r is not a session configuration name" % configuration,
                                 option="psrp_configuration_name")
    # An on-premises Exchange server publishes Microsoft.Exchange in IIS (/PowerShell on 80/443);
    # everything else is WinRM's listener (/wsman on 5985/5986).
    on_premises = configuration.lower() == "microsoft.exchange"
    port = params.get("psrp_port") or ((443 if ssl else 80) if on_premises else (5986 if ssl else 5985))
    if not 0 < port < 65536:
        raise ConfigurationError("psrp_port must be between 1 and 65535, got %s" % port, option="psrp_port")
    path = (params.get("psrp_path") or ("PowerShell" if on_premises else "wsman")).strip().strip("/")
    if not re.match(r"^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$", path):
        raise ConfigurationError("psrp_path %r is not a URL path such as wsman or PowerShell" % path,
                                 option="psrp_path")
    auth = params.get("psrp_auth") or "negotiate"
    username = params.get("psrp_username")
    password = params.get("psrp_password")
    if auth in PASSWORD_AUTHS and not (username and password):
        raise ConfigurationError("psrp_auth=%s requires psrp_username and psrp_password (or M365_PSRP_USERNAME "
                                 "and M365_PSRP_PASSWORD)" % auth,
                                 option="psrp_username" if not username else "psrp_password")
    certificate = key = None
    if auth == "certificate":
        certificate, key = params.get("psrp_certificate_path"), params.get("psrp_certificate_key_path")
        for option, value in (("psrp_certificate_path", certificate), ("psrp_certificate_key_path", key)):
            if not value:
                raise ConfigurationError("psrp_auth=certificate requires psrp_certificate_path and "
                                         "psrp_certificate_key_path (PEM files of the WinRM client certificate)",
                                         option=option)
            _check_readable_file(value, option)
    if auth in ("basic", "certificate") and not ssl:
        raise ConfigurationError("psrp_auth=%s sends its credential unencrypted over HTTP: set psrp_ssl=true "
                                 "(WinRM over HTTPS)" % auth, option="psrp_ssl")
    validation = params.get("psrp_cert_validation")
    validation = "true" if validation is None else str(validation).strip()
    if validation.lower() in ("true", "yes", "on", "1"):
        cert_validation = True
    elif validation.lower() in ("false", "no", "off", "0"):
        cert_validation = False
    else:
        _check_readable_file(validation, "psrp_cert_validation")
        cert_validation = validation
    organization = (params.get("exchange_organization") or "").strip() or None
    app_id = (params.get("exchange_app_id") or "").strip() or None
    thumbprint = (params.get("exchange_certificate_thumbprint") or "").replace(" ", "").strip() or None
    environment = None
    if configuration.lower() == "microsoft.powershell":
        # A management host: Connect-ExchangeOnline with certificate-based app-only sign-in.
        for option, value in (("exchange_app_id", app_id), ("exchange_certificate_thumbprint", thumbprint)):
            if not value:
                raise ConfigurationError(
                    "psrp_configuration_name=Microsoft.PowerShell (a management host running Connect-ExchangeOnline) "
                    "requires exchange_app_id and exchange_certificate_thumbprint; use "
                    "psrp_configuration_name=Microsoft.Exchange for an on-premises Exchange server", option=option)
        if not is_guid(app_id):
            raise ConfigurationError("exchange_app_id %r is not a GUID (the application (client) ID)" % app_id,
                                     option="exchange_app_id")
        if not THUMBPRINT_RE.match(thumbprint):
            raise ConfigurationError("exchange_certificate_thumbprint must be the certificate's SHA-1 thumbprint "
                                     "(40 hexadecimal digits)", option="exchange_certificate_thumbprint")
        if organization is None:
            # The tenant of the connection; a GUID or a domain other than the initial one is
            # turned into the initial domain through Graph before Connect-ExchangeOnline runs.
            organization = (params.get("tenant_id") or "").strip() or None
            if not organization:
                raise ConfigurationError("psrp_configuration_name=Microsoft.PowerShell needs exchange_organization "
                                         "or tenant_id for Connect-ExchangeOnline -Organization",
                                         option="exchange_organization")
        if not (is_guid(organization) or DOMAIN_RE.match(organization)):
            raise ConfigurationError("exchange_organization %r is not a domain such as contoso.onmicrosoft.com"
                                     % organization, option="exchange_organization")
        environment = exchange_environment(params)
    return dict(server=server, port=port, username=username, password=password, auth=auth, ssl=ssl,
                cert_validation=cert_validation, configuration_name=configuration, organization=organization,
                app_id=app_id, certificate_thumbprint=thumbprint.upper() if thumbprint else None, timeout=timeout,
                certificate_path=certificate, certificate_key_path=key, path=path, exchange_environment=environment)


def exchange_environment(params):
    """Connect-ExchangeOnline -ExchangeEnvironmentName for the connection's cloud (None: the default).

    ``cloud=custom`` names no Exchange Online environment: psrp_exchange_environment must then
    say which one; with a named cloud it may only repeat that cloud's environment.
    """
    cloud = params.get("cloud") or "public"
    given = params.get("psrp_exchange_environment")
    if given is not None and given not in EXCHANGE_ENVIRONMENTS:
        raise ConfigurationError("psrp_exchange_environment must be one of %s, got %r"
                                 % (", ".join(EXCHANGE_ENVIRONMENTS), given), option="psrp_exchange_environment")
    if cloud == "custom":
        if not given:
            raise ConfigurationError(
                "cloud=custom does not say which Exchange Online environment Connect-ExchangeOnline signs in to on "
                "the management host: set psrp_exchange_environment (or M365_PSRP_EXCHANGE_ENVIRONMENT) to one of %s"
                % ", ".join(EXCHANGE_ENVIRONMENTS), option="psrp_exchange_environment")
        environment = given
    else:
        environment = EXCHANGE_ENVIRONMENT_BY_CLOUD[cloud]
        if given and given != environment:
            raise ConfigurationError(
                "psrp_exchange_environment=%s does not match cloud=%s, whose Exchange Online environment is %s"
                % (given, cloud, environment), option="psrp_exchange_environment")
    return None if environment == "O365Default" else environment


def _pick_auth_method(params):
    method = params.get("auth_method") or "auto"
    if method != "auto":
        return method
    if params.get("client_certificate_path"):
        return "certificate"
    if params.get("client_secret"):
        return "client_secret"
    if params.get("federated_token_file"):
        return "workload_identity"
    raise ConfigurationError(
        "no credential given: set client_certificate_path or client_secret (with client_id), "
        "federated_token_file for workload identity federation, or auth_method=managed_identity "
        "or auth_method=azure_cli", option="auth_method")


def _check_readable_file(path, option):
    if not os.path.exists(path):
        raise ConfigurationError("%s %s does not exist" % (option, path), option=option)
    if not os.path.isfile(path):
        raise ConfigurationError("%s %s is not a file" % (option, path), option=option)
    if not os.access(path, os.R_OK):
        raise ConfigurationError("%s %s is not readable by this user" % (option, path), option=option)
