"""Graph directory handlers: users, groups (members / transitive members), organization
and sign-in logs. Objects are projected from the store with schema-driven defaults so
that every selectable property has the shape Graph gives it ([] for collections, null
for unset values)."""
import datetime as _dt
import uuid

from .apps import DEFAULT_DOMAIN, INITIAL_DOMAIN, MAIL_ROUTING_DOMAIN, TENANT_DISPLAY_NAME, TENANT_ID
from .odata import QueryError
from .schema import Catalog, default_value
from .seed import SKUS
from .util import is_guid, iso, parse_iso

CATALOGS = {"v1.0": Catalog("v1.0"), "beta": Catalog("beta")}

USER_DEFAULT_V1 = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                   "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"]
USER_DEFAULT_BETA = [
    "id", "deletedDateTime", "accountEnabled", "ageGroup", "businessPhones", "city", "companyName",
    "consentProvidedForMinor", "country", "createdDateTime", "creationType", "department", "displayName",
    "employeeId", "employeeHireDate", "employeeLeaveDateTime", "employeeType", "externalUserState",
    "externalUserStateChangeDateTime", "faxNumber", "givenName", "isLicenseReconciliationNeeded", "jobTitle",
    "legalAgeGroupClassification", "mail", "mailNickname", "mobilePhone", "onPremisesDistinguishedName",
    "onPremisesDomainName", "onPremisesImmutableId", "onPremisesLastSyncDateTime", "onPremisesSecurityIdentifier",
    "onPremisesSamAccountName", "onPremisesSyncEnabled", "onPremisesUserPrincipalName", "otherMails",
    "passwordPolicies", "postalCode", "preferredDataLocation", "preferredLanguage", "proxyAddresses",
    "refreshTokensValidFromDateTime", "securityIdentifier", "showInAddressList", "signInSessionsValidFromDateTime",
    "state", "streetAddress", "surname", "usageLocation", "userPrincipalName", "userType", "employeeOrgData",
    "passwordProfile", "assignedLicenses", "assignedPlans", "authorizationInfo", "cloudRealtimeCommunicationInfo",
    "deviceKeys", "identities", "infoCatalogs", "onPremisesExtensionAttributes", "onPremisesProvisioningErrors",
    "onPremisesSipInfo", "provisionedPlans", "serviceProvisioningErrors",
]
# Properties Graph refuses to return when listing users (user-list.md): 501 on /users.
USER_NOT_ON_COLLECTION = ("aboutMe", "birthday", "hireDate", "interests", "mySite", "pastProjects", "preferredName",
                          "responsibilities", "schools", "skills", "mailboxSettings")
GROUP_DEFAULT = [
    "id", "deletedDateTime", "classification", "createdDateTime", "creationOptions", "description", "displayName",
    "expirationDateTime", "groupTypes", "isAssignableToRole", "mail", "mailEnabled", "mailNickname",
    "membershipRule", "membershipRuleProcessingState", "onPremisesDomainName", "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName", "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled",
    "preferredDataLocation", "preferredLanguage", "proxyAddresses", "renewedDateTime", "resourceBehaviorOptions",
    "resourceProvisioningOptions", "securityEnabled", "securityIdentifier", "theme", "uniqueName", "visibility",
    "onPremisesProvisioningErrors", "serviceProvisioningErrors",
]
DEVICE_DEFAULT = [
    "id", "deletedDateTime", "accountEnabled", "approximateLastSignInDateTime", "complianceExpirationDateTime",
    "createdDateTime", "deviceCategory", "deviceId", "deviceMetadata", "deviceOwnership", "deviceVersion",
    "displayName", "enrollmentProfileName", "enrollmentType", "isCompliant", "isManaged", "manufacturer",
    "mdmAppId", "model", "onPremisesLastSyncDateTime", "onPremisesSyncEnabled", "operatingSystem",
    "operatingSystemVersion", "physicalIds", "profileType", "registrationDateTime", "systemLabels", "trustType",
    "extensionAttributes", "alternativeSecurityIds",
]
ID_FILTER = {"id": ["eq", "in"]}


