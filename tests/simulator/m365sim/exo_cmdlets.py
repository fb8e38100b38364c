"""Exchange cmdlets served through InvokeCommand (Get-Mailbox, Get-/Set-CASMailbox,
Get-EXOCasMailbox, Get-/Set-CASMailboxPlan, Get-/Set-TransportConfig, Get-/Set-OrganizationConfig).

A cmdlet returns ``CmdletResult(objects, warnings, changed)``; errors raise CmdletError.
Parameter binding is in exo_binding.py, object shapes in exo_objects.py.
"""
import copy

from .apps import (EXO_OU_ROOT, INITIAL_DOMAIN, ROLE_EXCHANGE_ADMIN, ROLE_EXCHANGE_RECIPIENT_ADMIN, ROLE_GLOBAL_ADMIN,
                   ROLE_GLOBAL_READER, ROLE_SECURITY_READER)
from .exo_binding import COMMON_SWITCHES, Cmdlet, CmdletResult, P, binding_error
from .exo_objects import (
    CAS_DEFAULTS,
    CAS_SETTINGS,
    EXO_SET_NAMES,
    MIME_FORMATS,
    RECIPIENT_TYPE_DETAILS,
    TRANSPORT_IDENTITY,
    CmdletError,
    cas_object,
    eval_opath,
    exo_cas_object,
    mailbox_object,
    not_found,
    organization_object,
    parse_opath,
    plan_object,
    resolve_mailbox,
    resolve_plan,
    transport_object,
)
from .seed import organization_config_defaults
from .util import iso

NOOP_WARNING = "The command completed successfully but no settings of '%s' have been modified."
RESULTSIZE_DEFAULT_WARNING = (
    "By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items "
    "returned. To return all items, specify \"-ResultSize Unlimited\". Be aware that, depending upon the actual "
    "number of items, returning all items can take a long time and consume a large amount of memory. Also, we don't "
    "recommend storing the results in a variable. Instead, pipe the results to another task or script to perform "
    "batch changes."
)
RESULTSIZE_WARNING = ("There are more results available than are currently displayed. To view them, increase the value "
                      "for the ResultSize parameter.")


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _limit(objects, bound):
    """Apply ResultSize (default 1000) and produce the matching warning."""
    explicit = "ResultSize" in bound
    size = bound.get("ResultSize", 1000) if explicit else 1000
    if size is None or len(objects) <= size:
        return objects, []
    return objects[:size], [RESULTSIZE_WARNING if explicit else RESULTSIZE_DEFAULT_WARNING]


def _rtd_filter(mailboxes, bound):
    rtds = bound.get("RecipientTypeDetails")
    if not rtds:
        return mailboxes
    wanted = {r.lower() for r in rtds}
    return [m for m in mailboxes if m["RecipientTypeDetails"].lower() in wanted]


def _anr(mailboxes, value):
    if value is None:
        return mailboxes
    v = value.lower()
    out = []
    for m in mailboxes:
        fields = [m["Name"], m["Alias"], m["DisplayName"], m.get("FirstName") or "", m.get("LastName") or "",
                  m["PrimarySmtpAddress"]]
        if any(f.lower().startswith(v) for f in fields):
            out.append(m)
    return out


def _apply_filter(mailboxes, bound, filterable, build):
    """OPATH -Filter over the mailbox records (objects are built only for evaluation)."""
    text = bound.get("Filter")
    if not text:
        return mailboxes
    node = parse_opath(text, filterable)
    return [m for m in mailboxes if eval_opath(node, {**mailbox_object(m), **build(m)})]


def _sort(mailboxes, bound):
    key = bound.get("SortBy")
    if not key:
        return mailboxes
    field = {"Name": "Name", "DisplayName": "DisplayName", "Alias": "Alias", "ServerLegacyDN": "Name"}[key]
    return sorted(mailboxes, key=lambda m: (m.get(field) or "").lower())


