# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""The baseline report's model: registered task results in, one report dict out, files on disk.

``build_report`` turns the results of the baseline's tasks (one per control) into the dict
that ``report.json`` holds: every control with its status, counts, changes and failures.
The renderers (``_report_text`` for JUnit and Markdown, ``_report_html`` for HTML) read only
that dict. ``write_files`` writes them and tells whether anything but the time changed.

Only the keys a report needs are read from a result; ``invocation`` and ``module_args``
(which repeat the task's options) are never copied.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import tempfile

from ansible_collections.m365.admin.plugins.module_utils import _signins

SCHEMA_VERSION = 1
GENERATOR = "m365.admin.baseline_report"
MODES = ("audit", "enforce")
STATUSES = ("compliant", "drift", "remediated", "error", "skipped")
FORMATS = ("json", "junit", "markdown", "html", "csv")
FILE_NAMES = {"json": "report.json", "junit": "junit.xml", "markdown": "report.md", "html": "report.html",
              "csv": "findings.csv"}
COUNT_KEYS = ("targets", "compliant", "changed", "failed")
# Keys never copied from a result, at any depth: they echo the task's options.
NEVER_COPIED = frozenset(("invocation", "module_args"))
# The fields that name the object of a change or failure, most telling first.
LABEL_KEYS = ("user_principal_name", "mailbox", "display_name", "plan", "target", "name", "id", "guid")
CATEGORY_TITLES = {"guardrails": "Guardrails", "mfa": "MFA", "mail_protocols": "Mail protocols"}


def utc_now():
    """The report's time: UTC, to the second, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clean(value):
    """A JSON-safe copy of result data, without the keys that echo task options."""
    if isinstance(value, dict):
        return dict((str(key), clean(item)) for key, item in value.items()
                    if key not in NEVER_COPIED and not str(key).startswith("_ansible"))
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _count(summary, key):
    try:
        return int(summary.get(key) or 0)
    except (TypeError, ValueError):
        return 0


def _outcome(result, title):
    """What one task result says: counts, changes, failures, error messages, missing names."""
    outcome = dict(counts=dict.fromkeys(COUNT_KEYS, 0), changes=[], failures=[], messages=[], missing={},
                   skipped_changes=[], failed=bool(result.get("failed")), changed=bool(result.get("changed")))
    if result.get("skipped"):
        return outcome
    if outcome["failed"]:
        outcome["messages"].append(str(result.get("msg") or "the task failed without a message"))
    summary = result.get("summary")
    if isinstance(summary, dict):
        outcome["counts"] = dict((key, _count(summary, key)) for key in COUNT_KEYS)
        outcome["changes"] = [clean(entry) for entry in result.get("changes") or [] if isinstance(entry, dict)]
    else:
        # A single-object module (security defaults, a CA policy, the transport config): one target.
        counts = outcome["counts"]
        counts["targets"] = 1
        if outcome["failed"]:
            counts["failed"] = 1
        elif outcome["changed"]:
            counts["changed"] = 1
            diff = result.get("diff") if isinstance(result.get("diff"), dict) else {}
            outcome["changes"] = [dict(target=title, before=clean(diff.get("before")), after=clean(diff.get("after")))]
        else:
            counts["compliant"] = 1
    outcome["failures"] = [clean(entry) for entry in result.get("failures") or [] if isinstance(entry, dict)]
    outcome["skipped_changes"] = [clean(entry) for entry in result.get("skipped_changes") or []
                                  if isinstance(entry, dict)]
    if isinstance(result.get("missing"), dict):
        outcome["missing"] = dict((key, clean(names)) for key, names in result["missing"].items() if names)
    return outcome


def _loop_items(result):
    """The item results of a looped task, or None when the result is not a loop's."""
    items = result.get("results")
    if isinstance(items, list) and "summary" not in result and "diff" not in result:
        return [item for item in items if isinstance(item, dict)]
    return None


def control_status(result, mode):
    """compliant, drift (audit) or remediated (enforce), error or skipped, from one registered result.

    An empty result counts as an error: a control with no result proves nothing about the tenant.
    """
    if not result:
        return "error"
    items = _loop_items(result)
    if items is not None:
        statuses = [control_status(item, mode) for item in items]
        for status in ("error", "drift", "remediated", "compliant"):
            if status in statuses:
                return status
        return "skipped"
    if result.get("failed"):
        return "error"
    if result.get("skipped"):
        return "skipped"
    if result.get("changed"):
        return "drift" if mode == "audit" else "remediated"
    return "compliant"


def build_control(control, mode):
    """One control of the report from its declaration and its registered result."""
    result = control.get("result") or {}
    title = control.get("title") or control["id"]
    status = control_status(result, mode)
    items = _loop_items(result)
    outcomes = [_outcome(item, title) for item in (items if items is not None else [result]) if item]
    entry = dict(id=control["id"], title=title, category=control.get("category") or "other",
                 description=control.get("description") or "", frameworks=frameworks(control), status=status,
                 message="",
                 counts=dict.fromkeys(COUNT_KEYS, 0), changes=[], failures=[], missing={}, skipped_changes=[])
    messages = []
    for outcome in outcomes:
        for key in COUNT_KEYS:
            entry["counts"][key] += outcome["counts"][key]
        entry["changes"].extend(outcome["changes"])
        entry["failures"].extend(outcome["failures"])
        entry["skipped_changes"].extend(outcome["skipped_changes"])
        messages.extend(outcome["messages"])
        for key, names in outcome["missing"].items():
            entry["missing"].setdefault(key, []).extend(names if isinstance(names, list) else [names])
    if status == "error":
        entry["message"] = "; ".join(messages) or "no result was registered for this control"
    elif status == "skipped":
        entry["message"] = str(result.get("skip_reason") or "skipped")
    return entry


def frameworks(control):
    """The framework recommendations a control implements, as [{framework, id}], in a stable order."""
    entries = []
    for entry in control.get("frameworks") or []:
        if not isinstance(entry, dict) or not entry.get("framework") or not entry.get("id"):
            raise ValueError("control %s: each frameworks entry needs a framework and an id, got %r"
                             % (control.get("id"), entry))
        pair = dict(framework=str(entry["framework"]), id=str(entry["id"]))
        if pair not in entries:
            entries.append(pair)
    return entries


def frameworks_text(control):
    """"CIS M365 v4.0.0 6.5.4, CISA SCuBA MS.EXO.5.1v1", or an empty string."""
    return ", ".join("%s %s" % (entry["framework"], entry["id"]) for entry in control.get("frameworks") or [])


def validate_controls(controls):
    """Raise ValueError for a control without an id, or ids used twice."""
    seen, twice = set(), []
    for index, control in enumerate(controls):
        if not control.get("id"):
            raise ValueError("controls[%d] has no id" % index)
        if control["id"] in seen and control["id"] not in twice:
            twice.append(control["id"])
        seen.add(control["id"])
    if twice:
        raise ValueError("control ids must be unique; used more than once: %s" % ", ".join(twice))


def summarize(controls):
    by_status = dict((status, 0) for status in STATUSES)
    targets = dict(total=0, compliant=0, changed=0, failed=0)
    for control in controls:
        by_status[control["status"]] += 1
        targets["total"] += control["counts"]["targets"]
        for key in ("compliant", "changed", "failed"):
            targets[key] += control["counts"][key]
    controls_summary = dict(total=len(controls))
    controls_summary.update(by_status)
    return dict(controls=controls_summary, targets=targets, changes=targets["changed"])


def tenant_fields(tenant):
    """The tenant's identity, from the tenant option (a tenant_info result or the same keys)."""
    tenant = tenant or {}
    fields = dict((key, str(tenant.get(key) or "")) for key in ("name", "tenant_id", "display_name", "default_domain"))
    if not fields["default_domain"] and tenant.get("initial_domain"):
        fields["default_domain"] = str(tenant["initial_domain"])
    return fields


def build_report(tenant, mode, controls, generated, usage=None):
    """The whole report, as report.json holds it.

    ``usage``: the registered result of m365.admin.protocol_usage_info; when given, the report
    gains an ``impact`` section (see ``build_impact``).
    """
    if mode not in MODES:
        raise ValueError("mode must be one of %s, got %s" % (", ".join(MODES), mode))
    validate_controls(controls)
    entries = [build_control(control, mode) for control in controls]
    report = dict(schema_version=SCHEMA_VERSION, generator=GENERATOR, generated=generated, mode=mode,
                  tenant=tenant_fields(tenant), summary=summarize(entries),
                  drift=any(entry["status"] in ("drift", "error") for entry in entries), controls=entries)
    if usage:
        report["impact"] = build_impact(entries, usage)
    return report


# Impact: who the changes would cut off, from the legacy protocol usage of the sign-in logs.

def _usage_user(recent, change):
    for key in (change.get("user_id"), change.get("mailbox"), change.get("user_principal_name"), change.get("id")):
        if key and str(key).lower() in recent:
            return recent[str(key).lower()]
    return None


def _affected_entry(control, change, user):
    return dict(mailbox=change.get("mailbox") or change.get("user_principal_name"),
                user_principal_name=user.get("user_principal_name"), control=control["id"],
                protocol=_signins.BY_NAME[user["protocol"]].client_app, sign_ins=user.get("successes") or 0,
                last_sign_in=user.get("last_success"), clients=list(user.get("clients") or []))


def build_impact(controls, usage):
    """For each protocol the changes turn off, the mailboxes whose users signed in with it in the window;
    and the users whose per-user MFA becomes enforced while they sign in with legacy protocols.

    Only successful sign-ins count: a failed legacy sign-in is as often an attack on the account
    as a client the user relies on. Mailbox changes are matched to users by object id, else by
    address. Changes the usage guard kept back are listed as ``protected``.

    A result refused on ``option: cloud`` (a national cloud, where Microsoft offers no sign-in
    logs API) is not an error of the run: ``reason`` is then ``cloud``, and the section says
    why usage is missing rather than that reading it failed.
    """
    if usage.get("option") == "cloud" and not isinstance(usage.get("protocols"), dict):
        return dict(available=False, reason="cloud", message=str(usage.get("msg") or "no sign-in logs in this cloud"),
                    window={}, protocols=[], mfa=[], protected=[], total=0, mailboxes=0)
    if usage.get("failed") or usage.get("skipped") or not isinstance(usage.get("protocols"), dict):
        message = str(usage.get("msg") or usage.get("skip_reason")
                      or "the protocol usage result holds no protocols")
        return dict(available=False, reason="failed", message=message, window={}, protocols=[], mfa=[], protected=[],
                    total=0, mailboxes=0)
    protocols = usage["protocols"]
    sections, recent_by_setting = {}, {}
    for control in controls:
        for change in control["changes"]:
            before, after = change.get("before"), change.get("after")
            if "mailbox" not in change or not isinstance(after, dict):
                continue
            before = before if isinstance(before, dict) else {}
            for setting, value in after.items():
                names = [p.name for p in _signins.protocols_for_setting(setting)]
                if not names or not _signins.disables(setting, before.get(setting), value):
                    continue
                section = sections.setdefault(setting, dict(
                    setting=setting, read=any(n in protocols for n in names),
                    protocols=[_signins.BY_NAME[n].client_app for n in names], mailboxes=[]))
                if setting not in recent_by_setting:
                    recent_by_setting[setting] = _signins.recent_users(protocols, names)
                user = _usage_user(recent_by_setting[setting], change)
                if user is not None:
                    section["mailboxes"].append(_affected_entry(control, change, user))
    recent_by_name = dict((name, _signins.recent_users(protocols, [name])) for name in protocols)
    recent_any = _signins.recent_users(protocols, list(protocols))
    mfa = []
    for control in controls:
        for change in control["changes"]:
            if "user_principal_name" not in change or change.get("after") != "enforced":
                continue
            user = _usage_user(recent_any, change)
            if user is None:
                continue
            used = sorted(_signins.BY_NAME[name].client_app for name, recent in recent_by_name.items()
                          if name in _signins.BY_NAME and _usage_user(recent, change) is not None)
            mfa.append(dict(user_principal_name=change["user_principal_name"], control=control["id"],
                            before=change.get("before"), protocols=used, last_sign_in=user.get("last_success")))
    protected = []
    for control in controls:
        for skip in control.get("skipped_changes") or []:
            protected.append(dict(skip, control=control["id"]))
    ordered = [sections[key] for key in PROTOCOL_ORDER if key in sections]
    for section in ordered:
        section["mailboxes"].sort(key=lambda entry: (-(entry["sign_ins"] or 0), str(entry["mailbox"]).lower()))
    mfa.sort(key=lambda entry: entry["user_principal_name"].lower())
    people = set(str(entry.get("user_principal_name") or entry["mailbox"]).lower()
                 for section in ordered for entry in section["mailboxes"])
    people.update(entry["user_principal_name"].lower() for entry in mfa)
    return dict(available=True, reason="", message="", window=clean(usage.get("window") or {}), protocols=ordered,
                mfa=mfa, protected=protected, total=len(people),
                mailboxes=len(set(entry["mailbox"] for section in ordered for entry in section["mailboxes"])))


def _when(stamp):
    return display_time(stamp) if stamp and len(stamp) >= 19 else (stamp or "never")


def impact_window_text(impact):
    window = impact.get("window") or {}
    if not window.get("days"):
        return "Sign-in logs"
    return "Sign-in logs of the last %s (%s to %s)" % (plural(int(window["days"]), "day"), _when(window.get("start")),
                                                       _when(window.get("end")))


def impact_heading(section, mode):
    """``Exchange ActiveSync (activesync off): 14 mailboxes used it and would lose it``."""
    label = "%s (%s off)" % (" / ".join(section["protocols"]), section["setting"])
    if not section["read"]:
        return "%s: usage not read" % label
    count = len(section["mailboxes"])
    if not count:
        return "%s: no mailbox that changes used it" % label
    return "%s: %s used it and %s" % (label, plural(count, "mailbox", "mailboxes"),
                                      "would lose it" if mode == "audit" else "lost it")


def impact_mfa_heading(impact, mode):
    return "Per-user MFA %s enforced for %s still signing in with legacy protocols" % (
        "would become" if mode == "audit" else "became", plural(len(impact["mfa"]), "user"))


def impact_entry_text(entry):
    """``alice@contoso.com: 9 sign-ins, last 2026-05-01 10:20:30 UTC (Ios / Apple-iPhone...)``."""
    text = "%s: %s, last %s" % (entry.get("mailbox") or entry.get("user_principal_name"),
                                plural(int(entry.get("sign_ins") or 0), "sign-in"), _when(entry.get("last_sign_in")))
    if entry.get("clients"):
        text += " (%s)" % ", ".join(entry["clients"][:3])
    return text


def impact_mfa_text(entry):
    return "%s: %s, last %s (MFA %s \u2192 enforced)" % (
        entry["user_principal_name"], ", ".join(entry["protocols"]), _when(entry.get("last_sign_in")),
        value_text(entry.get("before")))


def impact_protected_text(entry):
    return "%s: %s kept on. %s" % (entry.get("mailbox"), entry.get("setting"), entry.get("reason") or "")


def impact_headline(impact, mode):
    if impact.get("reason") == "cloud":
        return ("Protocol usage is not available in this cloud, so who the changes cut off is not known: %s"
                % impact["message"])
    if not impact["available"]:
        return "Protocol usage could not be read: %s" % impact["message"]
    if not impact["total"]:
        return "No mailbox or user that %s used a legacy protocol in the window." % change_verb(mode)
    audit = mode == "audit"
    return "%s %s cut off from a protocol they used in the window: %s %s one, and %s %s enforced." % (
        plural(impact["total"], "person", "people"), "would be" if audit else "were",
        plural(impact["mailboxes"], "mailbox", "mailboxes"), "would lose" if audit else "lost",
        plural(len(impact["mfa"]), "user's per-user MFA", "users' per-user MFA"),
        "would become" if audit else "became")


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# Helpers the renderers share.

def tenant_label(report):
    tenant = report["tenant"]
    return tenant["display_name"] or tenant["name"] or tenant["default_domain"] or tenant["tenant_id"] or "tenant"


def category_title(category):
    return CATEGORY_TITLES.get(category) or category.replace("_", " ").capitalize()


def by_category(controls):
    """Controls grouped by category, in the order categories first appear."""
    groups = {}
    for control in controls:
        groups.setdefault(control["category"], []).append(control)
    return list(groups.items())


def plural(count, noun, nouns=None):
    """``1 user``, ``1,250 users``."""
    return "{:,} {}".format(count, noun if count == 1 else (nouns or noun + "s"))


def change_verb(mode):
    return "would change" if mode == "audit" else "changed"


def verdict(report):
    """(status, headline, detail): what a person reads first. The worst status leads."""
    counts = report["summary"]["controls"]
    total = counts["total"]
    if not total:
        return "skipped", "No controls were reported.", ""
    status = next((key for key in ("error", "drift", "remediated", "compliant") if counts[key]), "skipped")
    clauses = []
    if counts["drift"]:
        clauses.append("%d of %d controls drift from the baseline" % (counts["drift"], total))
    if counts["remediated"]:
        clauses.append("%d of %d controls were remediated" % (counts["remediated"], total))
    if counts["error"]:
        clauses.append("%d could not be checked" % counts["error"] if clauses
                       else "%d of %d controls could not be checked" % (counts["error"], total))
    if not clauses:
        clauses.append("All %d controls comply with the baseline" % total if counts["compliant"] == total
                       else "%d of %d controls comply with the baseline" % (counts["compliant"], total))
    headline = clauses[0] if len(clauses) == 1 else "%s and %s" % (", ".join(clauses[:-1]), clauses[-1])
    detail = " \u00b7 ".join("%d %s" % (counts[key], key) for key in STATUSES if counts[key])
    return status, headline + ".", detail


def display_time(generated):
    """The report's time for people: ``2026-05-01 10:20:30 UTC``."""
    return "%s %s UTC" % (generated[:10], generated[11:19])


def target_nouns(control):
    """What the control's targets are, singular and plural, from the fields of its changes."""
    for entry in control["changes"] + control["failures"]:
        if "user_principal_name" in entry:
            return "user", "users"
        if "mailbox" in entry:
            return "mailbox", "mailboxes"
        if "plan" in entry:
            return "plan", "plans"
    return "target", "targets"


def entry_label(entry):
    """The name of what a change or failure is about (UPN, mailbox, plan, ...)."""
    for key in LABEL_KEYS:
        if entry.get(key) not in (None, ""):
            return str(entry[key])
    return "(unnamed)"


def value_text(value, limit=160):
    if value is True:
        return "on"
    if value is False:
        return "off"
    if value is None:
        return "(unset)"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def value_changes(change):
    """(setting or None, before text, after text) for each setting a change makes."""
    before, after = change.get("before"), change.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        keys = list(after) + [key for key in before if key not in after]
        return [(key, value_text(before.get(key)), value_text(after.get(key))) for key in keys]
    return [(None, value_text(before), value_text(after))]


def change_text(change):
    parts = []
    for key, before, after in value_changes(change):
        parts.append("%s%s \u2192 %s" % ("%s: " % key if key else "", before, after))
    return "%s: %s" % (entry_label(change), ", ".join(parts))


def failure_text(failure):
    status = failure.get("status")
    return "%s: %s%s" % (entry_label(failure), "[%s] " % status if status not in (None, "") else "",
                         failure.get("error") or "failed")


# The protocol keys of mailbox changes, in the order people know them; others follow sorted.
PROTOCOL_ORDER = ("imap", "pop", "activesync", "mapi", "owa", "ews", "smtp_auth", "outlook_mobile", "mac_outlook",
                  "universal_outlook", "new_outlook")


def protocol_counts(report):
    """For each protocol key in mailbox changes: how many mailboxes go off, on, or to another value."""
    counts = {}
    for control in report["controls"]:
        for change in control["changes"]:
            if "mailbox" not in change or not isinstance(change.get("after"), dict):
                continue
            for key, value in change["after"].items():
                bucket = counts.setdefault(key, dict(off=0, on=0, other=0))
                if value is False or value == "disabled":
                    bucket["off"] += 1
                elif value is True or value == "enabled":
                    bucket["on"] += 1
                else:
                    bucket["other"] += 1
    known = [key for key in PROTOCOL_ORDER if key in counts]
    return [(key, counts[key]) for key in known + sorted(key for key in counts if key not in PROTOCOL_ORDER)]


# Files.

TIME_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}")


