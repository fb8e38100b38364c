# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _report
from ansible_collections.m365.admin.plugins.module_utils._report_text import (
    CSV_COLUMNS,
    md,
    render_csv,
    render_junit,
    render_markdown,
)
from ansible_collections.m365.admin.tests.unit.report_samples import (
    TENANT,
    bulk,
    mailbox_changes,
    sample_controls,
    sample_usage,
    user_changes,
)

TIME = "2026-05-01T10:20:30Z"
EVIL = '<script>alert("x")</script>|*_`@contoso.com'


def build(controls, mode="audit"):
    return _report.build_report(TENANT, mode, controls, TIME)


def cases(root):
    return dict((case.get("name").split(":")[0], case) for case in root.iter("testcase"))


def test_junit_has_a_suite_per_category_and_a_case_per_control():
    root = ET.fromstring(render_junit(build(sample_controls())))
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == ["guardrails", "mfa", "mail_protocols"]
    assert [suite.get("id") for suite in suites] == ["0", "1", "2"]
    guardrails = suites[0]
    assert (guardrails.get("tests"), guardrails.get("failures"), guardrails.get("errors"), guardrails.get("skipped")) == \
        ("3", "1", "0", "1")
    assert guardrails.get("timestamp") == "2026-05-01T10:20:30" and guardrails.get("hostname") == "contoso.com"
    properties = dict((prop.get("name"), prop.get("value")) for prop in guardrails.find("properties"))
    assert properties["tenant_id"] == TENANT["tenant_id"] and properties["mode"] == "audit"
    by_id = cases(root)
    assert by_id["mfa.per_user"].get("classname") == "mfa"
    assert by_id["mfa.per_user"].get("name") == "mfa.per_user: Per-user MFA enforced"


def test_junit_outcomes_per_status():
    by_id = cases(ET.fromstring(render_junit(build(sample_controls()))))
    failure = by_id["mfa.per_user"].find("failure")
    assert failure.get("message") == "50 targets drift" and failure.get("type") == "drift"
    assert failure.text.splitlines()[0] == "user00000@contoso.com: disabled \u2192 enforced"
    assert by_id["guardrails.ca.block_legacy_auth"].find("failure").get("message") == "1 target drifts"
    error = by_id["mail.smtp_auth_org"].find("error")
    assert "403 Forbidden" in error.get("message") and "403 Forbidden" in error.text
    assert by_id["guardrails.ca.require_mfa_admins"].find("skipped").get("message") == "Conditional result was False"
    assert list(by_id["mail.protocols.exception.scanners"]) == []


def test_junit_failure_lists_the_first_changes_only():
    root = ET.fromstring(render_junit(build([dict(id="m", title="t", category="mfa",
                                                  result=bulk(user_changes(20000), 20000))])))
    lines = root.find("testsuite/testcase/failure").text.splitlines()
    assert len(lines) == 51
    assert lines[-1] == "... and 19950 more changes (report.json lists them all)"
    assert ET.fromstring(render_junit(build([dict(id="m", result=bulk(user_changes(20), 20))]), max_items=5)) \
        .find("testsuite/testcase/failure").text.count("\n") == 5


def test_junit_in_enforce_mode_passes_remediated_controls_and_lists_them_in_system_out():
    root = ET.fromstring(render_junit(build(sample_controls(users=2), mode="enforce")))
    mfa = cases(root)["mfa.per_user"]
    assert list(mfa) == []
    out = root.find("testsuite[@name='mfa']/system-out").text
    assert "mfa.per_user: remediated" in out and "user00001@contoso.com: disabled \u2192 enforced" in out


def test_junit_without_controls_is_one_empty_suite():
    root = ET.fromstring(render_junit(build([])))
    suites = root.findall("testsuite")
    assert len(suites) == 1 and suites[0].get("tests") == "0" and suites[0].findall("testcase") == []


def test_junit_escapes_and_drops_characters_xml_cannot_carry():
    result = bulk([dict(user_principal_name=EVIL + "\x00\x1b", before="a", after="b")], 1)
    text = render_junit(build([dict(id="x<y>&\"z", title="t\x07", category="a&b", result=result)]))
    root = ET.fromstring(text)
    case = root.find("testsuite/testcase")
    assert case.get("name") == 'x<y>&"z: t\ufffd' and case.get("classname") == "a&b"
    assert case.find("failure").text.startswith(EVIL + "\ufffd\ufffd")
    assert "<script>" not in text


