# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""One reconcile engine for every module that sets settings: settings as a table, one flow.

A domain describes its settings as rows (``Setting``): the option name, how a current value
is compared with a desired one, and nothing else. It gives the engine a ``Backend``: its
table, what its targets are called, how to write changes in bulk (``write``), how to read
targets back (``read_back``), and optionally a ``guard`` called between planning and
applying. The module hands the engine that backend, the targets with their current values
(read in bulk) and the desired values; the engine plans (``plan``, one ``Plan``), enforces
``max_changes`` before anything is written, skips the writes in check mode, verifies lost
answers by reading back, and builds the result every such module returns: ``changed``,
``summary``, ``changes``, ``failures`` and ``diff``.
"""

from __future__ import annotations

from ansible_collections.m365.admin.plugins.module_utils._errors import (
    ConfigurationError,
    M365Error,
    PartialResultError,
)


class Setting(object):
    """One row of a settings table."""

    def __init__(self, name, satisfied=None, description=None):
        self.name = name
        self._satisfied = satisfied
        self.description = description or name

    def satisfied(self, current, desired):
        """Whether the current value meets the desired one (by default: equal)."""
        if self._satisfied is not None:
            return self._satisfied(current, desired)
        return current == desired


class Target(object):
    """Something to reconcile: its key, how to show it, and its current setting values."""

    __slots__ = ("key", "label", "current", "identity")

    def __init__(self, key, label, current, identity=None):
        self.key = key
        self.label = label
        self.current = current
        # Extra identifying fields returned with each change or failure (id, UPN, ...).
        self.identity = identity or {}


class Change(object):
    """The settings of one target that differ: before and after, nothing else."""

    __slots__ = ("target", "before", "after")

    def __init__(self, target, before, after):
        self.target = target
        self.before = before
        self.after = after

    def as_dict(self, flat=None):
        """``flat``: the name of a table's only setting, reported as bare before/after values."""
        entry = dict(self.target.identity)
        if flat:
            entry.update(before=self.before[flat], after=self.after[flat])
        else:
            entry.update(before=self.before, after=self.after)
        return entry


class Failure(object):
    """A target whose change could not be applied."""

    __slots__ = ("target", "status", "error")

    def __init__(self, target, status, error):
        self.target = target
        self.status = status
        self.error = error

    def as_dict(self):
        entry = dict(self.target.identity)
        entry.update(status=self.status, error=self.error)
        return entry


class NoOp(object):
    """A change the service reports it did not need to make (the target already matched)."""

    __slots__ = ("target",)

    def __init__(self, target):
        self.target = target


class Skip(object):
    """A setting a guard kept from changing on one target, and why."""

    __slots__ = ("target", "name", "before", "after", "reason")

    def __init__(self, target, name, before, after, reason):
        self.target = target
        self.name = name
        self.before = before
        self.after = after
        self.reason = reason

    def as_dict(self):
        entry = dict(self.target.identity)
        entry.update(setting=self.name, before=self.before, after=self.after, reason=self.reason)
        return entry


class Unknown(object):
    """A change whose answer was lost (dropped connection, gateway timeout): it may or may not
    have been applied. The engine reads the target back rather than sending the write again."""

    __slots__ = ("target", "error")

    def __init__(self, target, error):
        self.target = target
        self.error = error


# How often a target whose write answer was lost is read back (and, when the read-back shows
# the change missing, written again) before it is reported as failed.
VERIFY_ROUNDS = 4


class MaxChangesExceeded(M365Error):
    """More targets would change than the task allows; nothing was written."""


class ApplyFailed(PartialResultError):
    """Some changes could not be applied; the others were. ``result`` holds everything."""


class Backend(object):
    """What the engine needs of a domain. A domain subclasses it for its settings over its
    service (per-user MFA over Graph, CAS settings over an Exchange transport).

    ``table``: the settings rows; ``noun``: what the targets are called in messages.
    ``guard``, when not None, is a coroutine ``guard(plan)`` called between planning and
    applying (in check mode too), returning a ``hold`` (see ``Plan.held``) or None.
    """

    table = ()
    noun = "targets"
    guard = None

    async def write(self, changes):
        """Write the changes in bulk. Returns a list of Failure, NoOp (the service found the
        change already made) and Unknown (the answer was lost) outcomes; empty when every
        change was applied."""
        raise NotImplementedError

    async def read_back(self, targets):
        """{target key: current setting values} of the targets that could be read, to verify
        writes whose answer was lost; None when this backend cannot read back."""
        return None


class Plan(object):
    """What reconciling would do: the changes, the targets already compliant, and the
    settings a guard kept from changing (``skips``: None when no guard held anything back)."""

    __slots__ = ("changes", "compliant", "skips")

    def __init__(self, changes, compliant, skips=None):
        self.changes = changes
        self.compliant = compliant
        self.skips = skips

    def held(self, hold):
        """This plan with the settings that ``hold(target, name, before, after)`` gives a reason
        to leave alone taken out, as Skip entries; a target whose every change is held is
        neither changed nor compliant."""
        changes, skips = [], []
        for change in self.changes:
            before, after = {}, {}
            for name, value in change.after.items():
                reason = hold(change.target, name, change.before[name], value)
                if reason:
                    skips.append(Skip(change.target, name, change.before[name], value, reason))
                else:
                    before[name], after[name] = change.before[name], value
            if after:
                changes.append(Change(change.target, before, after))
        return Plan(changes, self.compliant, skips)


