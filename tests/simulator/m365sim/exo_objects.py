"""Exchange Online object shapes (Get-Mailbox, Get-CASMailbox, Get-EXOCasMailbox property
sets, CAS mailbox plans, transport config), identity resolution and OPATH -Filter."""
import fnmatch
import re

from .apps import EXO_DC, EXO_OU_ROOT, INITIAL_DOMAIN
from .seed import mailbox_dn

EXCHANGE_VERSION = "0.20 (15.0.0.0)"
ORG_ID = "%s - NAMPR12A005.PROD.OUTLOOK.COM/ConfigurationUnits/%s/Configuration" % (EXO_OU_ROOT, INITIAL_DOMAIN)
MIME_FORMATS = ("TextOnly", "HtmlOnly", "HtmlAndTextAlternative", "TextEnrichedOnly", "TextEnrichedAndTextAlternative",
                "BestBodyFormat", "Tnef")
RECIPIENT_TYPE_DETAILS = (
    "None", "UserMailbox", "LinkedMailbox", "SharedMailbox", "LegacyMailbox", "RoomMailbox", "EquipmentMailbox",
    "MailContact", "MailUser", "MailUniversalDistributionGroup", "MailNonUniversalGroup",
    "MailUniversalSecurityGroup", "DynamicDistributionGroup", "PublicFolder", "SystemAttendantMailbox",
    "SystemMailbox", "MailForestContact", "User", "Contact", "UniversalDistributionGroup", "UniversalSecurityGroup",
    "NonUniversalGroup", "DisabledUser", "MicrosoftExchange", "ArbitrationMailbox", "MailboxPlan", "LinkedUser",
    "RoomList", "DiscoveryMailbox", "RoleGroup", "RemoteUserMailbox", "Computer", "RemoteRoomMailbox",
    "RemoteEquipmentMailbox", "RemoteSharedMailbox", "PublicFolderMailbox", "TeamMailbox", "RemoteTeamMailbox",
    "MonitoringMailbox", "GroupMailbox", "LinkedRoomMailbox", "AuditLogMailbox", "RemoteGroupMailbox",
    "SchedulingMailbox", "GuestMailUser", "AuxAuditLogMailbox", "SupervisoryReviewPolicyMailbox",
)

