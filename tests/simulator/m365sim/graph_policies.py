"""Graph policy handlers: per-user MFA (beta authentication/requirements), security
defaults and conditional access policies."""
import copy

from .odata import QueryError
from .schema import Catalog, Normalizer, SchemaError
from .util import is_guid, iso, new_guid

SECURITY_DEFAULTS_ID = "00000000-0000-0000-0000-000000000005"
SECURITY_DEFAULTS_DESCRIPTION = (
    "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these "
    "recommendations will be automatically enforced in your organization. Administrators and users will be better "
    "protected from common identity related attacks."
)
MFA_STATES = ("disabled", "enabled", "enforced")
CATALOG = Catalog("v1.0")

# Built-in authentication strengths (returned inline in grantControls.authenticationStrength).
BUILTIN_STRENGTHS = {
    "00000000-0000-0000-0000-000000000002": ("Multifactor authentication",
                                             "Combinations of methods that satisfy strong authentication, such as a "
                                             "password + SMS", "mfa"),
    "00000000-0000-0000-0000-000000000003": ("Passwordless MFA",
                                             "Passwordless methods that satisfy strong authentication, such as "
                                             "Passwordless sign-in with the Microsoft Authenticator", "mfa"),
    "00000000-0000-0000-0000-000000000004": ("Phishing-resistant MFA",
                                             "Phishing-resistant, Passwordless methods for the strongest "
                                             "authentication, such as a FIDO2 security key", "mfa"),
}
STRENGTH_COMBINATIONS = {
    "00000000-0000-0000-0000-000000000002": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor",
                                             "deviceBasedPush", "temporaryAccessPassOneTime",
                                             "temporaryAccessPassMultiUse", "password,microsoftAuthenticatorPush",
                                             "password,softwareOath", "password,hardwareOath", "password,sms",
                                             "password,voice", "federatedMultiFactor",
                                             "microsoftAuthenticatorPush,federatedSingleFactor",
                                             "softwareOath,federatedSingleFactor", "hardwareOath,federatedSingleFactor",
                                             "sms,federatedSingleFactor", "voice,federatedSingleFactor"],
    "00000000-0000-0000-0000-000000000003": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor",
                                             "deviceBasedPush"],
    "00000000-0000-0000-0000-000000000004": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
}
USER_KEYWORDS = ("All", "None", "GuestsOrExternalUsers")
APP_KEYWORDS = ("All", "None", "Office365", "MicrosoftAdminPortals")


def _bad(message):
    return QueryError(400, "BadRequest", message)


# ---------------------------------------------------------------------------------------
# Per-user MFA (beta)
# ---------------------------------------------------------------------------------------
def _user_or_404(ctx):
    key = ctx.params["user"]
    u = ctx.store.user(key)
    if u is None:
        raise QueryError(404, "Request_ResourceNotFound",
                         "Resource '%s' does not exist or one of its queried reference-property objects are not "
                         "present." % key)
    return u


def get_requirements(ctx):
    u = _user_or_404(ctx)
    return ctx.json({
        "@odata.context": ctx.context("users('%s')/authentication/requirements" % u["id"]),
        "perUserMfaState": u.get("_mfa", "disabled"),
    })


def patch_requirements(ctx):
    u = _user_or_404(ctx)
    body = ctx.body_json()
    for key in body:
        if key.startswith("@"):
            continue
        if key != "perUserMfaState":
            raise _bad("The property '%s' does not exist on type 'microsoft.graph.strongAuthenticationRequirements'. "
                       "Make sure to only use property names that are defined by the type or mark the type as open "
                       "type." % key)
    if "perUserMfaState" not in body:
        return ctx.no_content()
    value = body["perUserMfaState"]
    if value is None:
        raise _bad("A null value was found for the property named 'perUserMfaState', which has the expected type "
                   "'microsoft.graph.perUserMfaState[Nullable=False]'. The expected type "
                   "'microsoft.graph.perUserMfaState[Nullable=False]' does not allow null values.")
    if not isinstance(value, str) or value not in MFA_STATES:
        raise _bad("Cannot convert the literal '%s' to the expected type 'microsoft.graph.perUserMfaState'. "
                   "Allowed values: disabled, enabled, enforced." % (value,))
    before = u.get("_mfa", "disabled")
    stored = value
    if value == "enabled" and u.get("_reg"):
        # Entra moves an enabled user who already has a registered method to enforced.
        stored = "enforced"
    if stored != before:
        u["_mfa"] = stored
        ctx.store.record_change("user.perUserMfaState", u["userPrincipalName"], {"perUserMfaState": before},
                                {"perUserMfaState": stored, "requested": value}, actor=ctx.app.name, via="graph")
    ctx.write_done()
    return ctx.no_content()