MAILBOX_FILTERABLE = ("Alias", "DisplayName", "Name", "PrimarySmtpAddress", "UserPrincipalName", "EmailAddresses",
                      "RecipientTypeDetails", "RecipientType", "ExternalDirectoryObjectId", "Guid", "ExchangeGuid",
                      "WindowsEmailAddress", "IsShared", "IsResource", "ResourceType", "HiddenFromAddressListsEnabled",
                      "LitigationHoldEnabled", "ForwardingSmtpAddress", "MailboxPlan", "WhenCreated", "WhenChanged",
                      "LegacyExchangeDN", "DistinguishedName")
CAS_FILTERABLE = MAILBOX_FILTERABLE + tuple(n for n, _default, _kind in CAS_SETTINGS)


def _check_ou(bound):
    ou = bound.get("OrganizationalUnit")
    if ou is None:
        return
    valid = {INITIAL_DOMAIN.lower(), EXO_OU_ROOT.lower(),
             ("OU=%s,OU=Microsoft Exchange Hosted Organizations,DC=NAMPR12A005,DC=PROD,DC=OUTLOOK,DC=COM"
              % INITIAL_DOMAIN).lower()}
    if ou.strip().lower() not in valid:
        raise not_found(ou)


def _select_mailboxes(store, bound, identity_key="Identity"):
    _check_ou(bound)
    ident = bound.get(identity_key)
    if ident is not None:
        mailboxes = [resolve_mailbox(store, ident)]
    else:
        mailboxes = list(store.data["mailboxes"])
    mailboxes = _rtd_filter(mailboxes, bound)
    return _anr(mailboxes, bound.get("Anr"))


# ---------------------------------------------------------------------------------------
# cmdlets
# ---------------------------------------------------------------------------------------
RTD_PARAM = P("RecipientTypeDetails", "enumarray", choices=RECIPIENT_TYPE_DETAILS,
              type_name="Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails[]")


def get_mailbox(ctx, bound):
    mailboxes = _select_mailboxes(ctx.store, bound)
    if bound.get("SoftDeletedMailbox") or bound.get("InactiveMailboxOnly"):
        mailboxes = []
    mailboxes = _apply_filter(mailboxes, bound, MAILBOX_FILTERABLE, lambda m: {})
    mailboxes, warnings = _limit(_sort(mailboxes, bound), bound)
    return CmdletResult(mailboxes, warnings, render=mailbox_object)


def get_cas_mailbox(ctx, bound):
    mailboxes = _select_mailboxes(ctx.store, bound)
    ps = bool(bound.get("ProtocolSettings"))
    mailboxes = _apply_filter(mailboxes, bound, CAS_FILTERABLE, lambda m: cas_object(m, ps))
    mailboxes, warnings = _limit(_sort(mailboxes, bound), bound)
    return CmdletResult(mailboxes, warnings, render=lambda m: cas_object(m, ps))


def get_exo_cas_mailbox(ctx, bound):
    selectors = [k for k in ("Identity", "UserPrincipalName", "PrimarySmtpAddress", "ExternalDirectoryObjectId", "Anr")
                 if bound.get(k) is not None]
    if len(selectors) > 1:
        raise binding_error("Parameter set cannot be resolved using the specified named parameters. One or more "
                            "parameters issued cannot be used together or an insufficient number of parameters were "
                            "provided.", "Ex7D3E21")
    store = ctx.store
    if bound.get("UserPrincipalName") is not None:
        v = bound["UserPrincipalName"].lower()
        mailboxes = [m for m in store.data["mailboxes"] if m["UserPrincipalName"].lower() == v]
        if not mailboxes:
            raise not_found(bound["UserPrincipalName"])
    elif bound.get("PrimarySmtpAddress") is not None:
        v = bound["PrimarySmtpAddress"].lower()
        mailboxes = [m for m in store.data["mailboxes"] if m["PrimarySmtpAddress"].lower() == v]
        if not mailboxes:
            raise not_found(bound["PrimarySmtpAddress"])
    elif bound.get("ExternalDirectoryObjectId") is not None:
        m = store.mbx_by_user.get(bound["ExternalDirectoryObjectId"])
        if m is None:
            raise not_found(bound["ExternalDirectoryObjectId"])
        mailboxes = [m]
    else:
        mailboxes = _select_mailboxes(store, bound)
    sets = [s.lower() for s in (bound.get("PropertySets") or ["Minimum"])]
    if bound.get("ProtocolSettings") and "protocolsettings" not in sets:
        sets.append("protocolsettings")
    extra = bound.get("Properties") or []
    known = {k.lower() for k in cas_object(store.data["mailboxes"][0] if store.data["mailboxes"] else
                                           _placeholder_mailbox(), True)}
    bad = [p for p in extra if p.lower() not in known]
    if bad:
        raise CmdletError(400, "ArgumentException",
                          "The following properties are not valid for Get-EXOCasMailbox: %s. Use valid CAS mailbox "
                          "property names." % ", ".join(bad), "Ex8E4F02")
    mailboxes = _apply_filter(mailboxes, bound, CAS_FILTERABLE, lambda m: cas_object(m, True))
    mailboxes, warnings = _limit(mailboxes, bound)
    return CmdletResult(mailboxes, warnings, render=lambda m: exo_cas_object(m, sets, extra))