# (name, default, kind) - kind is the Set-CASMailbox parameter type, or "readonly" when the
# property exists on the object but has no Set-CASMailbox parameter in Exchange Online.
CAS_SETTINGS = (
    ("ActiveSyncAllowedDeviceIDs", [], "multi"),
    ("ActiveSyncBlockedDeviceIDs", [], "multi"),
    ("ActiveSyncMailboxPolicy", "Default", "policy"),
    ("ActiveSyncMailboxPolicyIsDefaulted", True, "readonly"),
    ("ActiveSyncDebugLogging", False, "bool"),
    ("ActiveSyncEnabled", True, "bool"),
    ("HasActiveSyncDevicePartnership", False, "readonly"),
    ("ActiveSyncSuppressReadReceipt", False, "bool"),
    ("OwaMailboxPolicy", "OwaMailboxPolicy-Default", "policy"),
    ("OWAforDevicesEnabled", True, "bool"),
    ("OWAEnabled", True, "bool"),
    ("ECPEnabled", True, "readonly"),
    ("PopEnabled", True, "bool"),
    ("PopUseProtocolDefaults", True, "bool"),
    ("PopMessagesRetrievalMimeFormat", "BestBodyFormat", "mime"),
    ("PopEnableExactRFC822Size", False, "readonly"),
    ("PopSuppressReadReceipt", False, "bool"),
    ("PopForceICalForCalendarRetrievalOption", False, "bool"),
    ("ImapEnabled", True, "bool"),
    ("ImapUseProtocolDefaults", True, "bool"),
    ("ImapMessagesRetrievalMimeFormat", "BestBodyFormat", "mime"),
    ("ImapEnableExactRFC822Size", False, "readonly"),
    ("ImapSuppressReadReceipt", False, "bool"),
    ("ImapForceICalForCalendarRetrievalOption", False, "bool"),
    ("MAPIEnabled", True, "bool"),
    ("MapiHttpEnabled", None, "readonly"),
    ("UniversalOutlookEnabled", True, "bool"),
    ("OutlookMobileEnabled", True, "bool"),
    ("MacOutlookEnabled", True, "bool"),
    ("OneWinNativeOutlookEnabled", True, "bool"),
    ("MAPIBlockOutlookNonCachedMode", False, "readonly"),
    ("MAPIBlockOutlookVersions", None, "readonly"),
    ("MAPIBlockOutlookRpcHttp", False, "readonly"),
    ("MAPIBlockOutlookExternalConnectivity", False, "readonly"),
    # Nullable on the mailbox (Set-CASMailbox reference: EwsEnabled; the CASMailbox class types it
    # Nullable<bool>): null means the mailbox does not enforce anything, and most mailboxes read
    # null. EWS then follows the organization's EwsEnabled (Get-OrganizationConfig).
    ("EwsEnabled", None, "nbool"),
    ("EwsAllowOutlook", None, "nbool"),
    ("EwsAllowMacOutlook", None, "nbool"),
    ("EwsAllowEntourage", None, "nbool"),
    ("EwsApplicationAccessPolicy", None, "ewspolicy"),
    ("EwsAllowList", [], "multi"),
    ("EwsBlockList", [], "multi"),
    ("ShowGalAsDefaultView", True, "bool"),
    ("SmtpClientAuthenticationDisabled", None, "nbool"),
    ("IsOptimizedForAccessibility", False, "bool"),
    ("PublicFolderClientAccess", False, "bool"),
)
CAS_DEFAULTS = {name: default for name, default, _kind in CAS_SETTINGS}
PROTOCOL_SETTINGS = {
    "ExternalImapSettings": ["outlook.office365.com:993:SSL"],
    "InternalImapSettings": ["outlook.office365.com:993:SSL"],
    "ExternalPopSettings": ["outlook.office365.com:995:SSL"],
    "InternalPopSettings": ["outlook.office365.com:995:SSL"],
    "ExternalSmtpSettings": ["smtp.office365.com:587:TLS"],
    "InternalSmtpSettings": ["smtp.office365.com:587:TLS"],
}

EXO_CAS_SETS = {
    "minimum": ["ActiveSyncEnabled", "DisplayName", "ECPEnabled", "EmailAddresses", "EwsEnabled", "ExchangeVersion",
                "Guid", "Identity", "ImapEnabled", "MAPIEnabled", "Name", "OWAEnabled", "OrganizationId", "PopEnabled",
                "PrimarySmtpAddress", "ServerLegacyDN"],
    "activesync": ["ActiveSyncAllowedDeviceIDs", "ActiveSyncBlockedDeviceIDs", "ActiveSyncEnabled",
                   "ActiveSyncMailboxPolicy", "ActiveSyncMailboxPolicyIsDefaulted", "ActiveSyncSuppressReadReceipt",
                   "ExternalDirectoryObjectId", "Guid", "HasActiveSyncDevicePartnership", "Identity", "Name",
                   "OrganizationId"],
    "ews": ["EwsAllowMacOutlook", "EwsAllowOutlook", "EwsEnabled", "ExternalDirectoryObjectId", "Guid", "Identity",
            "Name", "OrganizationId"],
    "imap": ["ExternalDirectoryObjectId", "Guid", "Identity", "ImapEnableExactRFC822Size", "ImapEnabled",
             "ImapForceICalForCalendarRetrievalOption", "ImapMessagesRetrievalMimeFormat", "ImapSuppressReadReceipt",
             "ImapUseProtocolDefaults", "Name", "OrganizationId"],
    "mapi": ["ExternalDirectoryObjectId", "Guid", "Identity", "MAPIBlockOutlookExternalConnectivity",
             "MAPIBlockOutlookNonCachedMode", "MAPIBlockOutlookRpcHttp", "MAPIBlockOutlookVersions", "MAPIEnabled",
             "MapiHttpEnabled", "Name", "OrganizationId"],
    "pop": ["ExternalDirectoryObjectId", "Guid", "Identity", "Name", "OrganizationId", "PopEnableExactRFC822Size",
            "PopEnabled", "PopMessagesRetrievalMimeFormat", "PopSuppressReadReceipt", "PopUseProtocolDefaults"],
    "protocolsettings": ["ExternalDirectoryObjectId", "ExternalImapSettings", "ExternalPopSettings",
                         "ExternalSmtpSettings", "Guid", "Identity", "InternalImapSettings", "InternalPopSettings",
                         "InternalSmtpSettings", "Name", "OrganizationId"],
}
EXO_SET_NAMES = {"minimum": "Minimum", "activesync": "ActiveSync", "ews": "Ews", "imap": "Imap", "mapi": "Mapi",
                 "pop": "Pop", "protocolsettings": "ProtocolSettings", "all": "All"}