def _present(catalog, type_name, names):
    props = catalog.props(type_name)
    return [n for n in names if n in props]


# ---------------------------------------------------------------------------------------
# users
# ---------------------------------------------------------------------------------------
def _sid_from_guid(guid):
    b = uuid.UUID(guid).bytes_le
    parts = [int.from_bytes(b[i:i + 4], "little") for i in range(0, 16, 4)]
    return "S-1-12-1-%d-%d-%d-%d" % tuple(parts)


def _licenses(u):
    lic = u.get("_lic")
    if not lic:
        return []
    return [{"disabledPlans": [], "skuId": SKUS[lic][0]}]


def _assigned_plans(u):
    lic = u.get("_lic")
    if not lic:
        return []
    when = u.get("createdDateTime")
    return [
        {"assignedDateTime": when, "capabilityStatus": "Enabled", "service": "exchange", "servicePlanId": SKUS[lic][1]},
        {"assignedDateTime": when, "capabilityStatus": "Enabled", "service": "MicrosoftOffice",
         "servicePlanId": "43de0ff5-c92c-492b-9116-175376d08c38"},
    ]


def _provisioned_plans(u):
    if not u.get("_lic"):
        return []
    return [{"capabilityStatus": "Enabled", "provisioningStatus": "Success", "service": "exchange"}]


def user_value(u, name, spec=None):
    if name in u and not name.startswith("_"):
        return u[name]
    if name == "identities":
        return [{"signInType": "userPrincipalName", "issuer": INITIAL_DOMAIN, "issuerAssignedId": u["userPrincipalName"]}]
    if name == "assignedLicenses":
        return _licenses(u)
    if name == "assignedPlans":
        return _assigned_plans(u)
    if name == "provisionedPlans":
        return _provisioned_plans(u)
    if name == "securityIdentifier":
        return _sid_from_guid(u["id"])
    if name == "onPremisesExtensionAttributes":
        return {"extensionAttribute%d" % i: None for i in range(1, 16)}
    if name == "imAddresses":
        return [u["userPrincipalName"]] if u.get("_lic") else []
    if name == "showInAddressList":
        return None
    if name == "creationType" and u.get("userType") != "Guest":
        return None
    if name == "lastPasswordChangeDateTime":
        return u.get("createdDateTime")
    if name == "refreshTokensValidFromDateTime" or name == "signInSessionsValidFromDateTime":
        return u.get("createdDateTime")
    if spec is None:
        return None
    return default_value(name, spec)


def user_getter(version):
    props = CATALOGS[version].props("user")

    def get(u, name):
        return user_value(u, name, props.get(name))

    return get


def project_user(version, with_type=False):
    props = CATALOGS[version].props("user")
    default = _present(CATALOGS[version], "user", USER_DEFAULT_V1 if version == "v1.0" else USER_DEFAULT_BETA)

    def project(u, select):
        names = select or default
        out = {"@odata.type": "#microsoft.graph.user"} if with_type else {}
        for n in names:
            if n in props:
                out[n] = user_value(u, n, props[n])
        return out

    return project


def list_users(ctx):
    cat = CATALOGS[ctx.version]
    props = cat.props("user")
    default = _present(cat, "user", USER_DEFAULT_V1 if ctx.version == "v1.0" else USER_DEFAULT_BETA)
    return ctx.list_collection(
        ctx.store.data["users"], "user", props, user_getter(ctx.version), project_user(ctx.version), "users",
        default_select=default, extra_filter_ops=ID_FILTER, orderby_default_ok=("displayName", "userPrincipalName"),
        not_on_collection=USER_NOT_ON_COLLECTION,
    )


def count_users(ctx):
    cat = CATALOGS[ctx.version]
    return ctx.list_collection(ctx.store.data["users"], "user", cat.props("user"), user_getter(ctx.version),
                               project_user(ctx.version), "users", extra_filter_ops=ID_FILTER, count_only=True)


