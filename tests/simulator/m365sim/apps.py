"""The simulated tenant's fixed identity: tenant id, domains and the three app registrations.

Everything here is a deterministic constant so that test inventories and CI can hard-code
credentials. Certificates and keys are generated once per state directory (certs.py).
"""
from dataclasses import dataclass, field

TENANT_ID = "8b7f3c2e-5a14-4d6b-9e0a-2c4f6d8e1a3b"
TENANT_DISPLAY_NAME = "Contoso"
INITIAL_DOMAIN = "contoso.onmicrosoft.com"
DEFAULT_DOMAIN = "contoso.com"
MAIL_ROUTING_DOMAIN = "contoso.mail.onmicrosoft.com"
# Exchange Online back-end names used in error texts ("couldn't be found on '...'").
EXO_DC = "NAMPR12A005DC003.NAMPR12A005.PROD.OUTLOOK.COM"
EXO_OU_ROOT = "NAMPR12A005.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/" + INITIAL_DOMAIN

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"

# Entra built-in role template ids (wids claim).
ROLE_GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
ROLE_EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
ROLE_GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
ROLE_EXCHANGE_RECIPIENT_ADMIN = "31392ffb-586c-42d1-9346-e59415a2cc4e"
ROLE_SECURITY_READER = "5d6b6bb7-de71-4623-b4af-96380a352509"
ROLE_HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"

ROLE_NAMES = {
    ROLE_GLOBAL_ADMIN: "Global Administrator",
    ROLE_EXCHANGE_ADMIN: "Exchange Administrator",
    ROLE_GLOBAL_READER: "Global Reader",
    ROLE_EXCHANGE_RECIPIENT_ADMIN: "Exchange Recipient Administrator",
    ROLE_SECURITY_READER: "Security Reader",
    ROLE_HELPDESK_ADMIN: "Helpdesk Administrator",
}

FEDERATED_ISSUER = "https://idp.m365sim.invalid"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class App:
    name: str
    client_id: str
    client_secret: str
    display_name: str
    service_principal_id: str
    roles: tuple = field(default_factory=tuple)
    wids: tuple = field(default_factory=tuple)
    pfx_password: str = ""
    pem_password: str = ""

    @property
    def federated_subject(self):
        return "system:serviceaccount:m365sim:" + self.name


ADMIN_ROLES = (
    "User.Read.All",
    "GroupMember.Read.All",
    "Policy.Read.All",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.ReadWrite.ConditionalAccess",
    "Policy.ReadWrite.SecurityDefaults",
    "Organization.Read.All",
    "Directory.Read.All",
    "AuditLog.Read.All",
    "Exchange.ManageAsApp",
)
READER_ROLES = (
    "User.Read.All",
    "GroupMember.Read.All",
    "Policy.Read.All",
    "Organization.Read.All",
    # Without Directory.Read.All: sign-in logs need both, so this app is refused them (403).
    "AuditLog.Read.All",
    "Exchange.ManageAsApp",
)

APPS = {
    "admin": App(
        name="admin",
        client_id="3f6a2b1c-9d4e-4f8a-b7c6-1e2d3c4b5a60",
        client_secret="Adm8Q~m365sim.admin.secret-0000000000000",
        display_name="m365sim admin automation",
        service_principal_id="a1d2c3b4-0001-4e5f-8a9b-0c1d2e3f4a51",
        roles=ADMIN_ROLES,
        wids=(ROLE_EXCHANGE_ADMIN,),
        pfx_password="m365sim-admin-pfx",
        pem_password="m365sim-admin-pem",
    ),
    "reader": App(
        name="reader",
        client_id="7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e01",
        client_secret="Rdr8Q~m365sim.reader.secret-000000000000",
        display_name="m365sim read-only audit",
        service_principal_id="a1d2c3b4-0002-4e5f-8a9b-0c1d2e3f4a52",
        roles=READER_ROLES,
        wids=(ROLE_GLOBAL_READER,),
        pfx_password="m365sim-reader-pfx",
        pem_password="m365sim-reader-pem",
    ),
    "noperm": App(
        name="noperm",
        client_id="e1f2a3b4-c5d6-4e7f-9a0b-1c2d3e4f5a02",
        client_secret="Nop8Q~m365sim.noperm.secret-000000000000",
        display_name="m365sim no permissions",
        service_principal_id="a1d2c3b4-0003-4e5f-8a9b-0c1d2e3f4a53",
        roles=(),
        wids=(),
        pfx_password="m365sim-noperm-pfx",
        pem_password="m365sim-noperm-pem",
    ),
}


def app_by_client_id(client_id):
    if not isinstance(client_id, str):
        return None
    lower = client_id.lower()
    for app in APPS.values():
        if app.client_id == lower:
            return app
    return None
