#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: baseline_report
short_description: Write the tenant baseline's audit or enforcement report (JSON, JUnit, Markdown, HTML)
version_added: 0.1.0
description:
  - Turns the registered results of the baseline's tasks, one per control, into report files for one tenant
    in O(dest) - C(report.json), C(junit.xml), C(report.md) and C(report.html).
  - Each control gets a status. V(error) when its task failed, V(skipped) when it was skipped. Otherwise, in an
    audit (O(mode=audit), the baseline ran in check mode), V(drift) when the task would change something, and
    in an enforcing run (O(mode=enforce)), V(remediated) when it changed something. A control whose task
    changes nothing is V(compliant).
  - C(report.json) holds every control with its status, counts, and all its changes (would-be changes in an
    audit) and failures, with stable keys, for machines. It never holds the C(invocation) or C(module_args) of
    a result.
  - C(junit.xml) follows the Apache Ant JUnit schema that CI systems read. It has one C(testsuite) per
    category and one C(testcase) per control. A drifting control is a C(failure) that lists its first changes,
    an errored one an C(error), and a skipped one C(skipped). Compliant and remediated controls pass.
  - With O(usage), the report gains an impact section, C(impact) in C(report.json) - who the changes would
    cut off (see O(usage)).
  - C(report.md) is a summary for a pull request. C(report.html) is one self-contained page (inline CSS and SVG,
    no script, no external asset) with summary cards, a chart of compliance per control, a chart of mailbox
    changes per mail protocol, and tables of the users and mailboxes that do not comply.
  - Runs on the controller and calls no Microsoft service, so it needs no connection options. Run it with
    C(delegate_to=localhost) or C(connection=local).
  - The files are written in check mode too, because a check-mode run is the audit the report is for. The
    baseline role's report task also sets C(check_mode=false) so that the intent is explicit.
author:
  - m365.admin maintainers (@m365-admin)
options:
  dest:
    description:
      - The report folder for one tenant. It is created if missing. Existing report files in it are replaced.
      - With several tenants, give each its own folder, for example C(reports/{{ inventory_hostname }}).
    type: path
    required: true
  formats:
    description:
      - The files to write. V(json) is C(report.json), V(junit) is C(junit.xml), V(markdown) is C(report.md)
        and V(html) is C(report.html).
    type: list
    elements: str
    choices: [json, junit, markdown, html]
    default: [json, junit, markdown, html]
  tenant:
    description:
      - The tenant the report is about. The registered result of M(m365.admin.tenant_info) can be given
        whole, and only the keys below are read.
      - C(tenant_id) is the tenant's GUID, C(display_name) the organization's name, and C(default_domain) its
        default domain (C(initial_domain) is used when it is missing).
      - C(name) is the inventory host name of the tenant, optional.
    type: dict
    default: {}
  mode:
    description:
      - V(audit) means the baseline ran in check mode, so its changes are would-be changes, that is drift.
      - V(enforce) means a real run, so its changes were made, that is remediation.
    type: str
    required: true
    choices: [audit, enforce]
  controls:
    description:
      - The controls of the baseline, each with the registered result of the task that checks or enforces it.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description:
          - A unique, stable identifier, such as C(mfa.per_user) or C(mail.protocols.exception.scanners).
        type: str
        required: true
      title:
        description: A short title for people. Defaults to O(controls[].id).
        type: str
      category:
        description:
          - The group the control belongs to, such as V(guardrails), V(mfa) or V(mail_protocols). It becomes the
            JUnit test suite and class name.
        type: str
        default: other
      description:
        description: The desired state in words, shown beside the control.
        type: str
        default: ""
      result:
        description:
          - The registered result of the control's task. This can be a bulk module's result (with C(summary),
            C(changes) and C(failures)), a single-object module's result (with C(changed) and C(diff), counted
            as one target), a failed result (C(failed) and C(msg)), a skipped result, or the result of a looped
            task (its C(results) are added up).
          - An empty result is reported as an error, because it proves nothing about the tenant.
        type: dict
        required: true
  usage:
    description:
      - The registered result of M(m365.admin.protocol_usage_info), to add an impact section to every format
        but JUnit. It lists, for each protocol the controls turn off (IMAP, POP, ActiveSync, MAPI, EWS, SMTP
        AUTH), the mailboxes among the changes whose users signed in with that protocol successfully in the
        window, and the users whose per-user MFA becomes V(enforced) while they still sign in with legacy
        protocols, which then fail for want of MFA. Protocols kept on by the usage guard of
        M(m365.admin.mailbox_protocols) are listed too.
      - A failed result (no C(AuditLog.Read.All) and C(Directory.Read.All), no Entra ID P1 licence) gives an
        impact section that says why usage could not be read. A result refused for the cloud (GCC High, DoD and
        21Vianet have no sign-in logs API) gives one that says usage is not available there, C(reason=cloud) in
        C(report.json), as a note rather than an error. Leave the option unset for no impact section.
    type: dict
    default: {}
  fail_on_drift:
    description:
      - With O(mode=audit), fail the task after every file is written when any control drifts or errored,
        with a message naming those controls and the report folder. Use it as a CI gate.
      - It is ignored with O(mode=enforce).
    type: bool
    default: false
  file_mode:
    description:
      - The permissions of every report file written, as an octal string. The reports name users, mailboxes and
        their sign-ins, so by default only the owner may read them.
      - Give for example V(0640) to let the owner's group read them (a CI job's artifact upload that runs as
        another user of the same group).
    type: str
    default: "0600"
    version_added: 0.2.0
  dir_mode:
    description:
      - The permissions of the report folder, as an octal string, when this task creates it (an existing folder
        keeps its own). The folders above it that are created too get the umask's.
    type: str
    default: "0700"
    version_added: 0.2.0
  max_items:
    description:
      - The most changes, and the most failures, listed per control in C(report.md) and C(report.html). When a
        control has more, the page says how many are shown out of how many. C(report.json) always lists all of
        them. C(junit.xml) lists at most 50 per control.
      - Lower it, to 50 for example, when C(report.md) is posted as a pull request comment.
    type: int
    default: 1000
