#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tenant_info
short_description: Facts about a Microsoft 365 tenant
version_added: 0.1.0
description:
  - Returns the tenant's id, name and verified domains, the cloud and endpoints the collection talks to,
    and the number of users (members and guests) and of mailboxes by recipient type.
  - A quick way to prove that sign-in, Microsoft Graph and Exchange Online are reachable with the permissions
    the other modules need.
  - Reads only; never changes the tenant.
author:
  - m365.admin maintainers (@m365-admin)
options:
  include:
    description:
      - What to count besides the tenant's own details.
      - V(users) counts member and guest users through Microsoft Graph (one batched request).
      - V(mailboxes) counts mailboxes by recipient type through Exchange Online (one paged C(Get-Mailbox)).
    type: list
    elements: str
    choices: [users, mailboxes]
    default: [users, mailboxes]
notes:
  - "Microsoft Graph application permissions: C(Organization.Read.All) (or C(Directory.Read.All)) for the
    tenant's details; C(User.Read.All) to count users."
  - "Exchange Online: the application permission C(Exchange.ManageAsApp) and an Exchange role such as
    Global Reader or Exchange Administrator assigned to the app, to count mailboxes."
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.connection.attributes
  - m365.admin.connection.check_mode_read_only
"""

EXAMPLES = r"""
- name: Read the tenant's facts with a certificate
  m365.admin.tenant_info:
    tenant_id: contoso.onmicrosoft.com
    client_id: 8e1b9b4c-9f37-4a5e-a7f2-0b7d1c2e3f40
    client_certificate_path: /etc/m365/automation.pem
  register: tenant

- name: Set the connection once for every module of the collection
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/m365.admin.m365:
      tenant_id: "{{ m365_tenant_id }}"
      client_id: "{{ m365_client_id }}"
      client_secret: "{{ m365_client_secret }}"
  tasks:
    - name: Only the tenant and its users, no Exchange call
      m365.admin.tenant_info:
        include: [users]
      register: tenant

    - name: Show the default domain
      ansible.builtin.debug:
        msg: "{{ tenant.default_domain }} has {{ tenant.user_counts.total }} users"

- name: A GCC High tenant
  m365.admin.tenant_info:
    cloud: usgov
    tenant_id: 5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c
    client_id: 8e1b9b4c-9f37-4a5e-a7f2-0b7d1c2e3f40
    client_certificate_path: /etc/m365/automation.pfx
    client_certificate_password: "{{ vault_pfx_password }}"
"""

RETURN = r"""
tenant_id:
  description: The tenant's GUID.
  returned: always
  type: str
  sample: 5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c
display_name:
  description: The organization's name.
  returned: always
  type: str
  sample: Contoso
tenant_type:
  description: The kind of tenant, as Graph gives it (for example C(AAD)).
  returned: when Graph returns it
  type: str
  sample: AAD
default_domain:
  description: The verified domain marked as default.
  returned: always
  type: str
  sample: contoso.com
initial_domain:
  description: The tenant's initial C(onmicrosoft.com) domain.
  returned: always
  type: str
  sample: contoso.onmicrosoft.com
verified_domains:
  description: Every verified domain of the tenant.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The domain name.
      type: str
      sample: contoso.com
    is_default:
      description: Whether this is the default domain.
      type: bool
    is_initial:
      description: Whether this is the initial C(onmicrosoft.com) domain.
      type: bool
    type:
      description: C(Managed) or C(Federated).
      type: str
      sample: Managed
cloud:
  description: The cloud the connection used (the O(cloud) option).
  returned: always
  type: str
  sample: public
endpoints:
  description: The hosts the collection talked to.
  returned: always
  type: dict
  contains:
    graph_url:
      description: Microsoft Graph root.
      type: str
      sample: https://graph.microsoft.com
    exchange_url:
      description: Exchange Online admin API root.
      type: str
      sample: https://outlook.office365.com
    authority_url:
      description: Identity platform root.
      type: str
      sample: https://login.microsoftonline.com
user_counts:
  description: Users in the directory.
  returned: when O(include) contains V(users)
  type: dict
  contains:
    total:
      description: All users.
      type: int
      sample: 1250
    members:
      description: Users whose C(userType) is C(Member).
      type: int
      sample: 1200
    guests:
      description: Users whose C(userType) is C(Guest).
      type: int
      sample: 50
