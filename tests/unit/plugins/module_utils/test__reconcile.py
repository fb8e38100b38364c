# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio

import pytest

from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError
from ansible_collections.m365.admin.plugins.module_utils._reconcile import (
    ApplyFailed,
    Backend,
    Failure,
    MaxChangesExceeded,
    Setting,
    Target,
    check_max_changes,
    plan,
    reconcile,
)

TABLE = [Setting("imap"), Setting("pop"), Setting("smtp", satisfied=lambda cur, want: cur == want)]


def target(key, **current):
    return Target(key, "%s@c.com" % key, current, identity=dict(mailbox="%s@c.com" % key))


def test_plan_reports_only_differing_settings():
    targets = [target("a", imap=True, pop=True), target("b", imap=False, pop=True), target("c", imap=False, pop=False)]
    planned = plan(targets, {"imap": False, "pop": None}, TABLE)
    changes, compliant = planned.changes, planned.compliant
    assert planned.skips is None
    assert [c.target.key for c in changes] == ["a"]
    assert changes[0].before == {"imap": True} and changes[0].after == {"imap": False}
    assert [t.key for t in compliant] == ["b", "c"]


def test_plan_uses_the_rows_comparison():
    table = [Setting("state", satisfied=lambda cur, want: cur == want or (want == "enabled" and cur == "enforced"))]
    planned = plan([target("a", state="enforced"), target("b", state="disabled")], {"state": "enabled"}, table)
    assert [c.target.key for c in planned.changes] == ["b"] and [t.key for t in planned.compliant] == ["a"]


def test_plan_keeps_none_distinct_from_false():
    planned = plan([target("a", smtp=None)], {"smtp": False}, TABLE)
    assert planned.changes[0].before == {"smtp": None}


def test_plan_rejects_settings_outside_the_table():
    with pytest.raises(ValueError):
        plan([target("a")], {"owa": True}, TABLE)


class Recorder(object):
    def __init__(self, fail=()):
        self.calls = []
        self.fail = fail

    async def __call__(self, changes):
        self.calls.append(changes)
        return [Failure(c.target, 403, "denied") for c in changes if c.target.key in self.fail]


def run(coro):
    return asyncio.run(coro)


class Calls(Backend):
    """A backend made of the test's functions: ``write``, and a ``hold`` its guard returns."""

    def __init__(self, table, write, hold=None, noun="targets"):
        self.table = table
        self.write = write
        self.noun = noun
        if hold is not None:
            async def guard(_plan):
                return hold
            self.guard = guard


def engine(targets, desired, table, write, check_mode, hold=None, noun="targets", **kwargs):
    """reconcile over a Calls backend."""
    return reconcile(Calls(table, write, hold, noun), targets, desired, check_mode, **kwargs)


def test_check_mode_plans_without_applying():
    apply = Recorder()
    result = run(engine([target("a", imap=True), target("b", imap=False)], {"imap": False}, TABLE, apply,
                        check_mode=True))
    assert apply.calls == []
    assert result["changed"] is True
    assert result["summary"] == dict(targets=2, compliant=1, changed=1, failed=0)
    assert result["changes"] == [dict(mailbox="a@c.com", before={"imap": True}, after={"imap": False})]
    assert result["diff"] == dict(before={"a@c.com": {"imap": True}}, after={"a@c.com": {"imap": False}})


def test_apply_gets_only_the_changes_and_result_matches_check_mode():
    targets = [target("a", imap=True), target("b", imap=False), target("c", imap=True)]
    predicted = run(engine(targets, {"imap": False}, TABLE, Recorder(), check_mode=True))
    apply = Recorder()
    applied = run(engine(targets, {"imap": False}, TABLE, apply, check_mode=False))
    assert [c.target.key for c in apply.calls[0]] == ["a", "c"]
    assert applied == predicted