def _single_select(ctx, type_name, valid):
    from .odata import parse_select

    return parse_select(ctx.opts, valid, type_name, collection=False)


def get_user(ctx):
    key = ctx.params["user"]
    u = ctx.store.user(key)
    cat = CATALOGS[ctx.version]
    props = cat.props("user")
    select = _single_select(ctx, "user", [p for p, s in props.items() if s.get("kind") != "nav"])
    if "$expand" in ctx.opts:
        raise QueryError(400, "Request_UnsupportedQuery",
                         "Unsupported Query. $expand is not supported on this resource by the simulator.")
    if u is None:
        return ctx.not_found(key)
    body = {"@odata.context": ctx.context("users(%s)/$entity" % ",".join(select) if select else "users/$entity")}
    body.update(project_user(ctx.version)(u, select))
    return ctx.json(body)


# ---------------------------------------------------------------------------------------
# groups and membership
# ---------------------------------------------------------------------------------------
def group_value(g, name, spec=None):
    if name in g and name != "members":
        return g[name]
    if name == "renewedDateTime":
        return g.get("createdDateTime")
    if name == "membershipRuleProcessingState":
        return None
    if name == "creationOptions":
        return ["Team"] if g.get("resourceProvisioningOptions") else []
    if spec is None:
        return None
    return default_value(name, spec)


def group_getter(version):
    props = CATALOGS[version].props("group")
    return lambda g, name: group_value(g, name, props.get(name))


def project_group(version, with_type=False):
    cat = CATALOGS[version]
    props = cat.props("group")
    default = _present(cat, "group", GROUP_DEFAULT)

    def project(g, select):
        out = {"@odata.type": "#microsoft.graph.group"} if with_type else {}
        for n in select or default:
            if n in props:
                out[n] = group_value(g, n, props[n])
        return out

    return project


def device_value(d, name, spec=None):
    if name in d:
        return d[name]
    if name == "physicalIds" or name == "systemLabels" or name == "alternativeSecurityIds":
        return []
    if name == "extensionAttributes":
        return {"extensionAttribute%d" % i: None for i in range(1, 16)}
    if spec is None:
        return None
    return default_value(name, spec)


def project_device(version, with_type=True):
    cat = CATALOGS["v1.0"]
    props = cat.props("device")
    default = _present(cat, "device", DEVICE_DEFAULT)

    def project(d, select):
        out = {"@odata.type": "#microsoft.graph.device"} if with_type else {}
        for n in select or default:
            if n in props:
                out[n] = device_value(d, n, props[n])
        return out

    return project


def list_groups(ctx):
    cat = CATALOGS[ctx.version]
    return ctx.list_collection(
        ctx.store.data["groups"], "group", cat.props("group"), group_getter(ctx.version), project_group(ctx.version),
        "groups", extra_filter_ops=ID_FILTER, orderby_default_ok=("displayName",),
    )


def count_groups(ctx):
    cat = CATALOGS[ctx.version]
    return ctx.list_collection(ctx.store.data["groups"], "group", cat.props("group"), group_getter(ctx.version),
                               project_group(ctx.version), "groups", extra_filter_ops=ID_FILTER, count_only=True)


def _group_or_error(ctx):
    key = ctx.params["group"]
    if not is_guid(key):
        raise QueryError(400, "Request_BadRequest", "Invalid object identifier '%s'." % key)
    g = ctx.store.groups_by_id.get(key.lower())
    if g is None:
        raise QueryError(404, "Request_ResourceNotFound",
                         "Resource '%s' does not exist or one of its queried reference-property objects are not "
                         "present." % key)
    return g


def get_group(ctx):
    g = _group_or_error(ctx)
    cat = CATALOGS[ctx.version]
    select = _single_select(ctx, "group", cat.structural("group"))
    body = {"@odata.context": ctx.context("groups(%s)/$entity" % ",".join(select) if select else "groups/$entity")}
    body.update(project_group(ctx.version)(g, select))
    return ctx.json(body)