def register_method(store, u, actor="sim"):
    """Admin hook: the user completes MFA registration (enabled -> enforced)."""
    before = {"perUserMfaState": u.get("_mfa", "disabled"), "hasRegisteredMethod": bool(u.get("_reg"))}
    u["_reg"] = True
    if u.get("_mfa") == "enabled":
        u["_mfa"] = "enforced"
    after = {"perUserMfaState": u.get("_mfa", "disabled"), "hasRegisteredMethod": True}
    if after != before:
        store.record_change("user.registerMethod", u["userPrincipalName"], before, after, actor=actor, via="sim")
    store.mark_dirty()
    return after


# ---------------------------------------------------------------------------------------
# Security defaults
# ---------------------------------------------------------------------------------------
def security_defaults_object(store):
    return {
        "id": SECURITY_DEFAULTS_ID,
        "deletedDateTime": None,
        "description": SECURITY_DEFAULTS_DESCRIPTION,
        "displayName": "Security Defaults",
        "isEnabled": bool(store.data["security_defaults"]["isEnabled"]),
    }


def get_security_defaults(ctx):
    from .odata import parse_select

    obj = security_defaults_object(ctx.store)
    select = parse_select(ctx.opts, list(obj.keys()), "identitySecurityDefaultsEnforcementPolicy", collection=False)
    body = {"@odata.context": ctx.context("policies/identitySecurityDefaultsEnforcementPolicy%s/$entity"
                                          % ("(%s)" % ",".join(select) if select else ""))}
    body.update({k: obj[k] for k in (select or obj.keys())})
    return ctx.json(body)


def patch_security_defaults(ctx):
    body = ctx.body_json()
    readonly = ("id", "displayName", "description", "deletedDateTime")
    for key in body:
        if key.startswith("@"):
            continue
        if key in readonly:
            raise _bad("The property '%s' is read-only and cannot be updated; only 'isEnabled' can be changed." % key)
        if key != "isEnabled":
            raise _bad("The property '%s' does not exist on type "
                       "'microsoft.graph.identitySecurityDefaultsEnforcementPolicy'. Make sure to only use property "
                       "names that are defined by the type or mark the type as open type." % key)
    if "isEnabled" not in body:
        return ctx.no_content()
    value = body["isEnabled"]
    if not isinstance(value, bool):
        raise _bad("Cannot convert the literal '%s' to the expected type 'Edm.Boolean'." % (value,))
    state = ctx.store.data["security_defaults"]
    before = bool(state["isEnabled"])
    if value and not before:
        enabled = [p["displayName"] for p in ctx.store.data["ca_policies"] if p["state"] == "enabled"]
        if enabled:
            raise _bad("Security defaults can't be enabled while Conditional Access policies are enabled in the "
                       "tenant. Disable the enabled Conditional Access policies (%d: %s) before enabling security "
                       "defaults." % (len(enabled), ", ".join(enabled[:5])))
    if value != before:
        state["isEnabled"] = value
        ctx.store.record_change("securityDefaults", SECURITY_DEFAULTS_ID, {"isEnabled": before},
                                {"isEnabled": value}, actor=ctx.app.name, via="graph")
    ctx.write_done()
    return ctx.no_content()


# ---------------------------------------------------------------------------------------
# Conditional access
# ---------------------------------------------------------------------------------------
def _strength_object(sid):
    name, desc, req = BUILTIN_STRENGTHS[sid]
    return {
        "id": sid,
        "createdDateTime": "2021-12-01T00:00:00Z",
        "modifiedDateTime": "2021-12-01T00:00:00Z",
        "displayName": name,
        "description": desc,
        "policyType": "builtIn",
        "requirementsSatisfied": req,
        "allowedCombinations": STRENGTH_COMBINATIONS[sid],
    }


def _nav(type_full, key, raw):
    if type_full == "microsoft.graph.conditionalAccessGrantControls" and key == "authenticationStrength":
        if raw is None:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise SchemaError("grantControls.authenticationStrength must be an object with the 'id' of an "
                              "authentication strength policy.")
        if raw["id"] not in BUILTIN_STRENGTHS:
            raise SchemaError("Authentication strength policy '%s' was not found." % raw["id"])
        return _strength_object(raw["id"])
    raise SchemaError("Navigation property '%s' cannot be set here." % key)


READ_ONLY_CA = ("id", "createdDateTime", "modifiedDateTime", "deletedDateTime", "templateId")


