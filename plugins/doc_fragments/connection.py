# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  tenant_id:
    description:
      - The Microsoft Entra tenant, as its GUID or a verified domain such as C(contoso.onmicrosoft.com).
      - If not set, the environment variable E(M365_TENANT_ID), then E(AZURE_TENANT_ID), then E(AZURE_TENANT) (what the
        Microsoft Azure Resource Manager credential of AWX and Automation Platform injects), is used.
    type: str
  client_id:
    description:
      - The application (client) ID of the app registration the modules sign in as.
      - With O(auth_method=managed_identity), the client ID of a user-assigned managed identity.
      - If not set, E(M365_CLIENT_ID), then E(AZURE_CLIENT_ID), is used.
    type: str
  client_secret:
    description:
      - A client secret of the app registration.
      - If not set, E(M365_CLIENT_SECRET), then E(AZURE_CLIENT_SECRET), then E(AZURE_SECRET) (AWX's Azure credential), is
        used.
      - Prefer a certificate or workload identity federation for production.
    type: str
  client_certificate_path:
    description:
      - Path to the app's certificate with its private key, as PEM or PFX (PKCS#12).
      - If not set, E(M365_CLIENT_CERTIFICATE_PATH), then E(AZURE_CLIENT_CERTIFICATE_PATH), is used.
    type: path
  client_certificate_password:
    description:
      - Password of the private key in O(client_certificate_path), if it is encrypted.
      - If not set, E(M365_CLIENT_CERTIFICATE_PASSWORD), then E(AZURE_CLIENT_CERTIFICATE_PASSWORD), is used.
    type: str
  federated_token_file:
    description:
      - File holding the federated token (a JWT from another identity provider) for O(auth_method=workload_identity),
        as written by GitHub Actions, Azure Kubernetes Service workload identity or another OIDC issuer.
      - If not set, E(M365_FEDERATED_TOKEN_FILE), then E(AZURE_FEDERATED_TOKEN_FILE), is used.
    type: path
  auth_method:
    description:
      - How to sign in.
      - V(auto) picks from what is given, in this order, certificate, client secret, federated token file,
        and fails naming the options when none is given.
      - V(managed_identity) uses the managed identity of the Azure VM, container or AWX pod the module runs on.
      - V(workload_identity) exchanges O(federated_token_file) for a token (workload identity federation).
      - V(azure_cli) uses the account signed in with C(az login).
      - If not set, E(M365_AUTH_METHOD) is used.
    type: str
    default: auto
    choices: [auto, client_secret, certificate, managed_identity, workload_identity, azure_cli]
  cloud:
    description:
      - The Microsoft cloud the tenant lives in. Each maps to Microsoft's documented hosts for sign-in,
        Microsoft Graph and Exchange Online.
      - V(public) is the worldwide service, also used by GCC; V(usgov) is GCC High; V(usgov_dod) is DoD;
        V(china) is the service operated by 21Vianet.
      - V(custom) needs O(graph_url), O(exchange_url) and O(authority_url).
      - If not set, E(M365_CLOUD) is used.
    type: str
    default: public
    choices: [public, usgov, usgov_dod, china, custom]
  graph_url:
    description:
      - Root URL of Microsoft Graph, without the version, for example C(https://graph.microsoft.com).
      - Required with O(cloud=custom); otherwise overrides the cloud's Graph host.
      - If not set, E(M365_GRAPH_URL) is used.
    type: str
  exchange_url:
    description:
      - Root URL of the Exchange Online admin API, for example C(https://outlook.office365.com).
        Calls go to C({exchange_url}/adminapi/beta/{tenant}/InvokeCommand).
      - Required with O(cloud=custom); otherwise overrides the cloud's Exchange host.
      - If not set, E(M365_EXCHANGE_URL) is used.
    type: str
  authority_url:
    description:
      - Root URL of the identity platform, for example C(https://login.microsoftonline.com).
        Tokens are asked from C({authority_url}/{tenant_id}/oauth2/v2.0/token).
      - Required with O(cloud=custom); otherwise overrides the cloud's sign-in host.
      - If not set, E(M365_AUTHORITY_URL) is used.
    type: str
  ca_path:
    description:
      - A PEM bundle of extra certificate authorities to trust for TLS, in addition to the system's.
      - Certificate validation is always on; this option can only add trust, never remove it.
      - If not set, E(M365_CA_PATH) is used.
    type: path
  exchange_transport:
    description:
      - How Exchange cmdlets are run.
      - V(rest) uses the Exchange Online admin REST endpoint, the one the ExchangeOnlineManagement v3
        PowerShell module itself uses.
      - V(psrp) uses PowerShell remoting to a Windows management host or an on-premises Exchange server.
      - Only the Exchange cmdlets move; Microsoft Graph (user and group resolution) still uses the
        credential above.
      - If not set, E(M365_EXCHANGE_TRANSPORT) is used.
    type: str
    default: rest
    choices: [rest, psrp]
  psrp_server:
    description:
      - With O(exchange_transport=psrp), the host name of the Windows management host (with the
        ExchangeOnlineManagement module) or of the on-premises Exchange server.
      - If not set, E(M365_PSRP_SERVER) is used.
    type: str
  psrp_port:
    description:
      - The remoting port.
      - Defaults to WinRM's V(5986) with O(psrp_ssl=true) and V(5985) without; with
        O(psrp_configuration_name=Microsoft.Exchange), to IIS's V(443) and V(80).
      - If not set, E(M365_PSRP_PORT) is used.
    type: int
  psrp_path:
    description:
      - The URL path of the remoting endpoint.
      - Defaults to V(wsman) (the WinRM listener), or V(PowerShell) (the Exchange virtual directory in
        IIS) with O(psrp_configuration_name=Microsoft.Exchange).
      - If not set, E(M365_PSRP_PATH) is used.
    type: str
  psrp_username:
    description:
      - The account that signs in to WinRM (required by every O(psrp_auth) except V(kerberos) with a
        ticket cache and V(certificate)).
      - If not set, E(M365_PSRP_USERNAME) is used.
    type: str
  psrp_password:
    description:
      - The password of O(psrp_username).
      - If not set, E(M365_PSRP_PASSWORD) is used.
    type: str
  psrp_auth:
    description:
      - WinRM authentication. V(basic) and V(certificate) require O(psrp_ssl=true).
      - If not set, E(M365_PSRP_AUTH) is used.
    type: str
    default: negotiate
    choices: [negotiate, kerberos, ntlm, certificate, credssp, basic]
  psrp_certificate_path:
    description:
      - With O(psrp_auth=certificate), the PEM file of the WinRM client certificate.
      - If not set, E(M365_PSRP_CERTIFICATE_PATH) is used.
    type: path
  psrp_certificate_key_path:
    description:
      - With O(psrp_auth=certificate), the PEM file of the certificate's private key.
      - If not set, E(M365_PSRP_CERTIFICATE_KEY_PATH) is used.
    type: path
  psrp_ssl:
    description:
      - Use WinRM over HTTPS.
      - If not set, E(M365_PSRP_SSL) is used.
    type: bool
    default: true
  psrp_cert_validation:
    description:
      - How the WinRM HTTPS certificate is checked, V(true), V(false), or the path of a CA bundle.
      - If not set, E(M365_PSRP_CERT_VALIDATION) is used.
    type: str
    default: "true"
  psrp_configuration_name:
    description:
      - The PowerShell session configuration.
      - V(Microsoft.PowerShell) on a management host, where the module runs C(Connect-ExchangeOnline)
        with O(exchange_app_id), O(exchange_certificate_thumbprint), O(exchange_organization) and the
        cloud's O(psrp_exchange_environment) first.
      - V(Microsoft.Exchange) on an on-premises Exchange server, where the cmdlets run as O(psrp_username).
      - If not set, E(M365_PSRP_CONFIGURATION_NAME) is used.
    type: str
    default: Microsoft.PowerShell
  exchange_organization:
    description:
      - The organization for C(Connect-ExchangeOnline -Organization) on a management host, the tenant's
        initial domain, such as V(contoso.onmicrosoft.com) (V(contoso.onmicrosoft.us) in GCC High and DoD,
        V(contoso.partner.onmschina.cn) in 21Vianet).
      - Defaults to O(tenant_id). A tenant GUID or another verified domain of the tenant is turned into
        the initial domain with Microsoft Graph (C(GET /organization), which needs C(Organization.Read.All)
        or C(Directory.Read.All)) before any cmdlet runs; a value that is not the tenant's is refused.
      - If not set, E(M365_EXCHANGE_ORGANIZATION) is used.
    type: str
  psrp_exchange_environment:
    description:
      - The C(Connect-ExchangeOnline -ExchangeEnvironmentName) of the management host's sign-in.
      - Follows O(cloud) (V(public) sends none, V(usgov) V(O365USGovGCCHigh), V(usgov_dod) V(O365USGovDoD),
        V(china) V(O365China)); required with O(cloud=custom), refused when it contradicts a named cloud.
      - Not used by an on-premises Exchange server (O(psrp_configuration_name=Microsoft.Exchange)).
      - If not set, E(M365_PSRP_EXCHANGE_ENVIRONMENT) is used.
    type: str
    choices: [O365Default, O365USGovGCCHigh, O365USGovDoD, O365China]
  exchange_app_id:
    description:
      - The application (client) ID for C(Connect-ExchangeOnline -AppId) on a management host.
      - If not set, E(M365_EXCHANGE_APP_ID) is used.
    type: str
  exchange_certificate_thumbprint:
    description:
      - The SHA-1 thumbprint of the app's certificate in the management host's certificate store, for
        C(Connect-ExchangeOnline -CertificateThumbprint).
      - If not set, E(M365_EXCHANGE_CERTIFICATE_THUMBPRINT) is used.
    type: str
  request_timeout:
    description:
      - Seconds to wait for one HTTP answer before the request is treated as lost.
      - If not set, E(M365_REQUEST_TIMEOUT) is used.
    type: int
    default: 60
notes:
  - "The modules run where Python talks to Microsoft's APIs, normally the controller
    (C(connection: local) or C(delegate_to: localhost)). They need the Python packages listed in
    the collection's C(requirements.txt)."
  - Set the connection once for every module of the collection with
    C(module_defaults) and the action group C(group/m365.admin.m365).
requirements:
  - python >= 3.11
  - msgraph-core >= 1.1.0
  - azure-identity >= 1.15.0
  - cryptography >= 41.0.0
seealso:
  - name: Register an application with the Microsoft identity platform
    description: How to create the app registration the modules sign in as.
    link: https://learn.microsoft.com/entra/identity-platform/quickstart-register-app
"""

    ATTRIBUTES = r"""
attributes:
  action_group:
    description: Use C(group/m365.admin.m365) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - m365.admin.m365
"""

    CHECK_MODE_READ_ONLY = r"""
attributes:
  check_mode:
    description: Can run in check mode. The module only reads, so check mode changes nothing it does.
    support: full
  diff_mode:
    description: Returns no diff; the module only reads.
    support: none
"""