def _placeholder_mailbox():
    return {"Name": "x", "DisplayName": "x", "Guid": "0", "ExternalDirectoryObjectId": "0", "PrimarySmtpAddress": "x",
            "EmailAddresses": [], "LegacyExchangeDN": "", "WhenCreated": None, "cas": {}}


def _apply_multi(current, spec):
    if spec[0] == "replace":
        return list(spec[1])
    out = [x for x in (current or []) if x.lower() not in {r.lower() for r in spec[2]}]
    for a in spec[1]:
        if a.lower() not in {x.lower() for x in out}:
            out.append(a)
    return out


def _set_values(target_values, bound, settable, defaults):
    """Compute changes {name: (before, after)} for the bound parameters."""
    changes = {}
    for name, value in bound.items():
        if name not in settable:
            continue
        before = target_values.get(name, defaults.get(name))
        if settable[name] == "multi":
            after = _apply_multi(before, value)
            if [x.lower() for x in (before or [])] == [x.lower() for x in after]:
                continue
        else:
            after = value
            if before == after and type(before) is type(after):
                continue
        changes[name] = (copy.deepcopy(before), after)
    return changes


CAS_SETTABLE = {name: kind for name, _default, kind in CAS_SETTINGS if kind != "readonly"}


def set_cas_mailbox(ctx, bound):
    m = resolve_mailbox(ctx.store, bound["Identity"])
    current = dict(CAS_DEFAULTS)
    current.update(m.get("cas", {}))
    changes = _set_values(current, bound, CAS_SETTABLE, CAS_DEFAULTS)
    if bound.get("WhatIf"):
        return CmdletResult([], [])
    if not changes:
        return CmdletResult([], [NOOP_WARNING % m["Name"]])
    cas = m.setdefault("cas", {})
    for name, (_before, after) in changes.items():
        cas[name] = after
    m["WhenChanged"] = iso()
    ctx.store.record_change("casMailbox", m["PrimarySmtpAddress"], {k: v[0] for k, v in changes.items()},
                            {k: v[1] for k, v in changes.items()}, actor=ctx.app.name, via="exchange")
    return CmdletResult([], [], changed=True)


def get_cas_mailbox_plan(ctx, bound):
    store = ctx.store
    if bound.get("Identity") is not None:
        plans = [resolve_plan(store, bound["Identity"])]
    else:
        plans = list(store.data["cas_plans"])
    objs = [plan_object(p) for p in plans]
    if bound.get("Filter"):
        node = parse_opath(bound["Filter"], tuple(objs[0].keys()) if objs else ("Name",))
        objs = [o for o in objs if eval_opath(node, o)]
    if bound.get("SortBy"):
        objs.sort(key=lambda o: (o.get(bound["SortBy"]) or "").lower())
    objs, warnings = _limit(objs, bound)
    return CmdletResult(objs, warnings)


