# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""The baseline report as JUnit XML (for CI systems), Markdown (for a pull request) and CSV (one
row per finding, for a spreadsheet or a GRC tool).

Both read the report dict that ``_report.build_report`` makes. The JUnit file follows the
Apache Ant schema that Jenkins, GitLab, Azure DevOps and GitHub test reporters read: a
drifting control is a ``<failure>``, an errored one an ``<error>``, a skipped one ``<skipped/>``.
"""

from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET

from ansible_collections.m365.admin.plugins.module_utils._report import (
    by_category,
    category_title,
    change_text,
    change_verb,
    display_time,
    entry_label,
    failure_text,
    frameworks_text,
    impact_entry_text,
    impact_headline,
    impact_heading,
    impact_mfa_heading,
    impact_mfa_text,
    impact_protected_text,
    impact_window_text,
    plural,
    target_nouns,
    tenant_label,
    value_changes,
    value_text,
    verdict,
)

# At most this many changes are listed in a JUnit failure (CI pages show them inline).
JUNIT_MAX_LINES = 50
# Characters XML 1.0 cannot carry, even escaped.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value):
    return XML_INVALID.sub("\ufffd", str(value))


def _lines(items, render, limit, total_noun):
    lines = [render(item) for item in items[:limit]]
    if len(items) > limit:
        lines.append("... and %d more %s (report.json lists them all)" % (len(items) - limit, total_noun))
    return lines


def _testcase(suite, control, limit):
    name = "%s: %s" % (control["id"], control["title"])
    if control.get("frameworks"):
        name += " [%s]" % frameworks_text(control)
    case = ET.SubElement(suite, "testcase", classname=xml_text(control["category"]), name=xml_text(name), time="0")
    counts = control["counts"]
    if control["status"] == "drift":
        message = "1 target drifts" if counts["changed"] == 1 else "%d targets drift" % counts["changed"]
        body = _lines(control["changes"], change_text, limit, "changes")
        ET.SubElement(case, "failure", type="drift", message=message).text = xml_text("\n".join(body))
    elif control["status"] == "error":
        body = [control["message"]] + _lines(control["failures"], failure_text, limit, "failures")
        ET.SubElement(case, "error", type="error", message=xml_text(control["message"])).text = xml_text("\n".join(body))
    elif control["status"] == "skipped":
        ET.SubElement(case, "skipped", message=xml_text(control["message"]))
    return case


def _system_out(report, controls, limit):
    """What the schema has no place for in a passing test case: what a real run remediated."""
    lines = []
    for control in controls:
        counts = control["counts"]
        lines.append("%s: %s (%s, %d compliant, %d %s, %d failed)"
                     % (control["id"], control["status"], plural(counts["targets"], "target"), counts["compliant"],
                        counts["changed"], change_verb(report["mode"]), counts["failed"]))
        if control["status"] == "remediated":
            lines.extend("  " + line for line in _lines(control["changes"], change_text, limit, "changes"))
    return xml_text("\n".join(lines))


def render_junit(report, max_items=1000):
    """junit.xml: one <testsuite> per category, one <testcase> per control."""
    limit = min(max_items, JUNIT_MAX_LINES)
    tenant = report["tenant"]
    timestamp = report["generated"][:19]
    hostname = tenant["default_domain"] or tenant["name"] or "localhost"
    package = tenant["name"] or tenant["default_domain"] or tenant["tenant_id"] or "tenant"
    root = ET.Element("testsuites")
    groups = by_category(report["controls"]) or [("baseline", [])]
    for index, (category, controls) in enumerate(groups):
        statuses = [control["status"] for control in controls]
        suite = ET.SubElement(root, "testsuite", name=xml_text(category), package=xml_text(package), id=str(index),
                              timestamp=timestamp, hostname=xml_text(hostname), tests=str(len(controls)),
                              failures=str(statuses.count("drift")), errors=str(statuses.count("error")),
                              skipped=str(statuses.count("skipped")), time="0")
        properties = ET.SubElement(suite, "properties")
        for name, value in (("tenant_id", tenant["tenant_id"]), ("tenant_name", tenant["name"]),
                            ("display_name", tenant["display_name"]), ("default_domain", tenant["default_domain"]),
                            ("mode", report["mode"]), ("generated", report["generated"])):
            ET.SubElement(properties, "property", name=name, value=xml_text(value))
        for control in controls:
            _testcase(suite, control, limit)
        ET.SubElement(suite, "system-out").text = _system_out(report, controls, limit)
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# Markdown.

STATUS_MARKS = {"compliant": "\u2705 compliant", "drift": "\u26a0\ufe0f drift", "remediated": "\U0001f527 remediated",
                "error": "\u274c error", "skipped": "\u23ed\ufe0f skipped"}
MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def md(value):
    """Text safe in Markdown: HTML escaped (GitHub renders HTML), Markdown punctuation escaped, one line."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    return MD_SPECIAL.sub(r"\\\1", text)


