# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _report
from ansible_collections.m365.admin.tests.unit.report_samples import (
    SECRET,
    TENANT,
    bulk,
    mailbox_changes,
    sample_controls,
    sample_usage,
    single,
    user_changes,
)

TIME = "2026-05-01T10:20:30Z"


def control(result, id="c", **extra):  # pylint: disable=redefined-builtin
    entry = dict(id=id, title="A control", category="mfa", result=result)
    entry.update(extra)
    return entry


def build(controls, mode="audit"):
    return _report.build_report(TENANT, mode, controls, TIME)


@pytest.mark.parametrize("result, mode, status", [
    (dict(changed=False), "audit", "compliant"),
    (dict(changed=True), "audit", "drift"),
    (dict(changed=True), "enforce", "remediated"),
    (dict(changed=False), "enforce", "compliant"),
    (dict(failed=True, changed=True, msg="boom"), "audit", "error"),
    (dict(failed=True, msg="boom"), "enforce", "error"),
    (dict(skipped=True, changed=False), "audit", "skipped"),
    ({}, "audit", "error"),
])
def test_status_of_a_result(result, mode, status):
    assert _report.control_status(result, mode) == status


def test_status_of_a_loop_is_the_worst_of_its_items():
    loop = dict(changed=True, results=[dict(changed=False), dict(changed=True), dict(skipped=True)])
    assert _report.control_status(loop, "audit") == "drift"
    loop["results"].append(dict(failed=True, msg="x"))
    assert _report.control_status(loop, "audit") == "error"
    assert _report.control_status(dict(results=[dict(skipped=True)]), "audit") == "skipped"


def test_counts_come_from_the_bulk_summary():
    entry = build([control(bulk(user_changes(3), 10))])["controls"][0]
    assert entry["counts"] == dict(targets=10, compliant=7, changed=3, failed=0)
    assert [change["user_principal_name"] for change in entry["changes"]] == [
        "user00000@contoso.com", "user00001@contoso.com", "user00002@contoso.com"]
    assert entry["status"] == "drift" and entry["message"] == ""


def test_a_single_object_result_is_one_target_with_its_diff_as_the_change():
    drifting = build([control(single(True, dict(smtp_auth="enabled"), dict(smtp_auth="disabled")), title="SMTP")])
    entry = drifting["controls"][0]
    assert entry["counts"] == dict(targets=1, compliant=0, changed=1, failed=0)
    assert entry["changes"] == [dict(target="SMTP", before=dict(smtp_auth="enabled"), after=dict(smtp_auth="disabled"))]
    compliant = build([control(single(False, dict(enabled=False), dict(enabled=False)))])["controls"][0]
    assert compliant["counts"] == dict(targets=1, compliant=1, changed=0, failed=0) and compliant["changes"] == []


def test_an_error_keeps_its_message_and_partial_counts():
    failures = [dict(mailbox="a@c.com", guid="g", status=500, error="ADTransientException: busy")]
    result = bulk(mailbox_changes(2), 5, failures=failures, failed=True, msg="1 mailboxes failed (2 changes were applied)")
    entry = build([control(result)], mode="enforce")["controls"][0]
    assert entry["status"] == "error"
    assert entry["message"] == "1 mailboxes failed (2 changes were applied)"
    assert entry["counts"] == dict(targets=5, compliant=2, changed=2, failed=1)
    assert entry["failures"] == failures
    single_failed = build([control(dict(failed=True, msg="403 Forbidden"))])["controls"][0]
    assert single_failed["counts"] == dict(targets=1, compliant=0, changed=0, failed=1)


def test_skipped_and_empty_results():
    skipped = build([control(dict(skipped=True, skip_reason="Conditional result was False"))])["controls"][0]
    assert skipped["status"] == "skipped" and skipped["message"] == "Conditional result was False"
    assert skipped["counts"] == dict(targets=0, compliant=0, changed=0, failed=0)
    empty = build([control({})])["controls"][0]
    assert empty["status"] == "error" and "no result" in empty["message"]


def test_a_looped_task_adds_up_its_items():
    loop = dict(changed=True, results=[bulk(mailbox_changes(2), 4), bulk([], 3), dict(skipped=True),
                                       single(True, dict(imap=True), dict(imap=False))])
    entry = build([control(loop)])["controls"][0]
    assert entry["status"] == "drift"
    assert entry["counts"] == dict(targets=8, compliant=5, changed=3, failed=0)
    assert len(entry["changes"]) == 3