def test_nothing_to_do_is_not_changed_and_applies_nothing():
    apply = Recorder()
    result = run(engine([target("a", imap=False)], {"imap": False}, TABLE, apply, check_mode=False))
    assert result["changed"] is False and apply.calls == []
    assert result["changes"] == [] and result["diff"] == dict(before={}, after={})


def test_max_changes_refuses_before_applying():
    apply = Recorder()
    with pytest.raises(MaxChangesExceeded) as info:
        run(engine([target(k, imap=True) for k in "abc"], {"imap": False}, TABLE, apply, check_mode=False,
                   max_changes=2, noun="mailboxes"))
    assert apply.calls == []
    assert "3 mailboxes would change, more than max_changes=2" in info.value.message


def test_max_changes_equal_to_the_count_is_allowed():
    result = run(engine([target(k, imap=True) for k in "ab"], {"imap": False}, TABLE, Recorder(),
                        check_mode=False, max_changes=2))
    assert result["summary"]["changed"] == 2


def test_failed_writes_do_not_stop_the_others_and_fail_at_the_end():
    apply = Recorder(fail=("b",))
    with pytest.raises(ApplyFailed) as info:
        run(engine([target(k, imap=True) for k in "abc"], {"imap": False}, TABLE, apply, check_mode=False))
    result = info.value.result
    assert result["changed"] is True
    assert result["summary"] == dict(targets=3, compliant=0, changed=2, failed=1)
    assert [c["mailbox"] for c in result["changes"]] == ["a@c.com", "c@c.com"]
    assert result["failures"] == [dict(mailbox="b@c.com", status=403, error="denied")]
    assert "b@c.com: denied" in info.value.message


def test_read_failures_are_reported_and_fail_the_task():
    read_failure = Failure(target("z"), 404, "gone")
    with pytest.raises(ApplyFailed) as info:
        run(engine([target("a", imap=False)], {"imap": False}, TABLE, Recorder(), check_mode=True,
                   read_failures=[read_failure]))
    assert info.value.result["summary"] == dict(targets=2, compliant=1, changed=0, failed=1)


def test_single_setting_tables_report_bare_values_and_extra_is_merged():
    table = [Setting("state")]
    result = run(engine([Target("u", "u@c.com", {"state": "disabled"}, identity=dict(id="u"))],
                        {"state": "enforced"}, table, Recorder(), check_mode=True, extra=dict(missing={})))
    assert result["changes"] == [dict(id="u", before="disabled", after="enforced")]
    assert result["diff"]["after"] == {"u@c.com": "enforced"}
    assert result["missing"] == {}


def test_check_max_changes():
    check_max_changes({"max_changes": 0})
    check_max_changes({"max_changes": None})
    with pytest.raises(ConfigurationError) as info:
        check_max_changes({"max_changes": -1})
    assert info.value.option == "max_changes"


def test_hold_keeps_one_setting_of_one_target_and_reports_it():
    targets = [target("a", imap=True, pop=True), target("b", imap=True, pop=False), target("c", imap=False, pop=False)]

    def hold(tgt, name, before, after):
        return "in use" if tgt.key in ("a", "b") and name == "imap" else None

    applied = []

    async def apply(changes):
        applied.extend(changes)
        return []

    result = asyncio.run(engine(targets, {"imap": False, "pop": False}, TABLE, apply, check_mode=False, hold=hold))
    assert [c.target.key for c in applied] == ["a"] and applied[0].after == {"pop": False}
    assert result["skipped_changes"] == [
        dict(mailbox="a@c.com", setting="imap", before=True, after=False, reason="in use"),
        dict(mailbox="b@c.com", setting="imap", before=True, after=False, reason="in use")]
    # b had nothing else to change: neither compliant nor changed, but skipped.
    assert result["summary"] == dict(targets=3, compliant=1, changed=1, failed=0, skipped=2)
    planned = plan(targets, {"imap": False}, TABLE).held(hold)
    assert planned.changes == [] and [t.key for t in planned.compliant] == ["c"] and len(planned.skips) == 2