mailbox_counts:
  description: Exchange Online mailboxes.
  returned: when O(include) contains V(mailboxes)
  type: dict
  contains:
    total:
      description: All mailboxes.
      type: int
      sample: 1180
    by_type:
      description: Mailboxes per C(RecipientTypeDetails), such as C(UserMailbox) and C(SharedMailbox).
      type: dict
      sample: {"UserMailbox": 1150, "SharedMailbox": 25, "RoomMailbox": 5}
"""

from ansible_collections.m365.admin.plugins.module_utils._errors import NotFoundError
from ansible_collections.m365.admin.plugins.module_utils._graph import BatchRequest, raise_for_status
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module

ORGANIZATION_PERMISSION = "Organization.Read.All (or Directory.Read.All)"
COUNT_HEADERS = {"ConsistencyLevel": "eventual"}
USER_COUNT_QUERIES = (
    ("total", "/users?$count=true&$top=1&$select=id"),
    ("members", "/users?$count=true&$top=1&$select=id&$filter=userType%20eq%20'Member'"),
    ("guests", "/users?$count=true&$top=1&$select=id&$filter=userType%20eq%20'Guest'"),
)


async def read_organization(graph):
    body = await graph.get("/organization", params={"$select": "id,displayName,tenantType,verifiedDomains"},
                           operation="Read the organization", permission=ORGANIZATION_PERMISSION)
    organizations = (body or {}).get("value") or []
    if not organizations:
        # Graph answered, but with no organization: not an HTTP error to fabricate, a missing object.
        raise NotFoundError("no organization returned", operation="Read the organization")
    org = organizations[0]
    domains = [dict(name=d.get("name"), is_default=bool(d.get("isDefault")), is_initial=bool(d.get("isInitial")),
                    type=d.get("type")) for d in org.get("verifiedDomains") or []]
    result = dict(
        tenant_id=org.get("id"),
        display_name=org.get("displayName"),
        verified_domains=domains,
        default_domain=next((d["name"] for d in domains if d["is_default"]), None),
        initial_domain=next((d["name"] for d in domains if d["is_initial"]), None),
    )
    if org.get("tenantType"):
        result["tenant_type"] = org["tenantType"]
    return result


async def count_users(graph):
    requests = [BatchRequest("GET", url, headers=COUNT_HEADERS) for _name, url in USER_COUNT_QUERIES]
    results = await graph.batch(requests, operation="Count users")
    counts = {}
    for (name, _url), answer in zip(USER_COUNT_QUERIES, results):
        if not answer.ok:
            raise_for_status(answer.status, answer.body, "Count users", target=name, permission="User.Read.All")
        counts[name] = int((answer.body or {}).get("@odata.count", 0))
    return counts


async def count_mailboxes(exchange):
    output = await exchange.invoke("Get-Mailbox", {"ResultSize": "Unlimited"}, select=["RecipientTypeDetails"],
                                   target="all mailboxes")
    by_type = {}
    for mailbox in output.values:
        kind = mailbox.get("RecipientTypeDetails") or "Unknown"
        by_type[kind] = by_type.get(kind, 0) + 1
    return dict(total=len(output.values), by_type=by_type)


async def gather(module, connection):
    graph = connection.graph()
    result = dict(changed=False)
    result.update(await read_organization(graph))
    settings = connection.settings
    result["cloud"] = settings.cloud
    result["endpoints"] = dict(graph_url=settings.graph_url, exchange_url=settings.exchange_url,
                               authority_url=settings.authority_url)
    include = module.params["include"]
    if "users" in include:
        result["user_counts"] = await count_users(graph)
    if "mailboxes" in include:
        result["mailbox_counts"] = await count_mailboxes(await connection.exchange())
    return result


def main():
    module = M365Module(
        argument_spec=dict(
            include=dict(type="list", elements="str", choices=["users", "mailboxes"], default=["users", "mailboxes"]),
        ),
        supports_check_mode=True,
    )
    module.run(gather)


if __name__ == "__main__":
    main()