def check_max_changes(params):
    """Argument check shared by the bulk modules."""
    if params.get("max_changes") is not None and params["max_changes"] < 0:
        raise ConfigurationError("max_changes must be 0 or more, got %d" % params["max_changes"],
                                 option="max_changes")


def plan(targets, desired, table):
    """The Plan that makes targets match desired.

    ``desired`` maps setting names to values; a value of None means "leave alone".
    """
    rows = dict((setting.name, setting) for setting in table)
    wanted = dict((name, value) for name, value in desired.items() if value is not None)
    unknown = [name for name in wanted if name not in rows]
    if unknown:
        raise ValueError("settings not in the table: %s" % ", ".join(sorted(unknown)))
    changes, compliant = [], []
    for target in targets:
        before, after = {}, {}
        for name, value in wanted.items():
            current = target.current.get(name)
            if not rows[name].satisfied(current, value):
                before[name] = current
                after[name] = value
        if after:
            changes.append(Change(target, before, after))
        else:
            compliant.append(target)
    return Plan(changes, compliant)


async def settle(outcomes, changes, backend):
    """Resolve the Unknown outcomes of ``backend.write``: read each such target back; a target
    that reads back as desired was changed (and is counted once), one that does not is written
    again, a known-missing change rather than a blind repeat. What stays unknown after
    VERIFY_ROUNDS, or cannot be read back, becomes a Failure that says so.
    """
    rows = dict((setting.name, setting) for setting in backend.table)
    by_key = dict((change.target.key, change) for change in changes)
    settled = [outcome for outcome in outcomes if not isinstance(outcome, Unknown)]
    unknown = [outcome for outcome in outcomes if isinstance(outcome, Unknown)]
    for verify_round in range(VERIFY_ROUNDS):
        if not unknown:
            break
        unreadable = "the target could not be read back to verify it"
        try:
            current = await backend.read_back([outcome.target for outcome in unknown])
        except M365Error as exc:
            # The changes already made must still be reported: this batch fails, not the run.
            current, unreadable = {}, "reading it back failed too (%s)" % exc.to_message()
        if current is None:
            break
        again = []
        for outcome in unknown:
            values = current.get(outcome.target.key)
            if values is None:
                settled.append(Failure(outcome.target, 0, "the answer to the write was lost (%s) and %s"
                                       % (outcome.error, unreadable)))
                continue
            change = by_key[outcome.target.key]
            if not all(rows[name].satisfied(values.get(name), value) for name, value in change.after.items()):
                again.append(change)
        unknown = []
        if verify_round == VERIFY_ROUNDS - 1:
            settled.extend(Failure(change.target, 0, "the answer to the write was lost %d times and the target "
                                                     "reads back unchanged" % VERIFY_ROUNDS) for change in again)
            break
        for outcome in (await backend.write(again)) if again else []:
            (unknown if isinstance(outcome, Unknown) else settled).append(outcome)
    for outcome in unknown:
        settled.append(Failure(outcome.target, 0, "the answer to the write was lost: %s" % outcome.error))
    return settled


async def reconcile(backend, targets, desired, check_mode, max_changes=None, read_failures=(), extra=None):
    """Plan, guard, apply (unless check mode) and report.

    ``read_failures`` are targets whose current state could not be read (they are reported,
    not planned); ``extra`` is merged into the result. Settings a guard held back are
    returned in ``skipped_changes`` with the reason (not ``skipped``, which Ansible reads as
    a skipped task), and counted in ``summary.skipped``. Raises MaxChangesExceeded before
    writing, and ApplyFailed (carrying the full result) when any target failed.
    """
    planned = plan(targets, desired, backend.table)
    if backend.guard is not None:
        hold = await backend.guard(planned)
        if hold is not None:
            planned = planned.held(hold)
    changes = planned.changes
    if max_changes is not None and len(changes) > max_changes:
        raise MaxChangesExceeded(
            "%d %s would change, more than max_changes=%d; nothing was changed. Check the selection, or raise "
            "max_changes if this many changes are intended" % (len(changes), backend.noun, max_changes))
    outcomes = []
    if changes and not check_mode:
        outcomes = await settle(await backend.write(changes), changes, backend)
    write_failures = [outcome for outcome in outcomes if isinstance(outcome, Failure)]
    failed_keys = set(failure.target.key for failure in write_failures)
    no_op_keys = set(outcome.target.key for outcome in outcomes if isinstance(outcome, NoOp))
    applied = [change for change in changes if change.target.key not in failed_keys | no_op_keys]
    failures = list(read_failures) + write_failures
    flat = backend.table[0].name if len(backend.table) == 1 else None
    result = dict(
        changed=bool(applied),
        summary=dict(targets=len(targets) + len(read_failures), compliant=len(planned.compliant) + len(no_op_keys),
                     changed=len(applied), failed=len(failures)),
        changes=[change.as_dict(flat) for change in applied],
        failures=[failure.as_dict() for failure in failures],
        diff=dict(before=dict((c.target.label, c.before[flat] if flat else c.before) for c in applied),
                  after=dict((c.target.label, c.after[flat] if flat else c.after) for c in applied)),
    )
    if planned.skips is not None:
        result["summary"]["skipped"] = len(set(skip.target.key for skip in planned.skips))
        result["skipped_changes"] = [skip.as_dict() for skip in planned.skips]
    result.update(extra or {})
    if failures:
        raise ApplyFailed(
            "%d %s failed (%d changes were applied): %s"
            % (len(failures), backend.noun, len(applied),
               "; ".join("%s: %s" % (f.target.label, f.error) for f in failures[:5])
               + ("; ..." if len(failures) > 5 else "")), result)
    return result