def normalize_ca_input(body):
    """Validate a (full) CA policy body and return it with every server default filled in."""
    norm = Normalizer(CATALOG, nav_handler=_nav, ignore=READ_ONLY_CA)
    try:
        policy = norm.normalize("microsoft.graph.conditionalAccessPolicy", body)
    except SchemaError as exc:
        raise _bad(str(exc)) from None
    gc = policy.get("grantControls")
    if isinstance(gc, dict) and "authenticationStrength" not in gc:
        gc["authenticationStrength"] = None
    _validate_ca(policy)
    for key in READ_ONLY_CA:
        policy.pop(key, None)
    return policy


def _guid_list(values, where, keywords=()):
    for v in values:
        if v in keywords:
            continue
        if not is_guid(v):
            raise _bad("Invalid value '%s' in %s: expected an object id (GUID)%s." % (
                v, where, (" or one of " + ", ".join(keywords)) if keywords else ""))


def _validate_ca(p):
    if not p.get("displayName"):
        raise _bad("Invalid policy: 'displayName' is required and can't be empty.")
    if not p.get("state"):
        raise _bad("Invalid policy: 'state' is required (enabled, disabled or enabledForReportingButNotEnforced).")
    cond = p.get("conditions")
    if not isinstance(cond, dict):
        raise _bad("Invalid policy: 'conditions' is required.")
    if not cond.get("clientAppTypes"):
        cond["clientAppTypes"] = ["all"]
    apps = cond.get("applications")
    if not apps or not (apps["includeApplications"] or apps["includeUserActions"]
                        or apps["includeAuthenticationContextClassReferences"] or apps.get("applicationFilter")):
        raise _bad("Invalid policy: conditions.applications must include applications, user actions or "
                   "authentication contexts.")
    for field in ("includeApplications", "excludeApplications"):
        for v in apps[field]:
            if v not in APP_KEYWORDS and not is_guid(v):
                raise _bad("Invalid value '%s' in conditions.applications.%s: expected an application id or one of "
                           "%s." % (v, field, ", ".join(APP_KEYWORDS)))
    users = cond.get("users")
    clients = cond.get("clientApplications")
    if not users and not clients:
        raise _bad("Invalid policy: conditions.users (or conditions.clientApplications) is required.")
    if users:
        if not (users["includeUsers"] or users["includeGroups"] or users["includeRoles"]
                or users.get("includeGuestsOrExternalUsers")):
            raise _bad("Invalid policy: conditions.users must include users, groups, roles or guests.")
        _guid_list(users["includeUsers"], "conditions.users.includeUsers", USER_KEYWORDS)
        _guid_list(users["excludeUsers"], "conditions.users.excludeUsers", ("GuestsOrExternalUsers",))
        for field in ("includeGroups", "excludeGroups", "includeRoles", "excludeRoles"):
            _guid_list(users[field], "conditions.users." + field)
    gc, sc = p.get("grantControls"), p.get("sessionControls")
    has_grant = isinstance(gc, dict) and (
        gc["builtInControls"] or gc["customAuthenticationFactors"] or gc["termsOfUse"] or gc.get("authenticationStrength"))
    has_session = isinstance(sc, dict) and any(v not in (None, []) for v in sc.values())
    if not has_grant and not has_session:
        raise _bad("Invalid policy: a policy needs grant controls or session controls.")
    if isinstance(gc, dict) and has_grant:
        if gc.get("operator") not in ("OR", "AND"):
            raise _bad("Invalid policy: grantControls.operator must be 'OR' or 'AND'.")
        if "block" in gc["builtInControls"] and (len(gc["builtInControls"]) > 1 or gc.get("authenticationStrength")):
            raise _bad("Invalid policy: the 'block' control can't be combined with other grant controls.")
        if "mfa" in gc["builtInControls"] and gc.get("authenticationStrength"):
            raise _bad("Invalid policy: 'mfa' and an authentication strength can't be required together.")


CA_ORDER = ("id", "templateId", "displayName", "createdDateTime", "modifiedDateTime", "state", "description",
            "deletedDateTime", "sessionControls", "conditions", "grantControls")


def render_ca(ctx, p, select=None):
    out = {}
    for key in CA_ORDER:
        if key in p:
            out[key] = copy.deepcopy(p[key])
    for key in p:
        if key not in out:
            out[key] = copy.deepcopy(p[key])
    gc = out.get("grantControls")
    if isinstance(gc, dict):
        strength = gc.pop("authenticationStrength", None)
        gc["authenticationStrength@odata.context"] = ctx.context(
            "identity/conditionalAccess/policies('%s')/grantControls/authenticationStrength/$entity" % p["id"])
        gc["authenticationStrength"] = strength
    if select:
        out = {k: out[k] for k in select if k in out}
    return out