def test_markdown_summary_table_and_capped_lists():
    text = render_markdown(build(sample_controls()), max_items=10)
    lines = text.splitlines()
    assert lines[0] == "# Microsoft 365 baseline audit: Contoso Pharmaceuticals"
    assert "| Status | Control | Category | Targets | Compliant | Drift | Failed |" in lines
    assert "| \u26a0\ufe0f drift | mfa.per\\_user: Per-user MFA enforced | MFA | 1250 | 1200 | 50 | 0 |" in lines
    assert "- user00009@contoso.com: disabled \u2192 enforced" in lines
    assert "- user00010@contoso.com: disabled \u2192 enforced" not in lines
    assert "_Showing the first 10 of 50 changes; report.json lists every one._" in lines
    assert "> Get-TransportConfig on organization failed: Exchange Online answered 403 Forbidden (the app has no " \
           "Exchange role)" in lines
    assert "## Skipped" in lines
    assert "- Targets: 2,440 checked, 2,307 compliant, 132 would change, 1 failed" in lines


def test_markdown_in_enforce_mode_says_remediated():
    text = render_markdown(build(sample_controls(), mode="enforce"))
    assert text.startswith("# Microsoft 365 baseline enforce: Contoso Pharmaceuticals")
    assert "| Status | Control | Category | Targets | Compliant | Remediated | Failed |" in text
    assert "## Remediated" in text and "50 users changed:" in text


def test_markdown_escapes_html_and_table_breaking_characters():
    text = render_markdown(build([dict(id="x", title="t", result=bulk([dict(user_principal_name=EVIL, before="a",
                                                                            after="b")], 1))]))
    assert "<script>" not in text
    assert "&lt;script&gt;alert(\"x\")&lt;/script&gt;\\|\\*\\_\\`@contoso.com" in text
    assert md("a\nb  c") == "a b c"


def test_markdown_without_controls():
    text = render_markdown(build([]))
    assert "No controls were reported." in text and "| Status |" not in text


def test_markdown_impact_section():
    report = _report.build_report(TENANT, "audit", sample_controls(), TIME, usage=sample_usage())
    text = render_markdown(report)
    assert "## Impact: who would be cut off" in text
    assert ("**4 people would be cut off from a protocol they used in the window: 3 mailboxes would lose one, and "
            "1 user's per-user MFA would become enforced.**") in text
    assert "### Exchange ActiveSync (activesync off): 2 mailboxes used it and would lose it" in text
    assert "- mailbox00001@contoso.com: 40 sign-ins, last 2026-04-30 08:00:00 UTC (Ios / Apple-iPhone15C2/2104.187)" \
        in text
    assert "### POP3 (pop off): no mailbox that changes used it" in text
    assert "### MAPI Over HTTP / Outlook Anywhere (RPC over HTTP) (mapi off): usage not read" in text
    assert "### Per-user MFA would become enforced for 1 user still signing in with legacy protocols" in text
    assert "user00003@contoso.com: IMAP4" in text
    # The impact comes before the drift lists, so that it is read first.
    assert text.index("## Impact") < text.index("## Drift")
    enforce = render_markdown(_report.build_report(TENANT, "enforce", sample_controls(), TIME, usage=sample_usage()))
    assert "## Impact: who was cut off" in enforce and "used it and lost it" in enforce
    failed = render_markdown(_report.build_report(TENANT, "audit", sample_controls(), TIME,
                                                  usage=dict(failed=True, msg="no AuditLog.Read.All")))
    assert "Protocol usage could not be read: no AuditLog.Read.All" in failed
    assert "## Impact" not in render_markdown(build(sample_controls()))


# Frameworks and findings.csv.

CIS_SMTP = dict(framework="CIS M365 v4.0.0", id="6.5.4")
SCUBA_SMTP = dict(framework="CISA SCuBA", id="MS.EXO.5.1v1")


def with_frameworks(controls):
    for control in controls:
        if control["id"] == "mail.smtp_auth_org":
            control["frameworks"] = [CIS_SMTP, SCUBA_SMTP]
    return controls