def _md_list(items, render, limit, noun):
    lines = ["- %s" % md(render(item)) for item in items[:limit]]
    if len(items) > limit:
        lines.append("")
        lines.append("_Showing the first %d of %d %s; report.json lists every one._" % (limit, len(items), noun))
    return lines


def _md_control_heading(control):
    heading = "### %s %s: %s" % (STATUS_MARKS[control["status"]].split(" ")[0], md(control["id"]), md(control["title"]))
    if control.get("frameworks"):
        heading += " (%s)" % md(frameworks_text(control))
    return heading


def _md_impact(impact, mode, max_items):
    """The impact section: who the changes cut off, from the sign-in logs."""
    lines = ["## Impact: %s" % ("who would be cut off" if mode == "audit" else "who was cut off"), ""]
    lines.extend(["**%s**" % md(impact_headline(impact, mode)), ""])
    if not impact["available"]:
        return lines
    lines.extend(["%s; successful sign-ins only." % md(impact_window_text(impact)), ""])
    for section in impact["protocols"]:
        lines.extend(["### %s" % md(impact_heading(section, mode)), ""])
        if section["mailboxes"]:
            lines.extend(_md_list(section["mailboxes"], impact_entry_text, max_items, "mailboxes"))
            lines.append("")
    if impact["mfa"]:
        lines.extend(["### %s" % md(impact_mfa_heading(impact, mode)), ""])
        lines.extend(_md_list(impact["mfa"], impact_mfa_text, max_items, "users"))
        lines.append("")
    if impact["protected"]:
        lines.extend(["### Kept on by the usage guard: %s" % plural(len(impact["protected"]), "protocol"), ""])
        lines.extend(_md_list(impact["protected"], impact_protected_text, max_items, "entries"))
        lines.append("")
    return lines


