# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.m365.admin.plugins.modules import mailbox_protocols
from ansible_collections.m365.admin.tests.unit.m365_helpers import FakeExchangeTenant, make_mailboxes
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import (
    SignInLog,
    run_with_exchange,
    signin_event,
)


def tenant(**kwargs):
    mailboxes = make_mailboxes(5, kinds={4: "SharedMailbox"}, ImapEnabled={0: False},
                               SmtpClientAuthenticationDisabled={1: False, 2: True})
    return FakeExchangeTenant(mailboxes, **kwargs)


BASELINE = dict(all_mailboxes=True, imap=False, smtp_auth="inherit")


def test_check_mode_predicts_only_the_differences_and_writes_nothing():
    fake = tenant()
    result, failed, _made = run_with_exchange(mailbox_protocols.main, dict(BASELINE, _ansible_check_mode=True), fake)
    assert not failed, result
    assert fake.sets == []
    # user0 already matches (IMAP off, SMTP AUTH unset); user4 is shared and not asked for.
    assert result["summary"] == dict(targets=4, compliant=1, changed=3, failed=0)
    by_mailbox = dict((c["mailbox"], c) for c in result["changes"])
    assert sorted(by_mailbox) == ["user1@contoso.com", "user2@contoso.com", "user3@contoso.com"]
    assert by_mailbox["user1@contoso.com"]["before"] == {"imap": True, "smtp_auth": "enabled"}
    assert by_mailbox["user1@contoso.com"]["after"] == {"imap": False, "smtp_auth": "inherit"}
    assert by_mailbox["user2@contoso.com"]["before"] == {"imap": True, "smtp_auth": "disabled"}
    assert by_mailbox["user3@contoso.com"]["before"] == {"imap": True}
    assert result["diff"]["after"]["user3@contoso.com"] == {"imap": False}


def test_apply_sends_only_the_differing_parameters_then_is_idempotent():
    fake = tenant()
    predicted, _failed, _made = run_with_exchange(mailbox_protocols.main, dict(BASELINE, _ansible_check_mode=True),
                                                  fake)
    applied, failed, made = run_with_exchange(mailbox_protocols.main, BASELINE, fake)
    assert not failed
    assert applied["changes"] == predicted["changes"]
    sent = dict(fake.sets)
    assert "Identity" in sent["user1@contoso.com"]
    assert {k: v for k, v in sent["user1@contoso.com"].items() if k != "Identity"} == \
        {"ImapEnabled": False, "SmtpClientAuthenticationDisabled": None}
    assert "user0@contoso.com" not in sent
    assert {k: v for k, v in sent["user3@contoso.com"].items() if k != "Identity"} == {"ImapEnabled": False}
    # One listing, one batch of writes.
    assert len(made[0].exchange_session.calls) == 2
    again, failed, made = run_with_exchange(mailbox_protocols.main, BASELINE, fake)
    assert not failed and again["changed"] is False
    assert len(made[0].exchange_session.calls) == 1


def test_no_op_warning_counts_as_compliant():
    fake = tenant()
    stale = make_mailboxes(5, kinds={4: "SharedMailbox"}, ImapEnabled={0: False})
    fake.mailboxes[1]["ImapEnabled"] = False  # changed between our read and write

    def handler(method, url, body, headers):
        if "$batch" not in url:
            return 200, {"value": [m for m in stale if m["RecipientTypeDetails"] == "UserMailbox"]}
        return fake(method, url, body, headers)
    result, failed, _made = run_with_exchange(mailbox_protocols.main, dict(all_mailboxes=True, imap=False), handler)
    assert not failed
    # user1 was read as IMAP on, but Exchange found it already off: compliant, not changed.
    assert result["summary"]["changed"] == 2 and result["summary"]["compliant"] == 2
    assert sorted(c["mailbox"] for c in result["changes"]) == ["user2@contoso.com", "user3@contoso.com"]


def test_a_failed_mailbox_does_not_stop_the_others():
    mailboxes = make_mailboxes(3)
    fake = FakeExchangeTenant(mailboxes, item_faults={("Set-CASMailbox", mailboxes[1]["Guid"]): [404]})
    result, failed, _made = run_with_exchange(mailbox_protocols.main, dict(all_mailboxes=True, pop=False), fake)
    assert failed
    assert result["summary"] == dict(targets=3, compliant=0, changed=2, failed=1)
    assert result["failures"][0]["mailbox"] == "user1@contoso.com"
    assert "user1@contoso.com" in result["msg"]


