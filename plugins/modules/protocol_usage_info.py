#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: protocol_usage_info
short_description: Who still signs in with IMAP, POP, ActiveSync, SMTP AUTH and other legacy mail protocols
version_added: 0.1.0
description:
  - Reads the Microsoft Entra ID sign-in logs (C(GET /auditLogs/signIns)) of the last O(window_days) days and
    returns, for each protocol asked, the users who signed in with it, how often, how many sign-ins succeeded
    and failed, when last, and the clients and devices the logs name.
  - Use it before turning a protocol off, to see who would be cut off, for example the people whose iPhone Mail
    syncs through Exchange ActiveSync, or the scanner that sends through authenticated SMTP.
  - Reads one listing per protocol, filtered by the service on C(createdDateTime) and C(clientAppUsed), 1,000
    events per page. It sends only the query options Microsoft documents for this API (C($filter), C($top) and
    the C($skiptoken) of the next page); Graph refuses C($select) there, so every page holds whole events. The
    listings are read one after another, because the sign-in logs allow only a few requests per 10 seconds;
    throttled requests are retried after the time the service asks for. Events are summed per user while the
    pages arrive.
  - The v1.0 API lists B(interactive sign-ins only) (RV(sign_in_event_types)). Basic-authentication legacy
    clients pass a password at each sign-in and are listed; a client that signs in non-interactively, with a
    refresh token, is not, so the result is a lower bound of who uses a protocol.
  - The sign-in logs API exists in Microsoft's worldwide cloud only (which includes GCC). With
    O(cloud=usgov), O(cloud=usgov_dod) or O(cloud=china) the module fails before any request, saying so. With
    O(cloud=custom) it reads, and a 400 or 404 answer gets a hint that the hosts may be a national cloud's.
  - Reads only; never changes the tenant.
author:
  - m365.admin maintainers (@m365-admin)
options:
  window_days:
    description:
      - How many days back to look, from 1 to 30. Entra ID keeps sign-in logs for 30 days.
    type: int
    default: 30
  protocols:
    description:
      - The protocols to read, by name. Each is the C(clientAppUsed) value of the sign-in logs in brackets.
      - V(activesync) (C(Exchange ActiveSync)), V(imap) (C(IMAP4)), V(pop) (C(POP3)), V(smtp_auth)
        (C(Authenticated SMTP)), V(mapi) (C(MAPI Over HTTP)), V(outlook_anywhere)
        (C(Outlook Anywhere \(RPC over HTTP\))), V(ews) (C(Exchange Web Services)), V(autodiscover)
        (C(Autodiscover)), V(offline_address_book) (C(Offline Address Book)), V(exchange_powershell)
        (C(Exchange Online PowerShell)) and V(other) (C(Other clients)).
    type: list
    elements: str
    choices: [activesync, imap, pop, smtp_auth, mapi, outlook_anywhere, ews, autodiscover, offline_address_book,
              exchange_powershell, other]
    default: [activesync, imap, pop, smtp_auth, mapi, outlook_anywhere, ews, autodiscover, offline_address_book,
              exchange_powershell, other]
  users:
    description:
      - Only report these users, by user principal name or object id. The default is every user.
      - The names are matched against the logs, so a user who did not sign in is simply absent.
    type: list
    elements: str
    default: []
  include_failures:
    description:
      - Count failed sign-ins too. A user whose every sign-in failed is then listed, with RV(protocols.users[].successes=0).
      - Failed legacy sign-ins are often password-spraying attempts against the account, not a client the user
        relies on; the usage guard of M(m365.admin.mailbox_protocols) and the baseline's impact section only
        count successful sign-ins.
    type: bool
    default: true
  max_events:
    description:
      - The most sign-in events to read per protocol; V(0), the default, reads the whole window.
      - The logs come newest first, so a limit leaves out only older sign-ins. A protocol whose listing was cut
        short has RV(protocols.complete=false), and the module warns.
      - In a large tenant, ActiveSync devices sign in many times a day; a limit bounds the time a first look
        takes.
    type: int
    default: 0
notes:
  - "Microsoft Graph: the application permissions C(AuditLog.Read.All) B(and) C(Directory.Read.All) with admin
    consent (Microsoft documents that the sign-in logs API needs both; with only one Graph answers C(403
    Authorization_RequestDenied)), and a Microsoft Entra ID P1 or P2 licence in the tenant. Without the licence
    Graph answers C(403 Authentication_RequestFromNonPremiumTenantOrB2CTenant), and the module says so."
  - "Clouds: worldwide (and GCC) only. Microsoft does not offer the sign-in logs API in US Government L4 (GCC
    High), L5 (DoD) or China (21Vianet)."
  - Sign-in logs reach the API a few minutes after the sign-in.