def test_missing_names_are_kept():
    result = bulk([], 2)
    result["missing"] = dict(users=["gone@contoso.com"], groups=[])
    assert build([control(result)])["controls"][0]["missing"] == dict(users=["gone@contoso.com"])


def test_summary_counts_every_status_and_target():
    report = build(sample_controls())
    assert report["summary"]["controls"] == dict(total=8, compliant=2, drift=4, remediated=0, error=1, skipped=1)
    assert report["summary"]["targets"] == dict(total=2440, compliant=2307, changed=132, failed=1)
    assert report["summary"]["changes"] == 132
    assert report["drift"] is True


def test_drift_is_false_when_everything_complies_or_was_remediated():
    assert build([control(bulk([], 3))])["drift"] is False
    assert build([control(bulk(user_changes(2), 3))], mode="enforce")["drift"] is False
    assert build([control(dict(failed=True, msg="x"))], mode="enforce")["drift"] is True


def test_nothing_is_copied_from_invocation_or_module_args():
    result = bulk(user_changes(1), 2)
    result["changes"][0]["invocation"] = dict(module_args=dict(client_secret=SECRET))
    result["changes"][0]["module_args"] = dict(password=SECRET)
    result["failures"] = [dict(user_principal_name="x", error="e", invocation=dict(secret=SECRET))]
    controls = sample_controls() + [control(result, id="extra")]
    text = _report.render_json(build(controls))
    assert SECRET not in text
    assert "invocation" not in text and "module_args" not in text


def test_json_is_stable_and_complete():
    report = build(sample_controls(users=3000))
    text = _report.render_json(report)
    assert text == _report.render_json(build(sample_controls(users=3000)))
    data = json.loads(text)
    assert data["schema_version"] == 1 and data["generated"] == TIME and data["mode"] == "audit"
    assert data["tenant"] == dict(name="contoso", tenant_id=TENANT["tenant_id"], display_name="Contoso Pharmaceuticals",
                                  default_domain="contoso.com")
    mfa = [entry for entry in data["controls"] if entry["id"] == "mfa.per_user"][0]
    assert len(mfa["changes"]) == 3000
    assert sorted(mfa) == ["category", "changes", "counts", "description", "failures", "frameworks", "id", "message",
                           "missing", "skipped_changes", "status", "title"]
    assert mfa["frameworks"] == []


def test_tenant_falls_back_to_the_initial_domain():
    fields = _report.tenant_fields(dict(display_name="Fabrikam", initial_domain="fabrikam.onmicrosoft.com"))
    assert fields == dict(name="", tenant_id="", display_name="Fabrikam", default_domain="fabrikam.onmicrosoft.com")
    assert _report.tenant_fields(None)["display_name"] == ""


def test_ids_must_be_unique_and_present():
    with pytest.raises(ValueError, match="used more than once: a"):
        build([control({}, id="a"), control({}, id="b"), control({}, id="a")])
    with pytest.raises(ValueError, match=r"controls\[0\] has no id"):
        build([control({}, id="")])


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of audit, enforce"):
        _report.build_report(TENANT, "fix", [], TIME)


@pytest.mark.parametrize("counts, mode, status, headline", [
    (dict(compliant=3), "audit", "compliant", "All 3 controls comply with the baseline."),
    (dict(compliant=1, drift=2), "audit", "drift", "2 of 3 controls drift from the baseline."),
    (dict(compliant=1, drift=1, error=1), "audit", "error",
     "1 of 3 controls drift from the baseline and 1 could not be checked."),
    (dict(compliant=2, remediated=1), "enforce", "remediated", "1 of 3 controls were remediated."),
    (dict(compliant=2, skipped=1), "audit", "compliant", "2 of 3 controls comply with the baseline."),
    (dict(), "audit", "skipped", "No controls were reported."),
])
def test_verdict(counts, mode, status, headline):
    controls = dict((key, 0) for key in _report.STATUSES)
    controls.update(counts)
    controls["total"] = sum(counts.values())
    report = dict(mode=mode, summary=dict(controls=controls))
    assert _report.verdict(report)[:2] == (status, headline)