class CmdletError(Exception):
    def __init__(self, status, exception, text, error_id):
        super().__init__(text)
        self.status = status
        self.exception = exception
        self.text = text
        self.error_id = error_id


def not_found(value):
    return CmdletError(404, "ManagementObjectNotFoundException",
                       "The operation couldn't be performed because object '%s' couldn't be found on '%s'."
                       % (value, EXO_DC), "Ex6F9304")


def ambiguous(value):
    return CmdletError(400, "ManagementObjectAmbiguousException",
                       "The operation couldn't be performed because '%s' matches multiple entries." % value,
                       "ExB10AEB")


def resolve_mailbox(store, value):
    key = str(value).strip()
    if key.lower().startswith("smtp:"):
        key = key[5:]
    matches = store.mbx_index.get(key.lower(), [])
    if not matches:
        raise not_found(value)
    if len(matches) > 1:
        raise ambiguous(value)
    return matches[0]


def resolve_plan(store, value):
    matches = store.plan_index.get(str(value).strip().lower(), [])
    unique = []
    for m in matches:
        if not any(u is m for u in unique):
            unique.append(m)
    if not unique:
        raise not_found(value)
    if len(unique) > 1:
        raise ambiguous(value)
    return unique[0]


def _common(m):
    dn = mailbox_dn(m["Name"])
    return {
        "Identity": m["Name"],
        "Name": m["Name"],
        "DisplayName": m["DisplayName"],
        "DistinguishedName": dn,
        "Guid": m["Guid"],
        "ExchangeObjectId": m["Guid"],
        "ExternalDirectoryObjectId": m["ExternalDirectoryObjectId"],
        "PrimarySmtpAddress": m["PrimarySmtpAddress"],
        "EmailAddresses": list(m["EmailAddresses"]),
        "LegacyExchangeDN": m["LegacyExchangeDN"],
        "ExchangeVersion": EXCHANGE_VERSION,
        "OrganizationId": ORG_ID,
        "OrganizationalUnitRoot": INITIAL_DOMAIN,
        "Id": m["Name"],
        "WhenCreated": m["WhenCreated"],
        "WhenChanged": m.get("WhenChanged") or m["WhenCreated"],
        "WhenCreatedUTC": m["WhenCreated"],
        "WhenChangedUTC": m.get("WhenChanged") or m["WhenCreated"],
        "IsValid": True,
        "ObjectState": "Unchanged",
    }


def mailbox_object(m):
    rtd = m["RecipientTypeDetails"]
    obj = _common(m)
    obj.update({
        "Alias": m["Alias"],
        "UserPrincipalName": m["UserPrincipalName"],
        "ExchangeGuid": m["ExchangeGuid"],
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": rtd,
        "WindowsEmailAddress": m["PrimarySmtpAddress"],
        "MicrosoftOnlineServicesID": m["UserPrincipalName"],
        "IsMailboxEnabled": True,
        "IsShared": rtd == "SharedMailbox",
        "IsResource": rtd in ("RoomMailbox", "EquipmentMailbox"),
        "ResourceType": {"RoomMailbox": "Room", "EquipmentMailbox": "Equipment"}.get(rtd),
        "HiddenFromAddressListsEnabled": False,
        "LitigationHoldEnabled": False,
        "ArchiveStatus": "None",
        "ProhibitSendQuota": "99 GB (106,300,440,576 bytes)",
        "ProhibitSendReceiveQuota": "100 GB (107,374,182,400 bytes)",
        "IssueWarningQuota": "98 GB (105,226,698,752 bytes)",
        "ForwardingSmtpAddress": None,
        "ForwardingAddress": None,
        "DeliverToMailboxAndForward": False,
        "AuditEnabled": True,
        "MailboxPlan": m.get("Plan"),
        "SamAccountName": "$%s" % m["Guid"][:12].upper(),
        "ServerLegacyDN": "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/"
                          "cn=Servers/cn=NAMPR12MB0001",
        "ServerName": "nampr12mb0001",
        "Database": "NAMPR12DG001-db001",
    })
    return obj


