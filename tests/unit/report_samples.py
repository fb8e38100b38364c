# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registered results shaped like the modules' RETURN sections, for the baseline report's tests.

Shared by the unit tests (tests/unit) and the rendering tests (tests/report).
"""

from __future__ import annotations

import copy

TENANT = dict(tenant_id="5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c", display_name="Contoso Pharmaceuticals",
              default_domain="contoso.com", initial_domain="contoso.onmicrosoft.com", name="contoso",
              verified_domains=[dict(name="contoso.com", is_default=True)])
# What a registered result echoes of its task: the report must never copy it.
SECRET = "s3cr3t-client-secret-value"
INVOCATION = dict(module_args=dict(client_id="8e1b9b4c-9f37-4a5e-a7f2-0b7d1c2e3f40", client_secret=SECRET))

PROTOCOL_CYCLE = (
    (dict(imap=True, pop=True), dict(imap=False, pop=False)),
    (dict(activesync=True, smtp_auth="enabled"), dict(activesync=False, smtp_auth="inherit")),
    (dict(imap=True, ews=True), dict(imap=False, ews=False)),
    (dict(pop=True), dict(pop=False)),
    (dict(smtp_auth="enabled", mapi=True), dict(smtp_auth="disabled", mapi=False)),
)


def user_changes(count, before="disabled", after="enforced"):
    return [dict(user_principal_name="user%05d@contoso.com" % index, id="0b1d0c37-0000-4000-8000-%012d" % index,
                 before=before, after=after) for index in range(count)]


def mailbox_changes(count):
    changes = []
    for index in range(count):
        before, after = PROTOCOL_CYCLE[index % len(PROTOCOL_CYCLE)]
        changes.append(dict(mailbox="mailbox%05d@contoso.com" % index, guid="7f0e8c2a-0000-4000-9000-%012d" % index,
                            before=dict(before), after=dict(after)))
    return changes


def bulk(changes, targets, failures=(), failed=False, msg=None):
    result = dict(changed=bool(changes), summary=dict(targets=targets, compliant=targets - len(changes) - len(failures),
                                                      changed=len(changes), failed=len(failures)),
                  changes=list(changes), failures=list(failures), missing={}, invocation=copy.deepcopy(INVOCATION))
    if failed:
        result.update(failed=True, msg=msg or "%d targets failed" % len(failures))
    return result


def single(changed, before, after, **extra):
    result = dict(changed=changed, diff=dict(before=before, after=after), invocation=copy.deepcopy(INVOCATION))
    result.update(extra)
    return result


def sample_controls(users=50, mailboxes=80):
    """A realistic audit: some drift, a compliant exception, an error and a skipped control."""
    return [
        dict(id="guardrails.security_defaults", title="Security defaults off (Conditional Access in use)",
             category="guardrails", description="Security defaults are disabled because Conditional Access applies.",
             result=single(False, dict(enabled=False), dict(enabled=False),
                           security_defaults=dict(id="00000000-0000-0000-0000-000000000005", enabled=False))),
        dict(id="guardrails.ca.block_legacy_auth", title="Conditional Access blocks legacy authentication",
             category="guardrails", description="A CA policy blocks Exchange ActiveSync and other legacy clients.",
             result=single(True, {}, dict(displayName="Block legacy authentication", state="enabled",
                                          conditions=dict(clientAppTypes=["exchangeActiveSync", "other"])))),
        dict(id="guardrails.ca.require_mfa_admins", title="Conditional Access requires MFA for admins",
             category="guardrails", result=dict(changed=False, skipped=True, skip_reason="Conditional result was False")),
        dict(id="mfa.per_user", title="Per-user MFA enforced", category="mfa",
             description="Every member user is enforced, except the break-glass accounts.",
             result=bulk(user_changes(users), 1250)),
        dict(id="mail.protocols.default", title="Legacy protocols off for user mailboxes", category="mail_protocols",
             description="IMAP, POP, ActiveSync and EWS off; SMTP AUTH follows the organization.",
             result=bulk(mailbox_changes(mailboxes), 1180)),
        dict(id="mail.protocols.exception.scanners", title="Exception: scanners may send with SMTP AUTH",
             category="mail_protocols", description="Members of the group Scanners keep SMTP AUTH enabled.",
             result=bulk([], 3)),
        dict(id="mail.cas_plans", title="CAS mailbox plans: legacy protocols off", category="mail_protocols",
             result=bulk([dict(plan="ExchangeOnlineEnterprise-0b3a8f52", display_name="ExchangeOnlineEnterprise",
                               before=dict(imap=True, pop=True), after=dict(imap=False, pop=False))], 4)),
        dict(id="mail.smtp_auth_org", title="SMTP AUTH disabled for the organization", category="mail_protocols",
             result=dict(failed=True, changed=False, invocation=copy.deepcopy(INVOCATION),
                         msg="Get-TransportConfig on organization failed: Exchange Online answered 403 Forbidden "
                             "(the app has no Exchange role)")),
    ]


def usage_user(upn, sign_ins, last, successes=None, clients=("Ios / Apple-iPhone15C2/2104.187",)):
    successes = sign_ins if successes is None else successes
    return dict(id=None, user_principal_name=upn, display_name=upn.split("@")[0], sign_ins=sign_ins,
                successes=successes, failures=sign_ins - successes, last_sign_in=last,
                last_success=last if successes else None, clients=list(clients))


def sample_usage():
    """A registered protocol_usage_info result matching sample_controls' changes.

    mailbox00001 and mailbox00006 (ActiveSync turned off) sync with ActiveSync; mailbox00000 (IMAP
    off) reads with IMAP; mailbox00011 only failed to sign in with ActiveSync; user00003 (MFA
    becomes enforced) reads with IMAP; nobody's POP or EWS use is logged.
    """
    def section(client, setting, users):
        return dict(client_app_used=client, setting=setting, users=users,
                    counts=dict(users=len(users), sign_ins=sum(u["sign_ins"] for u in users)))
    return dict(changed=False, invocation=copy.deepcopy(INVOCATION),
                window=dict(days=30, start="2026-04-01T10:20:30Z", end="2026-05-01T10:20:30Z"),
                protocols=dict(
                    activesync=section("Exchange ActiveSync", "activesync", [
                        usage_user("mailbox00001@contoso.com", 40, "2026-04-30T08:00:00Z"),
                        usage_user("mailbox00006@contoso.com", 12, "2026-04-29T08:00:00Z"),
                        usage_user("mailbox00011@contoso.com", 5, "2026-04-28T08:00:00Z", successes=0)]),
                    imap=section("IMAP4", "imap", [
                        usage_user("mailbox00000@contoso.com", 7, "2026-04-20T08:00:00Z", clients=("BAV2ROPC",)),
                        usage_user("user00003@contoso.com", 3, "2026-04-21T08:00:00Z", clients=("BAV2ROPC",))]),
                    pop=section("POP3", "pop", []),
                    ews=section("Exchange Web Services", "ews", [])))