def test_change_and_failure_texts():
    assert _report.change_text(dict(user_principal_name="a@c.com", before="disabled", after="enforced")) == \
        "a@c.com: disabled \u2192 enforced"
    assert _report.change_text(dict(mailbox="m@c.com", before=dict(imap=True, smtp_auth="enabled"),
                                    after=dict(imap=False, smtp_auth="inherit"))) == \
        "m@c.com: imap: on \u2192 off, smtp_auth: enabled \u2192 inherit"
    assert _report.change_text(dict(target="CA", before=None, after=dict(state="enabled"))) == \
        "CA: state: (unset) \u2192 enabled"
    assert _report.failure_text(dict(mailbox="m@c.com", status=403, error="denied")) == "m@c.com: [403] denied"
    assert _report.entry_label({}) == "(unnamed)"
    assert _report.value_text("x" * 500).endswith("\u2026") and len(_report.value_text("x" * 500)) == 160


def test_protocol_counts_count_mailboxes_per_protocol_key():
    report = build([control(bulk(mailbox_changes(5), 5), id="p"),
                    control(bulk(user_changes(2), 2), id="u"),
                    control(bulk([dict(plan="p", before=dict(imap=True), after=dict(imap=False))], 1), id="plans"),
                    control(bulk([dict(mailbox="x@c.com", before=dict(custom_thing=1), after=dict(custom_thing=2))],
                                 1), id="other")])
    counts = _report.protocol_counts(report)
    assert [key for key, _bucket in counts] == ["imap", "pop", "activesync", "mapi", "ews", "smtp_auth", "custom_thing"]
    assert dict(counts)["imap"] == dict(off=2, on=0, other=0)
    assert dict(counts)["smtp_auth"] == dict(off=1, on=0, other=1)
    assert dict(counts)["custom_thing"] == dict(off=0, on=0, other=1)


def test_same_apart_from_time():
    new = "time %s and %s end" % (TIME, TIME[:10] + " " + TIME[11:19])
    assert _report.same_apart_from_time("time 2025-01-02T03:04:05Z and 2025-01-02 03:04:05 end", new, TIME)
    assert not _report.same_apart_from_time("time 2025-01-02T03:04:05Z and 2025-01-02 03:04:05 END", new, TIME)
    assert not _report.same_apart_from_time("time 2025-01-02T03:04:05Z and 2025-01-02 03:04:05 end!", new, TIME)
    assert not _report.same_apart_from_time("time soon and 2025-01-02 03:04:05 end", new, TIME)
    assert _report.same_apart_from_time("no time", "no time", TIME)


def test_write_files_creates_the_folder_and_reports_changes_apart_from_time(tmp_path):
    dest = str(tmp_path / "reports" / "contoso")
    changed, paths = _report.write_files(dest, {"a.txt": "at %s\n" % TIME}, TIME)
    assert changed is True and paths == {"a.txt": os.path.join(dest, "a.txt")}
    later = "2026-05-02T00:00:00Z"
    changed, _paths = _report.write_files(dest, {"a.txt": "at %s\n" % later}, later)
    assert changed is False
    with open(paths["a.txt"]) as handle:
        assert handle.read() == "at %s\n" % later
    changed, _paths = _report.write_files(dest, {"a.txt": "other at %s\n" % later}, later)
    assert changed is True
    assert os.listdir(dest) == ["a.txt"]


def test_write_files_keeps_the_mode_of_an_existing_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    os.chmod(str(path), 0o600)
    _report.write_files(str(tmp_path), {"a.txt": "new"}, TIME)
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600 and path.read_text() == "new"


def test_write_files_gives_a_new_folder_and_every_file_the_modes_asked_for(tmp_path):
    dest = str(tmp_path / "reports" / "contoso")
    _report.write_files(dest, {"a.txt": "a", "b.txt": "b"}, TIME, file_mode=0o600, dir_mode=0o700)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o700
    assert [stat.S_IMODE(os.stat(os.path.join(dest, name)).st_mode) for name in ("a.txt", "b.txt")] == [0o600, 0o600]


