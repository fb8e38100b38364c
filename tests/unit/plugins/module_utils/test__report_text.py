# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.m365.admin.plugins.module_utils import _report
from ansible_collections.m365.admin.plugins.module_utils._report_text import md, render_junit, render_markdown
from ansible_collections.m365.admin.tests.unit.report_samples import (
    TENANT,
    bulk,
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