def render_markdown(report, max_items=1000):
    """report.md: a summary a person reads in a pull request."""
    mode = report["mode"]
    tenant = report["tenant"]
    level, headline, detail = verdict(report)
    changed_column = "Drift" if mode == "audit" else "Remediated"
    lines = ["# Microsoft 365 baseline %s: %s" % (mode, md(tenant_label(report))), ""]
    lines.append("**%s %s**%s" % (STATUS_MARKS[level].split(" ")[0], md(headline), " (%s)" % detail if detail else ""))
    lines.append("")
    identity = [md(value) for value in (tenant["default_domain"], tenant["tenant_id"], tenant["name"]) if value]
    lines.append("- Tenant: %s" % " \u00b7 ".join([md(tenant_label(report))] + identity))
    lines.append("- Mode: **%s** (%s)" % (mode, "check mode: the changes listed are those a real run would make"
                                          if mode == "audit" else "a real run: the changes listed were made"))
    lines.append("- Generated: %s" % display_time(report["generated"]))
    targets = report["summary"]["targets"]
    lines.append("- Targets: {:,} checked, {:,} compliant, {:,} {}, {:,} failed".format(
        targets["total"], targets["compliant"], targets["changed"], change_verb(mode), targets["failed"]))
    lines.append("")
    if report["controls"]:
        lines.append("| Status | Control | Category | Targets | Compliant | %s | Failed |" % changed_column)
        lines.append("|---|---|---|--:|--:|--:|--:|")
        for control in report["controls"]:
            counts = control["counts"]
            lines.append("| %s | %s: %s%s | %s | %d | %d | %d | %d |" % (
                STATUS_MARKS[control["status"]], md(control["id"]), md(control["title"]),
                " (%s)" % md(frameworks_text(control)) if control.get("frameworks") else "",
                md(category_title(control["category"])), counts["targets"], counts["compliant"], counts["changed"],
                counts["failed"]))
        lines.append("")
    if "impact" in report:
        lines.extend(_md_impact(report["impact"], mode, max_items))
    changed = [control for control in report["controls"] if control["changes"]]
    if changed:
        lines.append("## %s" % ("Drift" if mode == "audit" else "Remediated"))
        for control in changed:
            lines.extend(["", _md_control_heading(control), ""])
            if control["description"]:
                lines.extend(["Baseline: %s" % md(control["description"]), ""])
            noun = target_nouns(control)
            lines.append("%s %s:" % (plural(len(control["changes"]), *noun), change_verb(mode)))
            lines.append("")
            lines.extend(_md_list(control["changes"], change_text, max_items, "changes"))
        lines.append("")
    troubled = [control for control in report["controls"] if control["status"] == "error" or control["failures"]]
    if troubled:
        lines.append("## Errors and failures")
        for control in troubled:
            lines.extend(["", _md_control_heading(control), ""])
            if control["message"]:
                lines.extend(["> %s" % md(control["message"]), ""])
            if control["failures"]:
                lines.extend(_md_list(control["failures"], failure_text, max_items, "failures"))
        lines.append("")
    skipped = [control for control in report["controls"] if control["status"] == "skipped"]
    if skipped:
        lines.append("## Skipped")
        lines.append("")
        lines.extend("- %s: %s (%s)" % (md(control["id"]), md(control["title"]), md(control["message"]))
                     for control in skipped)
        lines.append("")
    lines.append("<sub>Generated by m365.admin.baseline_report, report schema %d.</sub>" % report["schema_version"])
    return "\n".join(lines) + "\n"


# CSV: every target-level finding, one row each (a change per setting, a failure, a setting kept
# by the usage guard, a name that was not found), and a control that failed as a whole.

CSV_COLUMNS = ("tenant", "mode", "control_id", "control_title", "category", "control_status", "frameworks", "finding",
               "target", "setting", "before", "after", "detail")
# A cell a spreadsheet would read as a formula (CSV injection) is quoted as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    text = " ".join(str(value).split()) if value is not None else ""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_rows(control, mode):
    """(finding, target, setting, before, after, detail) for each finding of one control."""
    kind = "drift" if mode == "audit" else "remediated"
    for change in control["changes"]:
        for setting, before, after in value_changes(change):
            yield kind, entry_label(change), setting or "", before, after, ""
    for failure in control["failures"]:
        status = failure.get("status")
        yield ("failure", entry_label(failure), "", "", "",
               "%s%s" % ("[%s] " % status if status not in (None, "") else "", failure.get("error") or "failed"))
    for kept in control["skipped_changes"]:
        yield ("kept", entry_label(kept), kept.get("setting") or "", value_text(kept.get("before")),
               value_text(kept.get("after")), kept.get("reason") or "")
    for option, names in sorted(control["missing"].items()):
        for name in names if isinstance(names, list) else [names]:
            yield "missing", name, option, "", "", "not found in the tenant"
    if control["status"] == "error" and not control["failures"]:
        yield "error", "", "", "", "", control["message"]


def render_csv(report, max_items=None):
    """findings.csv: every finding of every control (max_items does not apply: like report.json, all)."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for control in report["controls"]:
        for row in _csv_rows(control, report["mode"]):
            writer.writerow([_csv_cell(value) for value in (
                tenant_label(report), report["mode"], control["id"], control["title"], control["category"],
                control["status"], frameworks_text(control)) + tuple(row)])
    return stream.getvalue()