notes:
  - The module's own RV(changed) is whether any report file's content changed. The time of the report is not
    taken into account, so a re-run that finds the same state returns C(changed=false), although the files are
    rewritten with the new time.
  - Reports list user principal names and mailbox addresses. Keep the report folder where such data may be. The
    files are written readable by their owner only unless O(file_mode) says otherwise.
  - The module is not in the C(m365) action group. It takes none of the connection options, and C(module_defaults)
    for C(group/m365.admin.m365) hands every member of the group those options, which this module would refuse.
seealso:
  - module: m365.admin.user_mfa
  - module: m365.admin.mailbox_protocols
  - name: Apache Ant JUnit XML schema
    description: The schema junit.xml follows.
    link: https://github.com/windyroad/JUnit-Schema
attributes:
  check_mode:
    description: Check mode does not stop the files from being written, because the audit is a check-mode run.
    support: full
  diff_mode:
    description: No diff is returned; the report files are the record.
    support: none
"""

EXAMPLES = r"""
- name: Audit MFA in check mode
  m365.admin.user_mfa:
    state: enforced
    all_users: true
  check_mode: true
  register: mfa_result

- name: Write the report, and fail the CI job when the tenant drifts
  m365.admin.baseline_report:
    dest: "reports/{{ inventory_hostname }}"
    tenant: "{{ tenant_facts }}"
    mode: "{{ 'audit' if ansible_check_mode else 'enforce' }}"
    fail_on_drift: "{{ ansible_check_mode }}"
    controls:
      - id: mfa.per_user
        title: Per-user MFA enforced
        category: mfa
        description: Every member user is enforced, except the break-glass accounts.
        result: "{{ mfa_result }}"
  delegate_to: localhost
  check_mode: false
"""

RETURN = r"""
changed:
  description: Whether any report file's content changed, the report's time aside.
  returned: always
  type: bool
files:
  description: The files written, by format.
  returned: always
  type: dict
  sample: {"json": "reports/contoso/report.json", "junit": "reports/contoso/junit.xml",
           "markdown": "reports/contoso/report.md", "html": "reports/contoso/report.html"}
summary:
  description: Counts over every control.
  returned: always
  type: dict
  contains:
    controls:
      description: Controls in total and by status.
      type: dict
      sample: {"total": 7, "compliant": 5, "drift": 1, "remediated": 0, "error": 1, "skipped": 0}
    targets:
      description: Targets (users, mailboxes, plans, policies) over every control, compliant, changed (would be
        changed in an audit) and failed.
      type: dict
      sample: {"total": 2431, "compliant": 2380, "changed": 50, "failed": 1}
    changes:
      description: The number of targets that would change (audit) or changed (enforce).
      type: int
      sample: 50