PLAN_SETTABLE = {"ActiveSyncEnabled": "bool", "ECPEnabled": "bool", "EwsEnabled": "bool", "ImapEnabled": "bool",
                 "MAPIEnabled": "bool", "OWAEnabled": "bool", "OwaMailboxPolicy": "policy", "PopEnabled": "bool"}


def set_cas_mailbox_plan(ctx, bound):
    p = resolve_plan(ctx.store, bound["Identity"])
    changes = _set_values(p, bound, PLAN_SETTABLE, {})
    if bound.get("WhatIf"):
        return CmdletResult([], [])
    if not changes:
        return CmdletResult([], [NOOP_WARNING % p["Name"]])
    for name, (_before, after) in changes.items():
        p[name] = after
    p["WhenChanged"] = iso()
    ctx.store.record_change("casMailboxPlan", p["Name"], {k: v[0] for k, v in changes.items()},
                            {k: v[1] for k, v in changes.items()}, actor=ctx.app.name, via="exchange")
    return CmdletResult([], [], changed=True)


def get_transport_config(ctx, bound):
    return CmdletResult([transport_object(ctx.store.data["transport_config"])], [])


TRANSPORT_PARAMS = (
    P("AddressBookPolicyRoutingEnabled", "bool"),
    P("AllowLegacyTLSClients", "bool"),
    P("ClearCategories", "bool"),
    P("ConvertDisclaimerWrapperToEml", "bool"),
    P("DSNConversionMode", "enum", choices=("DoNotConvert", "PreserveDSNBody", "UseExchangeDSNs"),
      type_name="Microsoft.Exchange.Data.Directory.SystemConfiguration.DSNConversionOption"),
    P("ExternalDelayDsnEnabled", "bool"),
    P("ExternalDsnDefaultLanguage", "nstring"),
    P("ExternalDsnLanguageDetectionEnabled", "bool"),
    P("ExternalDsnReportingAuthority", "nstring"),
    P("ExternalDsnSendHtml", "bool"),
    P("ExternalPostmasterAddress", "smtp"),
    P("Force", "switch"),
    P("HeaderPromotionModeSetting", "enum", choices=("MustCreate", "MayCreate", "NoCreate"),
      type_name="Microsoft.Exchange.Data.HeaderPromotionMode"),
    P("InternalDelayDsnEnabled", "bool"),
    P("InternalDsnDefaultLanguage", "nstring"),
    P("InternalDsnLanguageDetectionEnabled", "bool"),
    P("InternalDsnReportingAuthority", "nstring"),
    P("InternalDsnSendHtml", "bool"),
    P("JournalMessageExpirationDays", "int", minimum=0, maximum=7),
    P("JournalingReportNdrTo", "smtp"),
    P("MaxRecipientEnvelopeLimit", "unlimited_int", minimum=1, maximum=1000),
    P("MessageExpiration", "timespan"),
    P("PreventDuplicateJournalingEnabled", "bool"),
    P("ReplyAllStormBlockDurationHours", "int", minimum=1, maximum=12),
    P("ReplyAllStormDetectionMinimumRecipients", "int", minimum=1000, maximum=5000),
    P("ReplyAllStormDetectionMinimumReplies", "int", minimum=5, maximum=20),
    P("ReplyAllStormProtectionEnabled", "bool"),
    P("Rfc2231EncodingEnabled", "bool"),
    P("SmtpClientAuthenticationDisabled", "bool"),
    P("VoicemailJournalingEnabled", "bool"),
)
TRANSPORT_SETTABLE = {p.name: p.kind for p in TRANSPORT_PARAMS if p.name != "Force"}


def _timespan_seconds(text):
    days = 0
    if "." in text.split(":")[0]:
        d, text = text.split(".", 1)
        days = int(d)
    h, m, s = (int(x) for x in text.split(":"))
    return days * 86400 + h * 3600 + m * 60 + s