def test_write_files_tightens_an_existing_file_and_says_so(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("same")
    os.chmod(str(path), 0o644)
    changed, _paths = _report.write_files(str(tmp_path), {"a.txt": "same"}, TIME, file_mode=0o600)
    assert changed is True and stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    changed, _paths = _report.write_files(str(tmp_path), {"a.txt": "same"}, TIME, file_mode=0o600)
    assert changed is False


def test_write_files_leaves_the_mode_of_an_existing_folder_alone(tmp_path):
    os.chmod(str(tmp_path), 0o755)
    _report.write_files(str(tmp_path), {"a.txt": "a"}, TIME, file_mode=0o600, dir_mode=0o700)
    assert stat.S_IMODE(os.stat(str(tmp_path)).st_mode) == 0o755


@pytest.mark.parametrize("value, mode", [("0600", 0o600), ("600", 0o600), ("0750", 0o750), (" 0700 ", 0o700)])
def test_parse_mode_reads_octal_strings(value, mode):
    assert _report.parse_mode(value, "file_mode") == mode


@pytest.mark.parametrize("value", ["rw-------", "0900", "", "-1", "77777"])
def test_parse_mode_names_the_option_for_anything_else(value):
    with pytest.raises(ValueError, match="file_mode must be an octal mode"):
        _report.parse_mode(value, "file_mode")


def test_utc_now_is_iso_utc_to_the_second():
    assert _report.TIME_PATTERN.match(_report.utc_now()) and _report.utc_now().endswith("Z")


def test_impact_lists_who_the_changes_cut_off():
    report = _report.build_report(TENANT, "audit", sample_controls(), TIME, usage=sample_usage())
    impact = report["impact"]
    assert impact["available"] is True and impact["window"]["days"] == 30
    sections = dict((s["setting"], s) for s in impact["protocols"])
    assert [m["mailbox"] for m in sections["activesync"]["mailboxes"]] == ["mailbox00001@contoso.com",
                                                                           "mailbox00006@contoso.com"]
    assert sections["activesync"]["mailboxes"][0]["sign_ins"] == 40
    assert sections["activesync"]["mailboxes"][0]["control"] == "mail.protocols.default"
    assert [m["mailbox"] for m in sections["imap"]["mailboxes"]] == ["mailbox00000@contoso.com"]
    assert sections["pop"]["mailboxes"] == [] and sections["pop"]["read"] is True
    # MAPI is turned off in the sample but its usage was not read.
    assert sections["mapi"]["read"] is False
    assert impact["mfa"] == [dict(user_principal_name="user00003@contoso.com", control="mfa.per_user",
                                  before="disabled", protocols=["IMAP4"], last_sign_in="2026-04-21T08:00:00Z")]
    assert impact["total"] == 4
    assert SECRET not in _report.render_json(report)


def test_impact_without_usage_or_with_a_failed_read():
    assert "impact" not in build(sample_controls())
    failed = dict(failed=True, msg="Read sign-in logs failed: the tenant has no Microsoft Entra ID P1 or P2 licence")
    impact = _report.build_report(TENANT, "audit", sample_controls(), TIME, usage=failed)["impact"]
    assert impact["available"] is False and "P1 or P2" in impact["message"] and impact["total"] == 0
    assert impact["reason"] == "failed"
    assert _report.impact_headline(impact, "audit").startswith("Protocol usage could not be read: ")


def test_impact_in_a_cloud_without_sign_in_logs():
    # protocol_usage_info refuses a national cloud on option "cloud"; the role lets the run go on
    # (failed_when), so the result may come with failed true or false.
    message = ("Reading protocol usage needs the Microsoft Graph sign-in logs API (GET /auditLogs/signIns), which "
               "Microsoft offers in the worldwide cloud only, not in cloud=usgov (US Government L4 (GCC High))")
    for failed in (True, False):
        usage = dict(failed=failed, msg=message, option="cloud", changed=False)
        report = _report.build_report(TENANT, "audit", sample_controls(), TIME, usage=usage)
        impact = report["impact"]
        assert impact["available"] is False and impact["reason"] == "cloud" and impact["total"] == 0
        assert impact["message"] == message
        headline = _report.impact_headline(impact, "audit")
        assert headline.startswith("Protocol usage is not available in this cloud") and "cloud=usgov" in headline
        # The rest of the report is whole.
        assert report["summary"]["controls"]["total"] == len(sample_controls())


def test_impact_lists_what_the_usage_guard_kept_on():
    result = bulk(mailbox_changes(2), 10)
    result["skipped_changes"] = [dict(mailbox="mailbox00009@contoso.com", guid="g", setting="activesync", before=True,
                                      after=False, reason="used Exchange ActiveSync 9 times")]
    report = _report.build_report(TENANT, "audit", [control(result, category="mail_protocols")], TIME,
                                  usage=sample_usage())
    assert report["controls"][0]["skipped_changes"][0]["setting"] == "activesync"
    assert report["impact"]["protected"] == [dict(result["skipped_changes"][0], control="c")]