def _ca_select(ctx, single):
    from .odata import parse_select

    valid = list(CA_ORDER)
    return parse_select(ctx.opts, valid, "conditionalAccessPolicy", collection=not single)


def list_ca(ctx):
    props = CATALOG.props("conditionalAccessPolicy")
    policies = ctx.store.data["ca_policies"]
    return ctx.list_collection(
        policies, "conditionalAccessPolicy", props, lambda o, n: o.get(n),
        lambda o, sel: render_ca(ctx, o, sel), "identity/conditionalAccess/policies", directory=False,
        extra_filter_ops={"id": ["eq", "in"], "displayName": ["eq", "startswith", "in"], "state": ["eq", "in"],
                          "createdDateTime": ["eq", "ge", "le"], "modifiedDateTime": ["eq", "ge", "le"],
                          "templateId": ["eq"]},
        select_props=list(CA_ORDER), orderby_default_ok=("displayName", "createdDateTime", "modifiedDateTime"),
    )


def _policy_or_404(ctx):
    key = ctx.params["policy"]
    p = ctx.store.ca_by_id.get(key.lower())
    if p is None:
        raise QueryError(404, "Request_ResourceNotFound",
                         "Resource '%s' does not exist or one of its queried reference-property objects are not "
                         "present." % key)
    return p


def get_ca(ctx):
    p = _policy_or_404(ctx)
    select = _ca_select(ctx, True)
    body = {"@odata.context": ctx.context("identity/conditionalAccess/policies%s/$entity"
                                          % ("(%s)" % ",".join(select) if select else ""))}
    body.update(render_ca(ctx, p, select))
    return ctx.json(body)


def _check_security_defaults(ctx, policy):
    if policy["state"] == "enabled" and ctx.store.data["security_defaults"]["isEnabled"]:
        raise _bad("Conditional Access policies can't be enabled while security defaults are enabled. Disable "
                   "security defaults first, or create the policy in report-only mode "
                   "(enabledForReportingButNotEnforced).")


def create_ca(ctx):
    body = ctx.body_json()
    policy = normalize_ca_input(body)
    _check_security_defaults(ctx, policy)
    policy = {"id": new_guid(), "templateId": None, "createdDateTime": iso(), "modifiedDateTime": None,
              "deletedDateTime": None, **policy}
    ctx.store.data["ca_policies"].append(policy)
    ctx.store.ca_by_id[policy["id"].lower()] = policy
    ctx.store.record_change("conditionalAccessPolicy.create", policy["id"], None, _public(policy),
                            actor=ctx.app.name, via="graph")
    ctx.write_done()
    body = {"@odata.context": ctx.context("identity/conditionalAccess/policies/$entity")}
    body.update(render_ca(ctx, policy))
    resp = ctx.json(body, status=201)
    resp.headers["Location"] = "%s/%s/identity/conditionalAccess/policies('%s')" % (
        ctx.origin, ctx.version, policy["id"])
    return resp


def _public(p):
    return {k: copy.deepcopy(v) for k, v in p.items()}


def _merge(base, patch):
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and "@odata.type" not in v:
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def patch_ca(ctx):
    p = _policy_or_404(ctx)
    body = ctx.body_json()
    patch = {k: v for k, v in body.items() if not k.startswith("@") and k not in READ_ONLY_CA}
    current = {k: v for k, v in p.items() if k not in READ_ONLY_CA}
    gc = current.get("grantControls")
    if isinstance(gc, dict) and isinstance(gc.get("authenticationStrength"), dict):
        gc = dict(gc)
        gc["authenticationStrength"] = {"id": gc["authenticationStrength"]["id"]}
        current["grantControls"] = gc
    merged = _merge(current, patch)
    normalized = normalize_ca_input(merged)
    _check_security_defaults(ctx, normalized)
    before = {k: v for k, v in p.items() if k not in READ_ONLY_CA}
    if normalized != before:
        snapshot = _public(p)
        for k in list(p.keys()):
            if k not in READ_ONLY_CA:
                del p[k]
        p.update(normalized)
        p["modifiedDateTime"] = iso()
        ctx.store.record_change("conditionalAccessPolicy.update", p["id"], snapshot, _public(p),
                                actor=ctx.app.name, via="graph")
    ctx.write_done()
    return ctx.no_content()


def delete_ca(ctx):
    p = _policy_or_404(ctx)
    ctx.store.data["ca_policies"] = [x for x in ctx.store.data["ca_policies"] if x is not p]
    ctx.store.ca_by_id.pop(p["id"].lower(), None)
    ctx.store.record_change("conditionalAccessPolicy.delete", p["id"], _public(p), None, actor=ctx.app.name,
                            via="graph")
    ctx.write_done()
    return ctx.no_content()