def same_apart_from_time(old, new, generated):
    """Whether ``old`` equals ``new`` where ``new`` shows the time ``generated`` and old any time.

    The renderers write the time as ``YYYY-MM-DDTHH:MM:SS`` (or with a space for the T), so a
    re-run that finds the same thing is not a change.
    """
    stamp = re.compile(re.escape(generated[:10]) + "[T ]" + re.escape(generated[11:19]))
    parts = stamp.split(new)
    position = 0
    for index, part in enumerate(parts):
        if index:
            match = TIME_PATTERN.match(old, position)
            if not match:
                return False
            position = match.end()
        if not old.startswith(part, position):
            return False
        position += len(part)
    return position == len(old)


def _read(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _write_atomically(path, text, file_mode=None):
    directory = os.path.dirname(path)
    mode = file_mode
    if mode is None and os.path.exists(path):
        mode = os.stat(path).st_mode & 0o7777
    elif mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_files(dest, contents, generated, file_mode=None, dir_mode=None):
    """Write ``{file name: text}`` into dest (created if missing); return (changed, {name: path}).

    Every file is rewritten, so that its time is this run's; ``changed`` is whether any
    file's content differs from what was there in anything but the time. ``dir_mode`` is the
    mode of a folder this creates (an existing folder keeps its own); ``file_mode`` the mode of
    every file written (None keeps an existing file's mode and gives a new one the umask's).
    """
    if not os.path.isdir(dest):
        os.makedirs(dest)
        if dir_mode is not None:
            os.chmod(dest, dir_mode)
    changed, paths = False, {}
    for name, text in contents.items():
        path = os.path.join(dest, name)
        old = _read(path)
        if old is None or not same_apart_from_time(old, text, generated):
            changed = True
        elif file_mode is not None and os.stat(path).st_mode & 0o7777 != file_mode:
            changed = True
        _write_atomically(path, text, file_mode)
        paths[name] = path
    return changed, paths


def parse_mode(value, option):
    """An octal permission string ("0600", "600") as an int; ValueError naming the option otherwise."""
    text = str(value).strip()
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if not text or mode < 0 or mode > 0o7777:
        raise ValueError("%s must be an octal mode such as \"0600\", got %r" % (option, value))
    return mode