def resolve_members(store, group, transitive):
    """Direct or transitive members (BFS, cycle-safe), as (kind, object) pairs."""
    out, seen = [], {group["id"].lower()}
    queue = [group]
    while queue:
        current = queue.pop(0)
        for mid in current.get("members", []):
            key = mid.lower()
            if key in seen:
                continue
            seen.add(key)
            if key in store.users_by_id:
                out.append(("user", store.users_by_id[key]))
            elif key in store.groups_by_id:
                g = store.groups_by_id[key]
                out.append(("group", g))
                if transitive:
                    queue.append(g)
            elif key in store.devices_by_id:
                out.append(("device", store.devices_by_id[key]))
    return out


def _member_listing(ctx, transitive, users_only, count_only=False):
    g = _group_or_error(ctx)
    members = resolve_members(ctx.store, g, transitive)
    v = ctx.version
    if users_only:
        items = [o for kind, o in members if kind == "user"]
        cat = CATALOGS[v]
        proj = project_user(v, with_type=True)
        # The OData cast of transitiveMembers is an advanced query (aad-advanced-queries, "Use of
        # OData cast with transitive members list"): it needs ConsistencyLevel and $count=true.
        return ctx.list_collection(items, "user", cat.props("user"), user_getter(v), proj, "users",
                                   default_select=None, extra_filter_ops=ID_FILTER,
                                   orderby_default_ok=("displayName",), count_only=count_only,
                                   not_on_collection=USER_NOT_ON_COLLECTION, advanced_only=transitive)
    cat = CATALOGS[v]
    projectors = {"user": project_user(v, True), "group": project_group(v, True), "device": project_device(v, True)}
    getters = {"user": user_getter(v), "group": group_getter(v),
               "device": lambda d, n: device_value(d, n, CATALOGS["v1.0"].props("device").get(n))}
    union = {}
    for type_name in ("device", "group", "user"):
        union.update(CATALOGS["v1.0" if type_name == "device" else v].props(type_name))

    def getter(pair, name):
        kind, obj = pair
        return getters[kind](obj, name)

    def project(pair, select):
        kind, obj = pair
        if select:
            props = CATALOGS["v1.0" if kind == "device" else v].props(kind)
            out = {"@odata.type": "#microsoft.graph." + kind}
            for n in select:
                if n in props:
                    out[n] = getters[kind](obj, n)
            return out
        return projectors[kind](obj, None)

    return ctx.list_collection(members, "directoryObject", union, getter, project, "directoryObjects",
                               extra_filter_ops=ID_FILTER, orderby_default_ok=("displayName",),
                               count_only=count_only, select_props=[k for k, s in union.items()
                                                                    if s.get("kind") != "nav"])


def list_members(ctx):
    return _member_listing(ctx, False, False)


def count_members(ctx):
    return _member_listing(ctx, False, False, count_only=True)


def list_member_users(ctx):
    return _member_listing(ctx, False, True)


def count_member_users(ctx):
    return _member_listing(ctx, False, True, count_only=True)


def list_transitive_members(ctx):
    return _member_listing(ctx, True, False)


def count_transitive_members(ctx):
    return _member_listing(ctx, True, False, count_only=True)


def list_transitive_users(ctx):
    return _member_listing(ctx, True, True)


def count_transitive_users(ctx):
    return _member_listing(ctx, True, True, count_only=True)