def set_transport_config(ctx, bound):
    tc = ctx.store.data["transport_config"]
    if "MessageExpiration" in bound:
        secs = _timespan_seconds(bound["MessageExpiration"])
        if secs < 12 * 3600 or secs > 86400:
            raise CmdletError(400, "ValidationException",
                              "The value of MessageExpiration must be between 12:00:00 and 1.00:00:00.", "Ex5B2C12")
    changes = _set_values(tc, bound, TRANSPORT_SETTABLE, {})
    if bound.get("WhatIf"):
        return CmdletResult([], [])
    if not changes:
        return CmdletResult([], [NOOP_WARNING % TRANSPORT_IDENTITY])
    for name, (_before, after) in changes.items():
        tc[name] = after
    tc["WhenChanged"] = iso()
    ctx.store.record_change("transportConfig", TRANSPORT_IDENTITY, {k: v[0] for k, v in changes.items()},
                            {k: v[1] for k, v in changes.items()}, actor=ctx.app.name, via="exchange")
    return CmdletResult([], [], changed=True)


def _organization_config(store):
    # A state saved before the simulator modelled the organization config gets the defaults.
    return store.data.setdefault("organization_config", organization_config_defaults())


def get_organization_config(ctx, bound):
    return CmdletResult([organization_object(_organization_config(ctx.store))], [])


# Only the organization-wide EWS switch is modelled (Set-OrganizationConfig reference): $true,
# $false, or $null for "not configured".
ORG_SETTABLE = {"EwsEnabled": "nbool"}


def set_organization_config(ctx, bound):
    org = _organization_config(ctx.store)
    changes = _set_values(org, bound, ORG_SETTABLE, {})
    if bound.get("WhatIf"):
        return CmdletResult([], [])
    if not changes:
        return CmdletResult([], [NOOP_WARNING % organization_object(org)["Identity"]])
    for name, (_before, after) in changes.items():
        org[name] = after
    org["WhenChanged"] = iso()
    ctx.store.record_change("organizationConfig", organization_object(org)["Identity"],
                            {k: v[0] for k, v in changes.items()}, {k: v[1] for k, v in changes.items()},
                            actor=ctx.app.name, via="exchange")
    return CmdletResult([], [], changed=True)


def _cas_set_params():
    out = [P("Identity", "identity", mandatory=True, type_name="Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter")]
    for name, _default, kind in CAS_SETTINGS:
        if kind == "readonly":
            continue
        if kind == "mime":
            out.append(P(name, "enum", choices=MIME_FORMATS, type_name="Microsoft.Exchange.Data.Storage.MimeTextFormat"))
        elif kind == "ewspolicy":
            out.append(P(name, "enum", choices=("EnforceAllowList", "EnforceBlockList"), nullable=True,
                         type_name="Microsoft.Exchange.Data.Directory.EwsApplicationAccessPolicy"))
        elif kind == "policy":
            out.append(P(name, "policy", nullable=True))
        else:
            out.append(P(name, kind))
    return out + list(COMMON_SWITCHES)


MAILBOX_ID = "Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter"
GET_MAILBOX_PARAMS = [
    P("Identity", "identity", type_name=MAILBOX_ID), RTD_PARAM, P("ResultSize", "resultsize"), P("Anr", "nstring"),
    P("Filter", "nstring"), P("SoftDeletedMailbox", "switch"), P("InactiveMailboxOnly", "switch"),
    P("IncludeInactiveMailbox", "switch"), P("OrganizationalUnit", "nstring"),
    P("SortBy", "enum", choices=("Name", "DisplayName", "Alias")),
]
GET_CAS_PARAMS = [
    P("Identity", "identity", type_name=MAILBOX_ID), RTD_PARAM, P("ResultSize", "resultsize"), P("Anr", "nstring"),
    P("Filter", "nstring"), P("ProtocolSettings", "switch"), P("ActiveSyncDebugLogging", "switch"),
    P("ActiveSyncSuppressReadReceipt", "switch"), P("IgnoreDefaultScope", "switch"),
    P("ReadIsOptimizedForAccessibility", "switch"), P("RecalculateHasActiveSyncDevicePartnership", "switch"),
    P("OrganizationalUnit", "nstring"), P("SortBy", "enum", choices=("Name", "DisplayName", "ServerLegacyDN")),
]
GET_EXO_CAS_PARAMS = [
    P("Identity", "identity", type_name="System.String"), P("UserPrincipalName", "nstring"),
    P("PrimarySmtpAddress", "nstring"), P("ExternalDirectoryObjectId", "guid"), P("Anr", "nstring"),
    P("Filter", "nstring"), P("ResultSize", "resultsize"), P("ProtocolSettings", "switch"),
    P("PropertySets", "enumarray", choices=tuple(EXO_SET_NAMES.values()),
      type_name="Microsoft.Exchange.Management.RestApiClient.PropertySet[]"),
    P("Properties", "strarray"), P("OrganizationalUnit", "nstring"), P("ActiveSyncDebugLogging", "switch"),
    P("GetImapProtocolLog", "switch"), P("GetPopProtocolLog", "switch"), P("IgnoreDefaultScope", "switch"),
    P("ReadIsOptimizedForAccessibility", "switch"), P("SendLogsTo", "strarray"),
]