seealso:
  - module: m365.admin.mailbox_protocols
  - module: m365.admin.mailbox_protocols_info
  - name: List signIns (Microsoft Graph)
    description: The API this module reads.
    link: https://learn.microsoft.com/en-us/graph/api/signin-list
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.connection.attributes
  - m365.admin.connection.check_mode_read_only
"""

EXAMPLES = r"""
- name: Who used a legacy protocol in the last 30 days
  m365.admin.protocol_usage_info:
  register: usage

- name: The people who still sync through ActiveSync
  ansible.builtin.debug:
    msg: "{{ usage.protocols.activesync.users | map(attribute='user_principal_name') }}"

- name: Successful IMAP and POP sign-ins of the last week only
  m365.admin.protocol_usage_info:
    protocols: [imap, pop]
    window_days: 7
    include_failures: false
  register: recent
"""

RETURN = r"""
protocols:
  description: For each protocol asked, by name, its users in the window.
  returned: always
  type: dict
  contains:
    client_app_used:
      description: The C(clientAppUsed) value of the sign-in logs.
      type: str
      sample: Exchange ActiveSync
    setting:
      description: The option of M(m365.admin.mailbox_protocols) that turns the protocol off, or null.
      type: str
      sample: activesync
    complete:
      description: Whether every event of the window was read (false when O(max_events) cut the listing short).
      type: bool
    counts:
      description: Users, sign-ins, successes, failures, and users with at least one success.
      type: dict
      sample: {"users": 14, "sign_ins": 320, "successes": 311, "failures": 9, "users_with_success": 14}
    users:
      description: The users who signed in with the protocol, most sign-ins first.
      type: list
      elements: dict
      contains:
        id:
          description: The user's object id.
          type: str
        user_principal_name:
          description: The user principal name.
          type: str
          sample: adele.vance@contoso.com
        display_name:
          description: The display name.
          type: str
        sign_ins:
          description: Sign-ins in the window.
          type: int
        successes:
          description: Successful sign-ins.
          type: int
        failures:
          description: Failed sign-ins.
          type: int
        last_sign_in:
          description: The time of the latest sign-in, UTC.
          type: str
          sample: "2026-05-01T10:20:30Z"
        last_success:
          description: The time of the latest successful sign-in, or null.
          type: str
        clients:
          description: The operating systems, browsers and user agents the logs name (at most 10).
          type: list
          elements: str
          sample: ["Ios / Apple-iPhone15C2/2104.187"]
  sample: {"activesync": {"client_app_used": "Exchange ActiveSync", "setting": "activesync", "counts": {"users": 1},
           "users": [{"user_principal_name": "adele.vance@contoso.com", "sign_ins": 12, "successes": 12,
                      "failures": 0, "last_sign_in": "2026-05-01T10:20:30Z"}]}}
users:
  description: Every user with legacy sign-ins, by user principal name, and the protocols each used.
  returned: always
  type: dict
  sample: {"adele.vance@contoso.com": ["activesync", "imap"]}
window:
  description: The window read, UTC.
  returned: always
  type: dict
  sample: {"days": 30, "start": "2026-04-01T10:20:30Z", "end": "2026-05-01T10:20:30Z"}
events_read:
  description: Sign-in events read from the logs.
  returned: always
  type: int
sign_in_event_types:
  description:
    - The kinds of sign-in the logs read hold. The v1.0 API lists interactive sign-ins only, so this is always
      V([interactive]); non-interactive sign-ins (refresh tokens) are not counted.
  returned: always
  type: list
  elements: str
  sample: ["interactive"]
incomplete:
  description: The protocols whose listing O(max_events) cut short (empty when every event was read).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.m365.admin.plugins.module_utils import _signins
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module


async def run(module, connection):
    params = module.params
    protocols = [_signins.BY_NAME[name] for name in dict.fromkeys(params["protocols"])]
    usage = await _signins.read_usage(connection.graph(), protocols, params["window_days"],
                                      include_failures=params["include_failures"], users=params["users"],
                                      max_events=params["max_events"], cloud=connection.settings.cloud)
    by_user = {}
    for name, entry in usage["protocols"].items():
        for user in entry["users"]:
            by_user.setdefault(user["user_principal_name"] or user["id"], []).append(name)
    incomplete = [name for name, entry in usage["protocols"].items() if not entry["complete"]]
    if incomplete:
        module.ansible.warn("max_events=%d stopped the listing of %s before the start of the window: users who "
                            "only signed in earlier are missing" % (params["max_events"], ", ".join(incomplete)))
    return dict(changed=False, protocols=usage["protocols"], users=by_user, window=usage["window"],
                events_read=usage["events_read"], incomplete=incomplete,
                sign_in_event_types=usage["sign_in_event_types"])


def main():
    module = M365Module(argument_spec=dict(_signins.USAGE_ARGUMENT_SPEC), supports_check_mode=True)
    module.validate(_signins.validate_usage_params)
    module.run(run)


if __name__ == "__main__":
    main()