# ---------------------------------------------------------------------------------------
# organization
# ---------------------------------------------------------------------------------------
def organization_object(store):
    t = store.data["tenant"]
    synced = any(u.get("onPremisesSyncEnabled") for u in store.data["users"][:2000])
    cat = CATALOGS["v1.0"]
    org = {
        "id": TENANT_ID,
        "deletedDateTime": None,
        "businessPhones": ["+1 425 555 0100"],
        "city": "Redmond",
        "country": None,
        "countryLetterCode": "US",
        "createdDateTime": t["createdDateTime"],
        "defaultUsageLocation": None,
        "displayName": TENANT_DISPLAY_NAME,
        "marketingNotificationEmails": [],
        "mobileDeviceManagementAuthority": "intune",
        "onPremisesLastSyncDateTime": iso() if synced else None,
        "onPremisesSyncEnabled": True if synced else None,
        "partnerTenantType": None,
        "postalCode": "98052",
        "preferredLanguage": "en",
        "privacyProfile": None,
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": "WA",
        "street": "1 Contoso Way",
        "technicalNotificationMails": ["admin@" + DEFAULT_DOMAIN],
        "tenantType": "AAD",
        "assignedPlans": [
            {"assignedDateTime": t["createdDateTime"], "capabilityStatus": "Enabled", "service": "exchange",
             "servicePlanId": SKUS["E3"][1]},
            {"assignedDateTime": t["createdDateTime"], "capabilityStatus": "Enabled", "service": "AADPremiumService",
             "servicePlanId": "41781fb2-bc02-4b7c-bd55-b576c07bb09d"},
        ],
        "provisionedPlans": [
            {"capabilityStatus": "Enabled", "provisioningStatus": "Success", "service": "exchange"},
        ],
        "verifiedDomains": [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": False, "isInitial": True,
             "name": INITIAL_DOMAIN, "type": "Managed"},
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": True, "isInitial": False,
             "name": DEFAULT_DOMAIN, "type": "Managed"},
            {"capabilities": "Email", "isDefault": False, "isInitial": False, "name": MAIL_ROUTING_DOMAIN,
             "type": "Managed"},
        ],
    }
    for name, spec in cat.props("organization").items():
        if spec.get("kind") != "nav" and name not in org:
            org[name] = default_value(name, spec)
    return org


def list_organization(ctx):
    cat = CATALOGS["v1.0"]
    props = cat.props("organization")
    org = organization_object(ctx.store)
    return ctx.list_collection([org], "organization", props, lambda o, n: o.get(n),
                               lambda o, sel: {k: o[k] for k in (sel or o.keys()) if k in o}, "organization",
                               directory=True)


def get_organization(ctx):
    key = ctx.params["org"]
    if key.lower() != TENANT_ID:
        return ctx.not_found(key)
    cat = CATALOGS["v1.0"]
    select = _single_select(ctx, "organization", cat.structural("organization"))
    org = organization_object(ctx.store)
    body = {"@odata.context": ctx.context("organization(%s)/$entity" % ",".join(select) if select
                                          else "organization/$entity")}
    body.update({k: org[k] for k in (select or org.keys()) if k in org})
    return ctx.json(body)


# ---------------------------------------------------------------------------------------
# sign-in logs
# ---------------------------------------------------------------------------------------
CITY_COORDINATES = {
    "Seattle": (47.6062, -122.3321, 53.0), "New York": (40.7128, -74.006, 10.0), "London": (51.5072, -0.1276, 11.0),
    "Berlin": (52.52, 13.405, 34.0), "Paris": (48.8566, 2.3522, 35.0), "Tokyo": (35.6762, 139.6503, 40.0),
    "Sydney": (-33.8688, 151.2093, 3.0),
}


def _geo(city):
    # geoCoordinates members are oneOf(number|string|ReferenceNumeric) in the published schema,
    # so a JSON null would match two branches; numeric values keep responses schema-valid.
    lat, lon, alt = CITY_COORDINATES.get(city, CITY_COORDINATES["Seattle"])
    return {"altitude": alt, "latitude": lat, "longitude": lon}


FAILURE_REASONS = {50126: "Error validating credentials due to invalid username or password.", 0: None}