drift:
  description: Whether any control drifts or errored, so that the tenant may not match the baseline.
  returned: always
  type: bool
impact:
  description:
    - With O(usage), how many people (C(total)) the changes cut off from a protocol they used, how many
      mailboxes lose one (C(mailboxes), and per protocol setting in C(protocols)), and how many users' MFA
      becomes enforced while they use legacy protocols (C(mfa)). C(report.json) lists them all.
  returned: when O(usage) is given
  type: dict
  sample: {"available": true, "total": 16, "mailboxes": 15, "protocols": {"activesync": 14, "imap": 1}, "mfa": 3}
status:
  description: The status of each control, by control id.
  returned: always
  type: dict
  sample: {"mfa.per_user": "drift", "mail.smtp_auth_org": "compliant", "guardrails.security_defaults": "error"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.m365.admin.plugins.module_utils import _report
from ansible_collections.m365.admin.plugins.module_utils._report_html import render_html
from ansible_collections.m365.admin.plugins.module_utils._report_text import render_junit, render_markdown

RENDERERS = {
    "json": lambda report, max_items: _report.render_json(report),
    "junit": render_junit,
    "markdown": render_markdown,
    "html": render_html,
}

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    formats=dict(type="list", elements="str", choices=list(_report.FORMATS), default=list(_report.FORMATS)),
    tenant=dict(type="dict", default={}),
    mode=dict(type="str", required=True, choices=list(_report.MODES)),
    controls=dict(type="list", elements="dict", required=True, options=dict(
        id=dict(type="str", required=True),
        title=dict(type="str"),
        category=dict(type="str", default="other"),
        description=dict(type="str", default=""),
        result=dict(type="dict", required=True),
    )),
    fail_on_drift=dict(type="bool", default=False),
    max_items=dict(type="int", default=1000),
    usage=dict(type="dict", default={}),
    file_mode=dict(type="str", default="0600"),
    dir_mode=dict(type="str", default="0700"),
)


def drift_message(report, dest):
    troubled = ["%s (%s)" % (control["id"], control["status"]) for control in report["controls"]
                if control["status"] in ("drift", "error")]
    return ("The tenant %s drifts from the baseline: %d of %d controls drift or failed: %s. The report is in %s"
            % (_report.tenant_label(report), len(troubled), len(report["controls"]), ", ".join(troubled), dest))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    if params["max_items"] < 1:
        module.fail_json(msg="max_items must be 1 or more, got %d" % params["max_items"])
    try:
        file_mode = _report.parse_mode(params["file_mode"], "file_mode")
        dir_mode = _report.parse_mode(params["dir_mode"], "dir_mode")
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        report = _report.build_report(params["tenant"], params["mode"], params["controls"], _report.utc_now(),
                                      usage=params["usage"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    contents = dict((_report.FILE_NAMES[fmt], RENDERERS[fmt](report, params["max_items"]))
                    for fmt in _report.FORMATS if fmt in params["formats"])
    try:
        changed, paths = _report.write_files(params["dest"], contents, report["generated"],
                                             file_mode=file_mode, dir_mode=dir_mode)
    except OSError as exc:
        module.fail_json(msg="Could not write the report into %s: %s" % (params["dest"], exc))
    result = dict(
        # No "dest" key: AnsibleModule would add the folder's owner and mode, and "mode" means audit or enforce here.
        changed=changed, drift=report["drift"], summary=report["summary"],
        files=dict((fmt, paths[_report.FILE_NAMES[fmt]]) for fmt in _report.FORMATS if fmt in params["formats"]),
        status=dict((control["id"], control["status"]) for control in report["controls"]),
        # The controls carry every registered result, possibly tens of thousands of changes: echo only
        # their ids, not a second copy of all of it.
        invocation=dict(module_args=dict(
            dict((key, value) for key, value in params.items() if key not in ("controls", "usage")),
            controls=[dict(id=control["id"], category=control["category"]) for control in params["controls"]])),
    )
    if "impact" in report:
        impact = report["impact"]
        result["impact"] = dict(available=impact["available"], total=impact["total"], mailboxes=impact["mailboxes"],
                                mfa=len(impact["mfa"]),
                                protocols=dict((s["setting"], len(s["mailboxes"])) for s in impact["protocols"]))
    if params["fail_on_drift"] and params["mode"] == "audit" and report["drift"]:
        module.fail_json(msg=drift_message(report, params["dest"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