def cas_object(m, protocol_settings=False):
    obj = _common(m)
    obj.update({
        "SamAccountName": "$%s" % m["Guid"][:12].upper(),
        "ServerLegacyDN": "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/"
                          "cn=Servers/cn=NAMPR12MB0001",
        "ServerName": "nampr12mb0001",
        "LinkedMasterAccount": None,
    })
    cas = m.get("cas", {})
    for name, default, _kind in CAS_SETTINGS:
        value = cas.get(name, default)
        obj[name] = list(value) if isinstance(value, list) else value
    for name, value in PROTOCOL_SETTINGS.items():
        obj[name] = list(value) if protocol_settings else []
    return obj


def exo_cas_object(m, sets, extra_props):
    full = cas_object(m, protocol_settings=True)
    if "all" in sets:
        return full
    names = []
    for s in sets:
        for n in EXO_CAS_SETS[s]:
            if n not in names:
                names.append(n)
    for p in extra_props:
        canonical = next((k for k in full if k.lower() == p.lower()), None)
        if canonical and canonical not in names:
            names.append(canonical)
    return {n: full[n] for n in names if n in full}


def plan_object(p):
    return {
        "Identity": p["Name"],
        "Name": p["Name"],
        "DisplayName": p["DisplayName"],
        "Guid": p["Guid"],
        "ActiveSyncEnabled": p["ActiveSyncEnabled"],
        "ActiveSyncMailboxPolicy": "Default",
        "ECPEnabled": p["ECPEnabled"],
        "EwsEnabled": p["EwsEnabled"],
        "ImapEnabled": p["ImapEnabled"],
        "MAPIEnabled": p["MAPIEnabled"],
        "OWAEnabled": p["OWAEnabled"],
        "OwaMailboxPolicy": p["OwaMailboxPolicy"],
        "PopEnabled": p["PopEnabled"],
        "IsDefault": p["IsDefault"],
        "ExchangeVersion": EXCHANGE_VERSION,
        "DistinguishedName": "CN=%s,OU=%s,OU=Microsoft Exchange Hosted Organizations,DC=NAMPR12A005,DC=PROD,"
                             "DC=OUTLOOK,DC=COM" % (p["Name"], INITIAL_DOMAIN),
        "OrganizationId": ORG_ID,
        "WhenCreated": p["WhenCreated"],
        "WhenChanged": p.get("WhenChanged") or p["WhenCreated"],
        "IsValid": True,
        "ObjectState": "Unchanged",
    }


TRANSPORT_IDENTITY = "Transport Settings"


def _settings_object(identity, settings):
    """An organization-wide settings object (OrganizationConfig, TransportConfig) as Exchange shows it."""
    obj = {"Identity": identity, "Name": identity}
    for k, v in settings.items():
        obj[k] = list(v) if isinstance(v, list) else v
    obj.update({"OrganizationId": ORG_ID, "ExchangeVersion": EXCHANGE_VERSION, "IsValid": True,
                "ObjectState": "Unchanged", "WhenChanged": settings.get("WhenChanged") or settings.get("WhenCreated")})
    return obj


def organization_object(org):
    """Get-OrganizationConfig: the organization's settings (only those the simulator models)."""
    return _settings_object(INITIAL_DOMAIN.split(".", maxsplit=1)[0], org)


def transport_object(tc):
    return _settings_object(TRANSPORT_IDENTITY, tc)


