# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input catalogue (docs/bad-inputs.md), driven through each module's main().

Each case is a task an administrator could write by mistake. It must fail with a message
that names the option (or the cause), and nothing may be written: cases refused by the
argument checks make no connection at all; cases that need a lookup (a name that does not
exist) may read, never write.
"""
from __future__ import annotations

import os
import re
from unittest import mock

import pytest

from ansible_collections.m365.admin.plugins.modules import (
    baseline_report,
    cas_mailbox_plan,
    conditional_access_policy,
    conditional_access_policy_info,
    mailbox_protocols,
    mailbox_protocols_info,
    security_defaults,
    tenant_info,
    transport_config,
    user_mfa,
    user_mfa_info,
)
from ansible_collections.m365.admin.tests.unit.m365_helpers import (
    FakeExchangeTenant,
    FakeGraphTenant,
    make_mailboxes,
    make_users,
    run_module,
)
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_graph

GUID = "5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c"
MFA = dict(state="enforced")
CAS = dict(imap=False)

# (id, module, task arguments, the option or cause the message must name, text the message must hold,
#  whether the module may connect to read before it fails)
CASES = [
    # Selectors
    ("mfa_no_selector", user_mfa, dict(MFA), "users", "no users selected", False),
    ("mfa_empty_user_name", user_mfa, dict(MFA, users=[" "]), "users", "users contains an empty name", False),
    ("mfa_empty_group_name", user_mfa, dict(MFA, groups=[""]), "groups", "groups contains an empty name", False),
    ("mfa_empty_exclusion", user_mfa, dict(MFA, all_users=True, exclude_users=[""]), "exclude_users",
     "exclude_users contains an empty name", False),
    ("mfa_malformed_upn", user_mfa, dict(MFA, users=["alice@"]), "users",
     "users: 'alice@' is neither a user principal name", False),
    ("mfa_malformed_guid", user_mfa, dict(MFA, users=["5b3c2a10-7d4e-4f6a-9b8c"]), "users",
     "is neither a user principal name (name@domain) nor an object id", False),
    ("mfa_display_name_for_user", user_mfa, dict(MFA, users=["Alice Smith"]), "users",
     "'Alice Smith' is neither", False),
    ("mfa_malformed_excluded_user", user_mfa, dict(MFA, all_users=True, exclude_users=["bob"]), "exclude_users",
     "exclude_users: 'bob' is neither", False),
    ("mfa_unknown_user", user_mfa, dict(MFA, users=["ghost@contoso.com"]), "users", "ghost@contoso.com", True),
    ("mfa_unknown_excluded_user", user_mfa, dict(MFA, all_users=True, exclude_users=["gone@contoso.com"]),
     "exclude_users", "gone@contoso.com", True),
    ("mfa_unknown_group", user_mfa, dict(MFA, groups=["No Such Group"]), "groups", "No Such Group", True),
    ("mfa_unknown_group_id", user_mfa, dict(MFA, groups=[GUID]), "groups", GUID, True),
    # Choices and types
    ("mfa_unknown_state", user_mfa, dict(state="on", all_users=True), "state", "state", False),
    ("mfa_state_missing", user_mfa, dict(all_users=True), "state", "missing required arguments: state", False),
    ("mfa_all_users_not_bool", user_mfa, dict(MFA, all_users="everyone"), "all_users", "all_users", False),
    ("mfa_users_not_list", user_mfa, dict(MFA, users={"a": 1}), "users", "users", False),
    ("mfa_max_changes_negative", user_mfa, dict(MFA, all_users=True, max_changes=-1), "max_changes",
     "max_changes must be 0 or more", False),
    ("mfa_max_changes_not_int", user_mfa, dict(MFA, all_users=True, max_changes="many"), "max_changes",
     "max_changes", False),
    ("mfa_missing_choice", user_mfa, dict(MFA, all_users=True, missing="skip"), "missing", "missing", False),
    ("mfa_unknown_option", user_mfa, dict(MFA, all_users=True, userz=["a@contoso.com"]), "userz",
     "Unsupported parameters", False),
    ("mfa_info_malformed_user", user_mfa_info, dict(users=["not a upn"]), "users", "'not a upn' is neither", False),
    # Mail protocols
    ("cas_no_setting", mailbox_protocols, dict(all_mailboxes=True), "imap", "no setting given", False),
    ("cas_no_selector", mailbox_protocols, dict(CAS), "mailboxes", "no mailboxes selected", False),
    ("cas_unknown_protocol", mailbox_protocols, dict(CAS, all_mailboxes=True, imap4=False), "imap4",
     "Unsupported parameters", False),
    ("cas_smtp_auth_bad_value", mailbox_protocols, dict(all_mailboxes=True, smtp_auth="off"), "smtp_auth",
     "smtp_auth", False),
    ("cas_protocol_not_bool", mailbox_protocols, dict(all_mailboxes=True, pop="sometimes"), "pop", "pop", False),
    ("cas_empty_mailbox_name", mailbox_protocols, dict(CAS, mailboxes=[""]), "mailboxes",
     "mailboxes contains an empty name", False),
    ("cas_unknown_recipient_type", mailbox_protocols, dict(CAS, all_mailboxes=True, recipient_types=["Robot"]),
     "recipient_types", "recipient_types", False),
    ("cas_empty_recipient_types", mailbox_protocols, dict(CAS, all_mailboxes=True, recipient_types=[]),
     "recipient_types", "recipient_types must name at least one", False),
    ("cas_unknown_mailbox", mailbox_protocols, dict(CAS, mailboxes=["nobody@contoso.com"]), "mailboxes",
     "nobody@contoso.com", True),
    ("cas_unknown_excluded_user", mailbox_protocols, dict(CAS, all_mailboxes=True, exclude_users=["x@contoso.com"]),
     "exclude_users", "x@contoso.com", True),
    ("cas_max_changes_negative", mailbox_protocols, dict(CAS, all_mailboxes=True, max_changes=-5), "max_changes",
     "max_changes must be 0 or more", False),
    ("cas_info_empty_selector", mailbox_protocols_info, dict(mailboxes=[""]), "mailboxes",
     "mailboxes contains an empty name", False),
    # CAS mailbox plans, transport config
    ("plan_no_selector", cas_mailbox_plan, dict(imap=False), "plans", "no plans selected", False),
    ("plan_no_setting", cas_mailbox_plan, dict(all_plans=True), "imap", "no setting given", False),
    ("plan_mailbox_only_setting", cas_mailbox_plan, dict(all_plans=True, smtp_auth="disabled"), "smtp_auth",
     "smtp_auth", False),
    ("transport_bad_choice", transport_config, dict(smtp_auth="off"), "smtp_auth", "smtp_auth", False),
    ("security_defaults_not_bool", security_defaults, dict(enabled="maybe"), "enabled", "enabled", False),
    # Conditional Access
    ("ca_no_template_nor_conditions", conditional_access_policy, dict(display_name="X"), "template",
     "any of the following are missing: template, conditions", False),
    ("ca_template_and_conditions", conditional_access_policy,
     dict(display_name="X", template="require_mfa", conditions={}), "conditions", "mutually exclusive", False),
    ("ca_unknown_template", conditional_access_policy, dict(display_name="X", template="require_everything"),
     "template", "template", False),
    ("ca_empty_display_name", conditional_access_policy, dict(display_name=" ", template="require_mfa"),
     "display_name", "display_name must not be empty", False),
    ("ca_unknown_policy_state", conditional_access_policy,
     dict(display_name="X", template="require_mfa", policy_state="on"), "policy_state", "policy_state", False),
    ("ca_all_not_alone", conditional_access_policy,
     dict(display_name="X", template="require_mfa", include_users=["All", "alice@contoso.com"]), "include_users",
     "'All' stands alone", False),
    ("ca_exclude_name_not_upn", conditional_access_policy,
     dict(display_name="X", template="require_mfa", exclude_users=["Alice Smith"]), "exclude_users",
     "'Alice Smith' is neither", False),
    ("ca_conditions_snake_case", conditional_access_policy,
     dict(display_name="X", conditions={"client_app_types": ["all"]}, grant_controls={}), "conditions",
     "must set clientAppTypes", False),
    ("ca_conditions_without_grant", conditional_access_policy,
     dict(display_name="X", conditions={"clientAppTypes": ["all"]}), "grant_controls", "grant_controls", False),
    ("ca_info_unknown_option", conditional_access_policy_info, dict(name="X"), "name", "Unsupported parameters",
     False),
    ("cas_malformed_excluded_user", mailbox_protocols, dict(CAS, all_mailboxes=True, exclude_users=["Bob Smith"]),
     "exclude_users", "exclude_users: 'Bob Smith' is neither", False),
    # Connection options
    ("conn_client_id_not_guid", tenant_info, dict(client_id="my-app"), "client_id",
     "client_id 'my-app' is not a GUID", False),
    ("conn_tenant_malformed", tenant_info, dict(tenant_id="not a tenant!"), "tenant_id", "tenant_id", False),
    ("conn_plain_http", tenant_info, dict(graph_url="http://graph.test"), "graph_url", "https", False),
    ("conn_ca_path_missing", tenant_info, dict(ca_path="/nonexistent/ca.pem"), "ca_path",
     "ca_path /nonexistent/ca.pem does not exist", False),
    ("conn_certificate_missing", tenant_info,
     dict(client_secret=None, auth_method="certificate", client_certificate_path="/nonexistent/app.pfx"),
     "client_certificate_path", "client_certificate_path /nonexistent/app.pfx does not exist", False),
    ("conn_secret_method_without_secret", tenant_info, dict(client_secret=None, auth_method="client_secret"),
     "client_secret", "auth_method=client_secret requires client_secret", False),
    ("conn_timeout_out_of_range", tenant_info, dict(request_timeout=0), "request_timeout",
     "request_timeout must be between 1 and 900", False),
    ("conn_unknown_cloud", tenant_info, dict(cloud="moon"), "cloud", "cloud", False),
    ("info_unknown_include", tenant_info, dict(include=["licences"]), "include", "include", False),
    # Reports
    ("report_duplicate_control_ids", baseline_report,
     dict(mode="audit", controls=[dict(id="a", result={}), dict(id="a", result={})]), "control ids",
     "used more than once: a", False),
    ("report_unknown_format", baseline_report, dict(mode="audit", controls=[], formats=["pdf"]), "formats",
     "formats", False),
    ("report_unknown_mode", baseline_report, dict(mode="fix", controls=[]), "mode", "mode", False),
]


def tenant():
    return FakeGraphTenant(make_users(4)), FakeExchangeTenant(make_mailboxes(3))


def written(made):
    """Write requests the module sent (Graph items other than GET, cmdlets other than Get-)."""
    writes = []
    for connection in made:
        for call in connection.graph_session.calls:
            items = (call["body"] or {}).get("requests") if call["url"].endswith("$batch") else [call]
            writes.extend(item for item in items or [] if item["method"] != "GET")
        for call in connection.exchange_session.calls:
            bodies = [item["body"] for item in (call["body"] or {}).get("requests", [])] or [call["body"]]
            writes.extend(b for b in bodies if not b["CmdletInput"]["CmdletName"].startswith("Get-"))
    return writes


@pytest.mark.parametrize("case_id, module, args, option, text, may_read", CASES, ids=[c[0] for c in CASES])
def test_bad_input(case_id, module, args, option, text, may_read, tmp_path):
    graph, exchange = tenant()
    args = dict(args)
    with mock.patch.dict(os.environ, {}, clear=True):
        if module is baseline_report:  # no connection options
            result, failed = run_module(module.main, dict(args, dest=str(tmp_path / "report")))
            made = []
        else:
            result, failed, made = run_with_graph(module.main, args, graph, exchange)
    assert failed, result
    message = result["msg"]
    assert text in message, message
    assert result.get("option") == option or re.search(r"\b%s\b" % re.escape(option), message), message
    assert written(made) == [] and graph.patches == [] and exchange.sets == []
    if not may_read:
        assert made == [], "%s connected before refusing its input" % case_id
    if module is baseline_report:
        assert not (tmp_path / "report").exists()


def test_the_catalogue_has_at_least_40_cases_with_unique_ids():
    ids = [case[0] for case in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ROW_TEST = re.compile(r"`(?P<path>tests/[^`:]+)(?:::(?P<test>\w+)(?:\[(?P<case>[\w-]+)\])?)?`(?::\s*\"(?P<task>[^\"]+)\")?")


def catalogue_rows():
    with open(os.path.join(ROOT, "docs", "bad-inputs.md")) as handle:
        return [line for line in handle if re.match(r"^\| \d+ \|", line)]


def test_every_row_of_the_catalogue_names_an_existing_test():
    rows = catalogue_rows()
    assert len(rows) >= 40
    named_cases = set()
    for row in rows:
        match = ROW_TEST.search(row.rsplit("|", 2)[1])
        assert match, "row names no test: %s" % row
        path = os.path.join(ROOT, match.group("path"))
        assert os.path.isfile(path), row
        with open(path) as handle:
            text = handle.read()
        if match.group("task"):
            assert "- name: %s\n" % match.group("task") in text, row
        else:
            assert re.search(r"^def %s\(" % re.escape(match.group("test")), text, re.M), row
        if match.group("case"):
            named_cases.add(match.group("case"))
    # Every case of this file is in the table, and every case the table names is here.
    assert named_cases == set(case[0] for case in CASES)
