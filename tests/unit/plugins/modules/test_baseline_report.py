# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json
import os
from unittest import mock

from ansible_collections.m365.admin.plugins.module_utils import _report
from ansible_collections.m365.admin.plugins.modules import baseline_report
from ansible_collections.m365.admin.tests.unit.m365_helpers import run_module
from ansible_collections.m365.admin.tests.unit.report_samples import SECRET, TENANT, bulk, sample_controls, sample_usage

FILES = ["findings.csv", "junit.xml", "report.html", "report.json", "report.md"]


def run(dest, controls=None, time="2026-05-01T10:20:30Z", **args):
    params = dict(dest=str(dest), tenant=TENANT, mode="audit",
                  controls=sample_controls() if controls is None else controls)
    params.update(args)
    with mock.patch.object(_report, "utc_now", return_value=time):
        return run_module(baseline_report.main, params)


def read(dest, name):
    with open(os.path.join(str(dest), name), encoding="utf-8") as handle:
        return handle.read()


def compliant_controls():
    return [dict(id="mfa.per_user", title="MFA", category="mfa", result=bulk([], 10)),
            dict(id="mail.smtp_auth_org", title="SMTP", category="mail_protocols",
                 result=dict(changed=False, diff=dict(before=dict(smtp_auth="disabled"), after=dict(smtp_auth="disabled"))))]


def test_writes_every_file_and_returns_status_and_summary(tmp_path):
    dest = tmp_path / "reports" / "contoso"
    result, failed = run(dest)
    assert not failed and result["changed"] is True
    assert sorted(os.listdir(str(dest))) == FILES
    assert result["files"] == dict(json=str(dest / "report.json"), junit=str(dest / "junit.xml"),
                                   markdown=str(dest / "report.md"), html=str(dest / "report.html"),
                                   csv=str(dest / "findings.csv"))
    assert result["status"]["mfa.per_user"] == "drift"
    assert result["status"]["mail.smtp_auth_org"] == "error"
    assert result["status"]["guardrails.ca.require_mfa_admins"] == "skipped"
    assert result["status"]["mail.protocols.exception.scanners"] == "compliant"
    assert result["summary"]["controls"] == dict(total=8, compliant=2, drift=4, remediated=0, error=1, skipped=1)
    assert result["summary"]["changes"] == 132
    assert result["drift"] is True
    report = json.loads(read(dest, "report.json"))
    assert report["generated"] == "2026-05-01T10:20:30Z" and report["summary"] == result["summary"]


def test_check_mode_still_writes_the_files(tmp_path):
    result, failed = run(tmp_path, _ansible_check_mode=True)
    assert not failed and result["changed"] is True
    assert sorted(os.listdir(str(tmp_path))) == FILES


def test_a_second_run_with_the_same_findings_is_not_a_change(tmp_path):
    first, _failed = run(tmp_path, time="2026-05-01T10:20:30Z")
    second, _failed = run(tmp_path, time="2026-05-02T08:00:00Z")
    assert first["changed"] is True and second["changed"] is False
    # The files carry the time of the latest run.
    assert json.loads(read(tmp_path, "report.json"))["generated"] == "2026-05-02T08:00:00Z"
    assert 'timestamp="2026-05-02T08:00:00"' in read(tmp_path, "junit.xml")
    third, _failed = run(tmp_path, controls=compliant_controls(), time="2026-05-03T08:00:00Z")
    assert third["changed"] is True


def test_same_time_same_input_is_byte_identical(tmp_path):
    run(tmp_path / "a")
    run(tmp_path / "b")
    for name in FILES:
        assert read(tmp_path / "a", name) == read(tmp_path / "b", name)