def signin_object(store, e):
    base = parse_iso(store.data["seeded_at"])
    created = iso(base - _dt.timedelta(seconds=e["_offset"]))
    legacy = e["clientAppUsed"] not in ("Browser", "Mobile Apps and Desktop clients")
    return {
        "id": e["id"],
        "createdDateTime": created,
        "userDisplayName": e["userDisplayName"],
        "userPrincipalName": e["userPrincipalName"],
        "userId": e["userId"],
        "appId": e["appId"],
        "appDisplayName": e["appDisplayName"],
        "ipAddress": e["ipAddress"],
        "clientAppUsed": e["clientAppUsed"],
        "userAgent": e.get("userAgent", "BAV2ROPC" if legacy else "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
        "correlationId": e["correlationId"],
        "conditionalAccessStatus": "notApplied",
        "isInteractive": e["isInteractive"],
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes": [],
        "riskEventTypes_v2": [],
        "resourceDisplayName": "Office 365 Exchange Online",
        "resourceId": "00000002-0000-0ff1-ce00-000000000000",
        "resourceTenantId": TENANT_ID,
        "homeTenantId": TENANT_ID,
        "servicePrincipalId": "",
        "servicePrincipalName": None,
        "authenticationAppDeviceDetails": None,
        "status": {"errorCode": e["errorCode"], "failureReason": FAILURE_REASONS.get(e["errorCode"], "Other."),
                   "additionalDetails": None},
        "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": e.get("os", "Windows10"),
                         "browser": e.get("browser", "" if legacy else "Edge 124.0.0"), "isCompliant": False,
                         "isManaged": False, "trustType": ""},
        "location": {"city": e["city"], "state": None, "countryOrRegion": e["country"],
                     "geoCoordinates": _geo(e["city"])},
        "appliedConditionalAccessPolicies": [],
    }


NON_PREMIUM = ("Authentication_RequestFromNonPremiumTenantOrB2CTenant",
               "Neither tenant is B2C or tenant doesn't have premium license")


def _premium_refusal(ctx):
    """Sign-in logs need an Entra ID P1/P2 licence: without one Graph answers 403 with this code."""
    if not ctx.sim.config.get("entra_premium", True):
        return ctx.error(403, NON_PREMIUM[0], NON_PREMIUM[1])
    return None


# "List signIns" documents $top, $skiptoken and $filter only; Graph refuses any other query option
# with the ASP.NET OData validator's message, named by its AllowedQueryOptions member.
SIGNIN_QUERY_OPTIONS = ("$top", "$skiptoken", "$filter")
QUERY_OPTION_NAMES = {"$select": "Select", "$orderby": "OrderBy", "$count": "Count", "$skip": "Skip",
                      "$expand": "Expand", "$search": "Search", "$format": "Format"}


def _undocumented_option(ctx):
    for option in ctx.opts:
        if option not in SIGNIN_QUERY_OPTIONS:
            return ctx.error(400, "BadRequest",
                             "Query option '%s' is not allowed. To allow it, set the 'AllowedQueryOptions' property "
                             "on EnableQueryAttribute or QueryValidationSettings."
                             % QUERY_OPTION_NAMES.get(option, option.lstrip("$")))
    return None


def list_signins(ctx):
    refusal = _premium_refusal(ctx) or _undocumented_option(ctx)
    if refusal is not None:
        return refusal
    cat = CATALOGS["v1.0"]
    props = cat.props("signIn")
    events = [signin_object(ctx.store, e) for e in ctx.store.data["signins"]]
    return ctx.list_collection(
        events, "signIn", props, lambda o, n: o.get(n), lambda o, sel: {k: o[k] for k in (sel or o.keys()) if k in o},
        "auditLogs/signIns", default_top=1000, max_top=1000, directory=False,
        extra_filter_ops={"createdDateTime": ["eq", "ge", "le"], "id": ["eq"], "isInteractive": ["eq"]},
    )


def get_signin(ctx):
    refusal = _premium_refusal(ctx)
    if refusal is not None:
        return refusal
    key = ctx.params["signin"]
    for e in ctx.store.data["signins"]:
        if e["id"] == key.lower():
            body = {"@odata.context": ctx.context("auditLogs/signIns/$entity")}
            body.update(signin_object(ctx.store, e))
            return ctx.json(body)
    return ctx.not_found(key)