def test_max_changes_and_bad_input():
    fake = tenant()
    result, failed, _made = run_with_exchange(mailbox_protocols.main, dict(BASELINE, max_changes=2), fake)
    assert failed and "3 mailboxes would change, more than max_changes=2" in result["msg"] and fake.sets == []
    for args, needle in ((dict(all_mailboxes=True), "no setting given"), (dict(imap=False), "no mailboxes selected"),
                         (dict(all_mailboxes=True, smtp_auth="off"), "smtp_auth")):
        result, failed, made = run_with_exchange(mailbox_protocols.main, args, fake)
        assert failed and needle in result["msg"] and made == []


def _recent(day):
    return "2099-01-%02dT00:00:00Z" % day


def guard_log():
    # user1 syncs with ActiveSync, user2 sends with SMTP AUTH (enabled on the mailbox), user3 only failed.
    return SignInLog([
        signin_event("user1@contoso.com", "Exchange ActiveSync", _recent(2)),
        signin_event("user2@contoso.com", "Authenticated SMTP", _recent(3)),
        signin_event("user3@contoso.com", "Exchange ActiveSync", _recent(3), code=50126),
    ])


def guard_tenant():
    return FakeExchangeTenant(make_mailboxes(4, SmtpClientAuthenticationDisabled={2: False}))


def _with_user_ids(log):
    for entry in log.events:
        entry["userId"] = "00000000-0000-4000-8000-%012d" % int(entry["userPrincipalName"][4])
    return log


def test_usage_guard_keeps_recently_used_protocols_only():
    fake, log = guard_tenant(), _with_user_ids(guard_log())
    args = dict(all_mailboxes=True, activesync=False, imap=False, smtp_auth="disabled", usage_guard_days=7)
    result, failed, _made = run_with_exchange(mailbox_protocols.main, dict(args, _ansible_check_mode=True), fake, log)
    assert not failed, result
    skipped = dict(((s["mailbox"], s["setting"]), s) for s in result["skipped_changes"])
    assert sorted(skipped) == [("user1@contoso.com", "activesync"), ("user2@contoso.com", "smtp_auth")]
    assert "Exchange ActiveSync" in skipped[("user1@contoso.com", "activesync")]["reason"]
    assert result["summary"]["skipped"] == 2
    by_mailbox = dict((c["mailbox"], c["after"]) for c in result["changes"])
    # Other settings of guarded mailboxes still change; the failed-only user3 is not protected.
    assert by_mailbox["user1@contoso.com"] == {"imap": False, "smtp_auth": "disabled"}
    assert by_mailbox["user2@contoso.com"] == {"activesync": False, "imap": False}
    assert by_mailbox["user3@contoso.com"] == {"activesync": False, "imap": False, "smtp_auth": "disabled"}
    # One listing per guarded protocol: ActiveSync, IMAP4, Authenticated SMTP; nothing written in check mode.
    assert len(log.queries) == 3 and fake.sets == []
    applied, failed, _made = run_with_exchange(mailbox_protocols.main, args, fake, log)
    assert not failed and applied["changes"] == result["changes"]
    assert {k: v for k, v in dict(fake.sets)["user1@contoso.com"].items() if k != "Identity"} == \
        {"ImapEnabled": False, "SmtpClientAuthenticationDisabled": True}
    # Again: only the kept protocols would change, so only their logs are read (ActiveSync, SMTP AUTH).
    del log.queries[:]
    again, failed, _made = run_with_exchange(mailbox_protocols.main, args, fake, log)
    assert not failed and again["changed"] is False and len(again["skipped_changes"]) == 2
    assert sorted(q["$filter"][0].split("clientAppUsed eq ")[1] for q in log.queries) == [
        "'Authenticated SMTP'", "'Exchange ActiveSync'"]