def test_a_controls_frameworks_are_shown_in_junit_and_markdown():
    report = build(with_frameworks(sample_controls()))
    assert [c["frameworks"] for c in report["controls"] if c["id"] == "mail.smtp_auth_org"] == [[CIS_SMTP, SCUBA_SMTP]]
    names = [case.get("name") for case in ET.fromstring(render_junit(report)).iter("testcase")]
    assert "mail.smtp_auth_org: SMTP AUTH disabled for the organization [CIS M365 v4.0.0 6.5.4, CISA SCuBA " \
           "MS.EXO.5.1v1]" in names
    assert "mfa.per_user: Per-user MFA enforced" in names
    markdown = render_markdown(report)
    assert "SMTP AUTH disabled for the organization (CIS M365 v4.0.0 6.5.4, CISA SCuBA MS.EXO.5.1v1)" in markdown


def test_a_frameworks_entry_without_an_id_is_refused():
    controls = sample_controls()
    controls[0]["frameworks"] = [dict(framework="CIS M365 v4.0.0")]
    with pytest.raises(ValueError, match="guardrails.security_defaults: each frameworks entry needs a framework and an id"):
        build(controls)


def csv_rows(report):
    return list(csv.DictReader(io.StringIO(render_csv(report))))


def test_csv_has_a_row_per_changed_setting_failure_and_failed_control():
    report = build(with_frameworks(sample_controls(users=3, mailboxes=2)))
    rows = csv_rows(report)
    assert list(rows[0]) == list(CSV_COLUMNS)
    by_control = {}
    for row in rows:
        by_control.setdefault(row["control_id"], []).append(row)
    # Three users, one setting each; two mailboxes, one row per setting that changes.
    assert [(r["finding"], r["target"], r["before"], r["after"]) for r in by_control["mfa.per_user"]] == [
        ("drift", "user%05d@contoso.com" % i, "disabled", "enforced") for i in range(3)]
    mailbox_settings = sum(len(_report.value_changes(c)) for c in report["controls"][4]["changes"])
    assert len(by_control["mail.protocols.default"]) == mailbox_settings >= 2
    assert all(r["setting"] for r in by_control["mail.protocols.default"])
    # The failed control has no target: one row with its message and its frameworks.
    (smtp,) = by_control["mail.smtp_auth_org"]
    assert (smtp["finding"], smtp["control_status"], smtp["frameworks"]) == (
        "error", "error", "CIS M365 v4.0.0 6.5.4, CISA SCuBA MS.EXO.5.1v1")
    assert "403 Forbidden" in smtp["detail"]
    # Compliant and skipped controls have no finding.
    assert "mail.protocols.exception.scanners" not in by_control and "guardrails.ca.require_mfa_admins" not in by_control
    assert set(r["tenant"] for r in rows) == {_report.tenant_label(report)} and set(r["mode"] for r in rows) == {"audit"}


def test_csv_lists_every_finding_whatever_max_items_says():
    report = build(sample_controls(users=1500, mailboxes=0))
    assert len([r for r in csv_rows(report) if r["control_id"] == "mfa.per_user"]) == 1500


def test_csv_rows_of_an_enforcing_run_are_remediations_and_failures_keep_their_status():
    failures = [dict(mailbox="gone@contoso.com", status=404, error="ManagementObjectNotFoundException: not found")]
    controls = [dict(id="mail.protocols.default", title="Default", category="mail_protocols",
                     result=bulk(mailbox_changes(1), 10, failures=failures, failed=True))]
    rows = csv_rows(build(controls, mode="enforce"))
    assert set(r["finding"] for r in rows) == {"remediated", "failure"}
    (failure,) = [r for r in rows if r["finding"] == "failure"]
    assert failure["target"] == "gone@contoso.com" and failure["detail"].startswith("[404] ManagementObject")


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_text():
    failures = [dict(mailbox="=HYPERLINK(\"http://x\")@contoso.com", status=400, error="-1+1 @evil")]
    controls = [dict(id="mail.protocols.default", title="+cmd", category="mail_protocols",
                     result=bulk([], 10, failures=failures, failed=True))]
    (row,) = [r for r in csv_rows(build(controls)) if r["finding"] == "failure"]
    assert row["target"].startswith("'=") and row["control_title"] == "'+cmd"
    assert row["detail"] == "[400] -1+1 @evil"  # starts with "[": not a formula