def test_fail_on_drift_fails_an_audit_after_writing_every_file(tmp_path):
    dest = tmp_path / "contoso"
    result, failed = run(dest, fail_on_drift=True)
    assert failed
    assert result["msg"].startswith("The tenant Contoso Pharmaceuticals drifts from the baseline: 5 of 8 controls")
    assert "mfa.per_user (drift)" in result["msg"] and "mail.smtp_auth_org (error)" in result["msg"]
    assert "mail.protocols.exception.scanners" not in result["msg"]
    assert str(dest) in result["msg"]
    assert sorted(os.listdir(str(dest))) == FILES
    assert result["status"]["mfa.per_user"] == "drift" and result["changed"] is True


def test_fail_on_drift_passes_a_compliant_audit_and_any_enforcing_run(tmp_path):
    result, failed = run(tmp_path / "a", controls=compliant_controls(), fail_on_drift=True)
    assert not failed and result["drift"] is False
    result, failed = run(tmp_path / "b", mode="enforce", fail_on_drift=True)
    assert not failed and result["status"]["mfa.per_user"] == "remediated"


def test_secrets_of_the_registered_results_are_never_written_or_returned(tmp_path):
    result, failed = run(tmp_path)
    assert not failed
    for name in FILES:
        assert SECRET not in read(tmp_path, name)
    assert SECRET not in json.dumps(result)


def test_the_result_does_not_echo_the_registered_results(tmp_path):
    result, _failed = run(tmp_path)
    args = result["invocation"]["module_args"]
    assert args["controls"][0] == dict(id="guardrails.security_defaults", category="guardrails")
    assert "user00001@contoso.com" not in json.dumps(args) and "summary" not in json.dumps(args)


def test_formats_select_the_files(tmp_path):
    result, failed = run(tmp_path, formats=["json", "junit"])
    assert not failed and sorted(os.listdir(str(tmp_path))) == ["junit.xml", "report.json"]
    assert sorted(result["files"]) == ["json", "junit"]


def test_max_items_caps_markdown_and_html_but_not_json(tmp_path):
    run(tmp_path, max_items=5)
    assert "Showing the first 5 of 50 changes" in read(tmp_path, "report.md")
    assert "Showing the first 5 of 50 users" in read(tmp_path, "report.html")
    mfa = [c for c in json.loads(read(tmp_path, "report.json"))["controls"] if c["id"] == "mfa.per_user"][0]
    assert len(mfa["changes"]) == 50


def test_bad_input_fails_before_writing(tmp_path):
    dest = tmp_path / "r"
    result, failed = run(dest, controls=[dict(id="a", result={}), dict(id="a", result={})])
    assert failed and "used more than once: a" in result["msg"]
    result, failed = run(dest, max_items=0)
    assert failed and "max_items must be 1 or more" in result["msg"]
    result, failed = run(dest, controls=[dict(title="no id", result={})])
    assert failed and "id" in result["msg"]
    assert not dest.exists()


def test_a_folder_that_cannot_be_written_fails_with_the_reason(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result, failed = run(blocker / "sub")
    assert failed and result["msg"].startswith("Could not write the report into %s" % (blocker / "sub"))


def test_usage_adds_the_impact_to_the_files_and_the_result(tmp_path):
    result, failed = run(tmp_path, usage=sample_usage())
    assert not failed
    assert result["impact"] == dict(available=True, total=4, mailboxes=3, mfa=1,
                                    protocols=dict(imap=1, pop=0, activesync=2, mapi=0, ews=0, smtp_auth=0))
    report = json.loads(read(tmp_path, "report.json"))
    assert report["impact"]["protocols"][0]["setting"] == "imap"
    assert "## Impact: who would be cut off" in read(tmp_path, "report.md")
    assert "Impact: who would be cut off" in read(tmp_path, "report.html")
    assert SECRET not in read(tmp_path, "report.json")
    # The usage result is not echoed back in the invocation.
    assert "usage" not in result["invocation"]["module_args"]
    without, failed = run(tmp_path / "plain")
    assert not failed and "impact" not in without and "impact" not in read(tmp_path / "plain", "report.json")