def test_usage_guard_acknowledged_and_off():
    log = _with_user_ids(guard_log())
    args = dict(all_mailboxes=True, activesync=False, usage_guard_days=7, usage_acknowledged=["USER1@contoso.com"],
                _ansible_check_mode=True)
    result, failed, _made = run_with_exchange(mailbox_protocols.main, args, guard_tenant(), log)
    assert not failed and result["skipped_changes"] == [] and result["summary"]["changed"] == 4
    # A tenant where nobody would lose anything: no sign-in log is read at all.
    nothing, failed, _made = run_with_exchange(
        mailbox_protocols.main, args, FakeExchangeTenant(make_mailboxes(2, ActiveSyncEnabled={0: False, 1: False})))
    assert not failed and nothing["changed"] is False and "skipped_changes" not in nothing
    off, failed, _made = run_with_exchange(mailbox_protocols.main, dict(args, usage_guard_days=0), guard_tenant())
    assert not failed and "skipped_changes" not in off
    # Turning protocols on needs no usage: no sign-in log is read.
    on, failed, _made = run_with_exchange(mailbox_protocols.main, dict(args, activesync=True, imap=True),
                                          guard_tenant())
    assert not failed and "skipped_changes" not in on


def test_usage_guard_days_validated():
    result, failed, _made = run_with_exchange(mailbox_protocols.main,
                                              dict(all_mailboxes=True, imap=False, usage_guard_days=45),
                                              guard_tenant())
    assert failed and "usage_guard_days must be between 1 and 30" in result["msg"]


def test_usage_guard_refused_in_a_cloud_without_sign_in_logs():
    # GCC High has no sign-in logs API: the guard cannot work there, and says so before any request.
    log, fake = guard_log(), guard_tenant()
    result, failed, made = run_with_exchange(
        mailbox_protocols.main, dict(all_mailboxes=True, activesync=False, usage_guard_days=7, cloud="usgov"), fake,
        log)
    assert failed and result["option"] == "cloud"
    assert "usage_guard_days" in result["msg"] and "cloud=usgov" in result["msg"]
    assert made == [] and log.queries == [] and fake.sets == []
    # With the guard off the same task runs in that cloud.
    done, failed, _made = run_with_exchange(
        mailbox_protocols.main, dict(all_mailboxes=True, activesync=False, cloud="usgov", _ansible_check_mode=True),
        fake)
    assert not failed and done["summary"]["changed"] == 4


def test_a_mailbox_whose_setting_is_not_returned_is_reported_not_written():
    mailboxes = make_mailboxes(3, ImapEnabled={1: False})
    del mailboxes[2]["ImapEnabled"]  # left out of every answer, even when read again
    fake = FakeExchangeTenant(mailboxes)
    result, failed, _made = run_with_exchange(mailbox_protocols.main, dict(all_mailboxes=True, imap=False), fake)
    assert failed
    assert [c["mailbox"] for c in result["changes"]] == ["user0@contoso.com"]
    assert [(f["mailbox"], f["status"]) for f in result["failures"]] == [("user2@contoso.com", 0)]
    assert "did not return ImapEnabled" in result["failures"][0]["error"]
    assert [mailbox for mailbox, _parameters in fake.sets] == ["user0@contoso.com"]
    # A setting that was returned as null is a value: it is compared and changed.
    nulls = FakeExchangeTenant(make_mailboxes(1, EwsEnabled={0: None}))
    result, failed, _made = run_with_exchange(mailbox_protocols.main, dict(all_mailboxes=True, ews=False), nulls)
    assert not failed and result["changes"][0]["before"] == {"ews": None}


def test_a_role_that_does_not_allow_set_casmailbox_fails_once_naming_the_role():
    fake = FakeExchangeTenant(make_mailboxes(25))

    def refusing(method, url, body, headers):
        if url.endswith("/$batch") and body["requests"][0]["body"]["CmdletInput"]["CmdletName"] == "Set-CASMailbox":
            return 200, {"responses": [{"id": item["id"], "status": 401, "body": {"error": {
                "code": "Unauthorized", "message": "User is not allowed to call Set-CASMailbox"}}}
                for item in body["requests"]]}
        return fake(method, url, body, headers)
    result, failed, _made = run_with_exchange(mailbox_protocols.main, dict(all_mailboxes=True, imap=False), refusing)
    assert failed
    assert result["msg"].count("User is not allowed to call Set-CASMailbox") == 1
    assert "Exchange Recipient Administrator" in result["msg"] and fake.sets == []
