# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import re
from html.parser import HTMLParser

from ansible_collections.m365.admin.plugins.module_utils import _report
from ansible_collections.m365.admin.plugins.module_utils._report_html import percent, render_html
from ansible_collections.m365.admin.tests.unit.report_samples import (
    TENANT,
    bulk,
    mailbox_changes,
    sample_controls,
    sample_usage,
    user_changes,
)

TIME = "2026-05-01T10:20:30Z"
EVIL = '<script>alert("x")</script>"onmouseover="alert(1)@contoso.com'


def build(controls, mode="audit", tenant=None):
    return _report.build_report(tenant or TENANT, mode, controls, TIME)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(page):
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


def test_the_page_is_self_contained():
    page = render_html(build(sample_controls()))
    tags = parse(page).tags
    assert page.startswith("<!DOCTYPE html>")
    names = set(tag for tag, _attrs in tags)
    assert "script" not in names and "link" not in names and "img" not in names and "iframe" not in names
    assert not [attrs for _tag, attrs in tags if "src" in attrs or "href" in attrs]
    assert "url(" not in page and "@import" not in page
    assert len([tag for tag, _attrs in tags if tag == "svg"]) >= 3


def test_every_value_is_escaped():
    result = bulk([dict(user_principal_name=EVIL, id=EVIL, before=EVIL, after="enforced")], 2)
    failures = [dict(user_principal_name=EVIL, status=EVIL, error=EVIL)]
    errored = bulk([], 1, failures=failures, failed=True, msg=EVIL)
    tenant = dict(TENANT, display_name=EVIL, name=EVIL)
    page = render_html(build([dict(id=EVIL, title=EVIL, category=EVIL, description=EVIL, result=result),
                              dict(id="e", title="t", result=errored),
                              dict(id="m", result=bulk([dict(mailbox=EVIL, before={EVIL: True}, after={EVIL: False})],
                                                       1))], tenant=tenant))
    assert "<script" not in page
    assert "onmouseover=" not in page.replace("&quot;onmouseover=&quot;", "")
    parsed = parse(page)
    assert not [attrs for _tag, attrs in parsed.tags if any(name.startswith("on") for name in attrs)]
    assert EVIL in "".join(parsed.text)


def test_charts_show_every_control_and_every_protocol():
    page = render_html(build(sample_controls()))
    for control_id in ("mfa.per_user", "mail.protocols.default", "mail.smtp_auth_org", "guardrails.ca.require_mfa_admins"):
        assert ">%s</text>" % control_id in page
    for name in ("IMAP", "POP", "Exchange ActiveSync", "MAPI (Outlook for Windows)", "Exchange Web Services",
                 "SMTP AUTH"):
        assert ">%s</text>" % re.escape(name).replace("\\", "") in page
    assert "<title>Compliant: 1,200</title>" in page and "<title>Drift: 50</title>" in page
    assert ">96%</tspan>" in page


def test_tables_list_users_and_mailboxes_with_before_and_after():
    page = render_html(build(sample_controls()))
    assert "<td>user00049@contoso.com</td>" in page
    assert "<td>mailbox00001@contoso.com</td>" in page
    assert '<b>smtp_auth</b> <span class="from">enabled</span> \u2192 <span class="to">inherit</span>' in page
    assert "50 users would change." in page and "80 mailboxes would change." in page
    assert "Get-TransportConfig on organization failed" in page
    assert "Conditional result was False" in page


def test_long_lists_are_capped_and_say_so():
    controls = [dict(id="mfa", title="MFA", category="mfa", result=bulk(user_changes(20000), 25000)),
                dict(id="mail", title="Mail", category="mail_protocols", result=bulk(mailbox_changes(20000), 20000))]
    page = render_html(build(controls), max_items=1000)
    assert page.count("<td>user") == 1000 and page.count("<td>mailbox") == 1000
    assert "Showing the first 1,000 of 20,000 users. report.json lists every one." in page
    assert "Showing the first 1,000 of 20,000 mailboxes." in page
    # The protocol chart counts every mailbox, not only those listed.
    assert "8,000 mailboxes" in page
    assert len(page) < 2000000


def test_no_controls():
    page = render_html(build([]))
    assert "No controls were reported." in page
    assert "No mailbox protocol setting would change." in page
    assert "Nothing would change." in page


def test_enforce_mode_wording():
    page = render_html(build(sample_controls(), mode="enforce"))
    assert "Enforce \u00b7 changes were made" in page
    assert "Users and mailboxes remediated" in page and "50 users changed." in page
    assert "Controls remediated" in page


def test_percent_never_rounds_up_to_all():
    assert percent(999, 1000) == "99%"
    assert percent(1, 1000) == "<1%"
    assert percent(0, 5) == "0%" and percent(5, 5) == "100%"


def test_impact_section_tables_and_escaping():
    usage = sample_usage()
    usage["protocols"]["activesync"]["users"][0]["clients"] = [EVIL]
    page = render_html(_report.build_report(TENANT, "audit", sample_controls(), TIME, usage=usage))
    parsed = parse(page)
    text = " ".join(parsed.text)
    assert "Impact: who would be cut off" in text
    assert "Exchange ActiveSync (activesync off): 2 mailboxes used it and would lose it" in text
    assert "mailbox00001@contoso.com" in text and "user00003@contoso.com" in text
    assert not [tag for tag, attrs in parsed.tags if tag == "script" or "onmouseover" in attrs]
    assert page.index("Impact: who would be cut off") < page.index("<h2>Controls</h2>")
    failed = render_html(_report.build_report(TENANT, "audit", sample_controls(), TIME,
                                              usage=dict(failed=True, msg="no licence")))
    assert "Protocol usage could not be read: no licence" in failed
    assert '<div class="err">Protocol usage could not be read' in failed
    # A cloud without sign-in logs is said as a note, not an error.
    national = render_html(_report.build_report(TENANT, "audit", sample_controls(), TIME,
                                                usage=dict(failed=True, option="cloud", msg="not in cloud=usgov")))
    assert '<div class="note">Protocol usage is not available in this cloud' in national
    assert "not in cloud=usgov" in national
    assert "Impact:" not in render_html(build(sample_controls()))