READ_ROLES = {ROLE_GLOBAL_ADMIN, ROLE_EXCHANGE_ADMIN, ROLE_GLOBAL_READER, ROLE_EXCHANGE_RECIPIENT_ADMIN,
              ROLE_SECURITY_READER}
RECIPIENT_WRITE_ROLES = {ROLE_GLOBAL_ADMIN, ROLE_EXCHANGE_ADMIN, ROLE_EXCHANGE_RECIPIENT_ADMIN}
ORG_WRITE_ROLES = {ROLE_GLOBAL_ADMIN, ROLE_EXCHANGE_ADMIN}

CMDLETS = {c.name.lower(): c for c in (
    Cmdlet("Get-Mailbox", GET_MAILBOX_PARAMS, get_mailbox, roles=READ_ROLES),
    Cmdlet("Get-CASMailbox", GET_CAS_PARAMS, get_cas_mailbox, roles=READ_ROLES),
    Cmdlet("Get-EXOCasMailbox", GET_EXO_CAS_PARAMS, get_exo_cas_mailbox, roles=READ_ROLES),
    Cmdlet("Set-CASMailbox", _cas_set_params(), set_cas_mailbox, write=True, roles=RECIPIENT_WRITE_ROLES),
    Cmdlet("Get-CASMailboxPlan", [P("Identity", "identity",
                                    type_name="Microsoft.Exchange.Configuration.Tasks.MailboxPlanIdParameter"),
                                  P("Filter", "nstring"), P("ResultSize", "resultsize"),
                                  P("SortBy", "enum", choices=("DisplayName", "Name")),
                                  P("IgnoreDefaultScope", "switch")],
           get_cas_mailbox_plan, roles=READ_ROLES),
    Cmdlet("Set-CASMailboxPlan", [P("Identity", "identity", mandatory=True,
                                    type_name="Microsoft.Exchange.Configuration.Tasks.MailboxPlanIdParameter"),
                                  P("ActiveSyncEnabled", "bool"), P("ECPEnabled", "bool"), P("EwsEnabled", "bool"),
                                  P("ImapEnabled", "bool"), P("MAPIEnabled", "bool"), P("OWAEnabled", "bool"),
                                  P("OwaMailboxPolicy", "policy", nullable=True), P("PopEnabled", "bool")]
           + list(COMMON_SWITCHES), set_cas_mailbox_plan, write=True, roles=ORG_WRITE_ROLES),
    Cmdlet("Get-TransportConfig", [], get_transport_config, roles=READ_ROLES),
    Cmdlet("Get-OrganizationConfig", [P("RetrieveEwsOperationAccessPolicy", "switch")], get_organization_config,
           roles=READ_ROLES),
    Cmdlet("Set-OrganizationConfig", [P("EwsEnabled", "nbool")] + list(COMMON_SWITCHES), set_organization_config,
           write=True, roles=ORG_WRITE_ROLES),
    Cmdlet("Set-TransportConfig", list(TRANSPORT_PARAMS) + list(COMMON_SWITCHES), set_transport_config, write=True,
           roles=ORG_WRITE_ROLES),
)}