# ---------------------------------------------------------------------------------------
# OPATH -Filter ("ImapEnabled -eq $false -and RecipientTypeDetails -eq 'UserMailbox'")
# ---------------------------------------------------------------------------------------
OPATH_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lp>\() | (?P<rp>\))
    | (?P<op>-(?:eq|ne|like|notlike|lt|gt|le|ge|and|or|not)\b)
    | (?P<sq>'(?:[^']|'')*') | (?P<dq>"(?:[^"]|"")*")
    | (?P<var>\$(?:true|false|null)\b)
    | (?P<word>[^\s()'"]+)
    )""",
    re.VERBOSE | re.IGNORECASE,
)


def _filter_error(text, detail):
    return CmdletError(400, "ParameterBindingException",
                       "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"Invalid filter "
                       "syntax. For a description of the filter parameter syntax see the command help. \"%s\" %s\""
                       % (text, detail), "Ex3E8A1B")


def parse_opath(text, filterable):
    raw = text.strip()
    if raw.startswith("{") and raw.endswith("}"):
        raw = raw[1:-1]
    toks, pos = [], 0
    while pos < len(raw):
        if raw[pos:].strip() == "":
            break
        m = OPATH_TOKEN.match(raw, pos)
        if not m or m.end() == pos:
            raise _filter_error(text, "at position %d." % (pos + 1))
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "sq":
            toks.append(("val", val[1:-1].replace("''", "'")))
        elif kind == "dq":
            toks.append(("val", val[1:-1].replace('""', '"')))
        elif kind == "var":
            toks.append(("val", {"$true": True, "$false": False, "$null": None}[val.lower()]))
        elif kind == "op":
            toks.append(("op", val.lower()))
        elif kind in ("lp", "rp"):
            toks.append((kind, val))
        else:
            toks.append(("word", val))
        pos = m.end()
    state = {"i": 0}

    def peek():
        return toks[state["i"]] if state["i"] < len(toks) else (None, None)

    def take():
        t = peek()
        state["i"] += 1
        return t

    def expr():
        node = term()
        while peek() == ("op", "-or"):
            take()
            node = ("or", node, term())
        return node

    def term():
        node = factor()
        while peek() == ("op", "-and"):
            take()
            node = ("and", node, factor())
        return node

    def factor():
        if peek() == ("op", "-not"):
            take()
            return ("not", factor())
        if peek()[0] == "lp":
            take()
            node = expr()
            if take()[0] != "rp":
                raise _filter_error(text, "missing ')'.")
            return node
        kind, prop = take()
        if kind != "word":
            raise _filter_error(text, "a property name was expected.")
        canonical = next((f for f in filterable if f.lower() == prop.lower()), None)
        if canonical is None:
            raise _filter_error(text, "at position %d: '%s' is not a recognized filterable property." % (
                raw.find(prop) + 1, prop))
        kind, op = take()
        if kind != "op" or op not in ("-eq", "-ne", "-like", "-notlike", "-lt", "-gt", "-le", "-ge"):
            raise _filter_error(text, "a comparison operator was expected after '%s'." % prop)
        kind, value = take()
        if kind not in ("val", "word"):
            raise _filter_error(text, "a value was expected after '%s'." % op)
        return ("cmp", canonical, op, value)

    node = expr()
    if state["i"] != len(toks):
        raise _filter_error(text, "unexpected token at the end.")
    return node


def _coerce(v):
    if isinstance(v, bool):
        return str(v).lower()
    if v is None:
        return None
    return str(v).lower()


def eval_opath(node, obj):
    kind = node[0]
    if kind == "or":
        return eval_opath(node[1], obj) or eval_opath(node[2], obj)
    if kind == "and":
        return eval_opath(node[1], obj) and eval_opath(node[2], obj)
    if kind == "not":
        return not eval_opath(node[1], obj)
    _kind, prop, op, value = node
    actual = obj.get(prop)
    values = actual if isinstance(actual, list) else [actual]
    target = _coerce(value)
    if isinstance(value, str) and value.lower() in ("true", "false") and isinstance(actual, bool):
        target = value.lower()

    def one(a):
        a = _coerce(a)
        if op == "-eq":
            return a == target
        if op == "-ne":
            return a != target
        if op in ("-like", "-notlike"):
            hit = a is not None and target is not None and fnmatch.fnmatchcase(a, target)
            return hit if op == "-like" else not hit
        if a is None or target is None:
            return False
        try:
            fa, ft = float(a), float(target)
        except ValueError:
            fa, ft = a, target
        return {"-lt": fa < ft, "-gt": fa > ft, "-le": fa <= ft, "-ge": fa >= ft}[op]

    if op in ("-ne", "-notlike"):
        return all(one(a) for a in values) if values else True
    return any(one(a) for a in values)
