# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""The baseline report as one self-contained HTML page.

Inline CSS and inline SVG charts only: no script, no font, no image, no link to anything, so
the page opens the same from a CI artifact, a mail attachment or a file share. Every value
from the report goes through ``esc`` (``html.escape``), attributes included.
"""

from __future__ import annotations

import html

from ansible_collections.m365.admin.plugins.module_utils._report import (
    by_category,
    category_title,
    change_verb,
    display_time,
    entry_label,
    frameworks_text,
    impact_headline,
    impact_heading,
    impact_mfa_heading,
    impact_window_text,
    plural,
    protocol_counts,
    target_nouns,
    tenant_label,
    value_changes,
    verdict,
)

PROTOCOL_NAMES = {
    "imap": "IMAP", "pop": "POP", "activesync": "Exchange ActiveSync", "mapi": "MAPI (Outlook for Windows)",
    "owa": "Outlook on the web", "ews": "Exchange Web Services", "smtp_auth": "SMTP AUTH",
    "outlook_mobile": "Outlook mobile", "mac_outlook": "Outlook for Mac", "universal_outlook": "Windows Mail",
    "new_outlook": "New Outlook for Windows",
}
STATUS_LABELS = {"compliant": "Compliant", "drift": "Drift", "remediated": "Remediated", "error": "Error",
                 "skipped": "Skipped"}
COLORS = {"compliant": "#16a34a", "drift": "#f59e0b", "remediated": "#2563eb", "failed": "#dc2626",
          "error": "#dc2626", "skipped": "#9ca3af", "track": "#eef1f6", "off": "#4f46e5", "on": "#d97706",
          "other": "#94a3b8"}

CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f5f9;--panel:#fff;--navy:#0b2545}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.5 "Segoe UI",-apple-system,Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif}
.wrap{max-width:1180px;margin:0 auto;padding:0 28px}
header.top{background:linear-gradient(120deg,#0b2545 0%,#13315c 60%,#1d4e89 100%);color:#fff;padding:28px 0 64px}
.eyebrow{text-transform:uppercase;letter-spacing:.12em;font-size:12px;opacity:.75;font-weight:600}
header h1{margin:6px 0 4px;font-size:30px;font-weight:600;letter-spacing:-.01em}
.ids{opacity:.85;font-size:13px}.ids span+span:before{content:"\\00b7";margin:0 8px;opacity:.6}
.chips{margin-top:14px;display:flex;gap:10px;flex-wrap:wrap;align-items:center}
.chip{display:inline-block;border-radius:999px;padding:3px 12px;font-size:12px;font-weight:600;
background:rgba(255,255,255,.14);border:1px solid rgba(255,255,255,.25)}
main.wrap{margin-top:-44px;padding-bottom:40px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:20px 22px;margin:0 0 18px;
box-shadow:0 1px 2px rgba(16,24,40,.05)}
h2{font-size:17px;margin:0 0 4px;font-weight:600}
h3{font-size:15px;margin:22px 0 6px;font-weight:600;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.sub{color:var(--muted);font-size:13px;margin:0 0 14px}
.verdict{display:flex;gap:16px;align-items:center;border-left:6px solid}
.verdict .icon{flex:none;width:40px;height:40px}
.verdict strong{font-size:18px;display:block;font-weight:600}
.v-compliant{border-left-color:#16a34a}.v-drift{border-left-color:#f59e0b}.v-remediated{border-left-color:#2563eb}
.v-error{border-left-color:#dc2626}.v-skipped{border-left-color:#9ca3af}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:14px;margin-bottom:18px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:14px 16px;border-top:4px solid #cbd5e1}
.card .n{font-size:28px;font-weight:650;line-height:1.2;font-variant-numeric:tabular-nums}
.card .l{color:#374151;font-size:12px;text-transform:uppercase;letter-spacing:.06em;font-weight:600}
.card .s{color:var(--muted);font-size:12px}
.c-compliant{border-top-color:#16a34a}.c-drift{border-top-color:#f59e0b}.c-remediated{border-top-color:#2563eb}
.c-error{border-top-color:#dc2626}.c-skipped{border-top-color:#9ca3af}.c-targets{border-top-color:#0b2545}
svg{display:block;width:100%;height:auto}
svg text{font-family:"Segoe UI",-apple-system,Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif}
.legend{display:flex;gap:18px;flex-wrap:wrap;font-size:12px;color:var(--muted);margin-top:8px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em;
border-bottom:2px solid var(--line);padding:8px 10px;background:#fafbfc}
td{border-bottom:1px solid var(--line);padding:7px 10px;vertical-align:top;overflow-wrap:anywhere}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.cat td{background:#f8fafc;font-weight:600;color:#334155;font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.pill{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:600;white-space:nowrap}
.p-compliant{background:#dcfce7;color:#166534}.p-drift{background:#fef3c7;color:#92400e}
.p-remediated{background:#dbeafe;color:#1e40af}.p-error{background:#fee2e2;color:#991b1b}
.p-skipped{background:#e5e7eb;color:#374151}
.cid{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
.desc{color:var(--muted);font-size:12.5px}
td.id{color:var(--muted);font-size:12px;width:32%}
.chg{display:inline-block;margin:1px 6px 1px 0;padding:0 6px;border-radius:4px;background:#f1f5f9}
.chg b{font-weight:600}.from{color:#9f1239}.to{color:#166534;font-weight:600}
.note{background:#fffbeb;border:1px solid #fde68a;color:#78350f;border-radius:8px;padding:8px 12px;margin:10px 0;font-size:13px}
.err{background:#fef2f2;border:1px solid #fecaca;color:#7f1d1d;border-radius:8px;padding:10px 12px;margin:8px 0;
white-space:pre-wrap;font-size:13px}
.empty{color:var(--muted);font-style:italic;margin:4px 0}
footer{color:var(--muted);font-size:12px;text-align:center;padding:8px 0 24px}
@media print{body{background:#fff}header.top{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.panel,.card{box-shadow:none;break-inside:avoid}}
"""

# Status icons for the verdict (24x24 paths, drawn in the status colour).
ICONS = {
    "compliant": '<path d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z" fill="#fff"/>',
    "drift": '<path d="M11 7h2v7h-2zm0 9h2v2h-2z" fill="#fff"/>',
    "remediated": '<path d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z" fill="#fff"/>',
    "error": '<path d="M7.8 6.4 12 10.6l4.2-4.2 1.4 1.4-4.2 4.2 4.2 4.2-1.4 1.4-4.2-4.2-4.2 4.2-1.4-1.4 4.2-4.2-4.2-4.2z" '
             'fill="#fff"/>',
    "skipped": '<path d="M7 11h10v2H7z" fill="#fff"/>',
}


IDENTITY_KEYS = ("id", "guid", "plan")
CHART_NOTES = {
    "audit": "The share of each control's targets that comply, and those a real run would change.",
    "enforce": "The share of each control's targets that already complied, and those this run changed.",
}
# Both charts share one coordinate width, so that their text is drawn at the same size.
CHART_WIDTH = 980


def esc(value):
    return html.escape(str(value), quote=True)


def num(value):
    return "{:,}".format(value)


def percent(part, whole):
    """Whole percent, rounded down so that 99.9% never reads 100%; "<1%" for a non-zero sliver."""
    if part and part * 100 < whole:
        return "<1%"
    return "%d%%" % (part * 100 // whole)


def short(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def pill(status):
    return '<span class="pill p-%s">%s</span>' % (status, STATUS_LABELS[status])


def _header(report):
    tenant = report["tenant"]
    ids = [value for value in (tenant["default_domain"], tenant["tenant_id"],
                               "inventory host %s" % tenant["name"] if tenant["name"] else "") if value]
    mode = ("Audit \u00b7 check mode, nothing was changed" if report["mode"] == "audit"
            else "Enforce \u00b7 changes were made")
    return ('<header class="top"><div class="wrap"><div class="eyebrow">Microsoft 365 baseline report</div>'
            '<h1>%s</h1><div class="ids">%s</div><div class="chips"><span class="chip">%s</span>'
            '<span class="chip"><time datetime="%s">%s</time></span></div></div></header>'
            % (esc(tenant_label(report)), "".join("<span>%s</span>" % esc(value) for value in ids), esc(mode),
               esc(report["generated"]), esc(display_time(report["generated"]))))


def _verdict(report):
    level, headline, detail = verdict(report)
    if report["mode"] == "audit":
        explain = "Audit run in check mode: the changes listed are those a real run would make."
    else:
        explain = "Enforcing run: the changes listed were made to the tenant."
    return ('<section class="panel verdict v-%s"><svg class="icon" viewBox="0 0 24 24" role="img" aria-label="%s">'
            '<circle cx="12" cy="12" r="12" fill="%s"/>%s</svg><div><strong>%s</strong><span class="sub">%s%s</span>'
            '</div></section>' % (level, STATUS_LABELS[level], COLORS[level], ICONS[level], esc(headline),
                                  esc(detail + ". ") if detail else "", esc(explain)))


def _cards(report):
    controls = report["summary"]["controls"]
    targets = report["summary"]["targets"]
    audit = report["mode"] == "audit"
    changed_status = "drift" if audit else "remediated"
    cards = [
        ("compliant", "%s / %s" % (num(controls["compliant"]), num(controls["total"])), "Controls compliant",
         "%s skipped" % num(controls["skipped"]) if controls["skipped"] else "none skipped"),
        (changed_status, num(controls[changed_status]), "Controls drifting" if audit else "Controls remediated",
         "a real run would change them" if audit else "brought back in line"),
        ("error", num(controls["error"]), "Controls in error", "could not be checked"),
        ("targets", num(targets["total"]), "Targets checked", "users, mailboxes, plans, policies"),
        (changed_status, num(targets["changed"]), "Targets that %s" % change_verb(report["mode"]),
         "%s of targets %s" % (percent(targets["compliant"], targets["total"]), "compliant" if audit else "already compliant")
         if targets["total"] else ""),
        ("error", num(targets["failed"]), "Targets failed", "could not be read or changed"),
    ]
    return '<section class="cards">%s</section>' % "".join(
        '<div class="card c-%s"><div class="n">%s</div><div class="l">%s</div><div class="s">%s</div></div>'
        % (kind, value, esc(label), esc(sub)) for kind, value, label, sub in cards)


def _legend(items):
    return '<div class="legend">%s</div>' % "".join(
        '<span><i style="background:%s"></i>%s</span>' % (color, esc(label)) for color, label in items)


def _bar(x, y, width, height, segments, total):
    """Stacked segments (colour, count, label) across ``width``; each with a tooltip."""
    parts = ['<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s"/>' % (x, y, width, height, COLORS["track"])]
    offset = 0.0
    for color, count, label in segments:
        if not count or not total:
            continue
        span = width * count / float(total)
        parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>'
                     % (x + offset, y, max(span, 1.5), height, color, esc("%s: %s" % (label, num(count)))))
        offset += span
    return "".join(parts)


def _control_chart(report):
    controls = report["controls"]
    if not controls:
        return '<p class="empty">No controls were reported.</p>'
    changed_status = "drift" if report["mode"] == "audit" else "remediated"
    row, bar_x, bar_width = 46, 340, 440
    rows = []
    for index, control in enumerate(controls):
        y = index * row + 8
        counts = control["counts"]
        status = control["status"]
        segments = [(COLORS["compliant"], counts["compliant"], "Compliant"),
                    (COLORS[changed_status], counts["changed"], STATUS_LABELS[changed_status]),
                    (COLORS["failed"], counts["failed"], "Failed")]
        if counts["targets"]:
            figure = '<tspan font-weight="600">%s</tspan><tspan fill="#6b7280"> \u00b7 %s of %s</tspan>' % (
                percent(counts["compliant"], counts["targets"]), num(counts["compliant"]), num(counts["targets"]))
        else:
            figure = esc(STATUS_LABELS[status].lower())
        rows.append(
            '<g><title>%s</title><circle cx="6" cy="%d" r="5" fill="%s"/>'
            '<text x="18" y="%d" font-size="13" font-weight="600" fill="#1f2937">%s</text>'
            '<text x="18" y="%d" font-size="11.5" fill="#6b7280">%s</text>%s'
            '<text x="%d" y="%d" font-size="12.5" fill="#374151">%s</text></g>'
            % (esc("%s: %s" % (control["id"], STATUS_LABELS[status])), y + 10, COLORS[status], y + 14,
               esc(short(control["id"], 44)), y + 30, esc(short(control["title"], 52)),
               _bar(bar_x, y + 6, bar_width, 20, segments, counts["targets"]),
               bar_x + bar_width + 14, y + 21, figure))
    height = len(controls) * row + 8
    svg = ('<svg viewBox="0 0 %d %d" role="img" aria-label="Compliance per control">%s</svg>'
           % (CHART_WIDTH, height, "".join(rows)))
    return svg + _legend([(COLORS["compliant"], "Compliant targets"),
                          (COLORS[changed_status], "Targets that %s" % change_verb(report["mode"])),
                          (COLORS["failed"], "Failed targets")])


def _protocol_chart(report):
    counts = protocol_counts(report)
    if not counts:
        return '<p class="empty">No mailbox protocol setting %s.</p>' % change_verb(report["mode"])
    largest = max(sum(bucket.values()) for _key, bucket in counts)
    row, bar_x, bar_width = 34, 240, 560
    rows = []
    for index, (key, bucket) in enumerate(counts):
        y = index * row + 6
        total = sum(bucket.values())
        segments = [(COLORS["off"], bucket["off"], "Turned off"), (COLORS["on"], bucket["on"], "Turned on"),
                    (COLORS["other"], bucket["other"], "Other value")]
        rows.append('<text x="0" y="%d" font-size="13" fill="#1f2937">%s</text>%s'
                    '<text x="%d" y="%d" font-size="12.5" fill="#374151">%s</text>'
                    % (y + 17, esc(short(PROTOCOL_NAMES.get(key, key), 30)),
                       _bar(bar_x, y + 4, max(int(bar_width * total / float(largest)), 2), 18, segments, total),
                       bar_x + bar_width + 14, y + 18, esc(plural(total, "mailbox", "mailboxes"))))
    svg = ('<svg viewBox="0 0 %d %d" role="img" aria-label="Mailbox changes per protocol">%s</svg>'
           % (CHART_WIDTH, len(counts) * row + 8, "".join(rows)))
    return svg + _legend([(COLORS["off"], "Turned off (or disabled)"), (COLORS["on"], "Turned on (or enabled)"),
                          (COLORS["other"], "Other value (such as inherit)")])


def _controls_table(report):
    if not report["controls"]:
        return ""
    changed_title = "Drift" if report["mode"] == "audit" else "Remediated"
    rows = []
    for category, controls in by_category(report["controls"]):
        rows.append('<tr class="cat"><td colspan="6">%s</td></tr>' % esc(category_title(category)))
        for control in controls:
            counts = control["counts"]
            description = '<div class="desc">%s</div>' % esc(control["description"]) if control["description"] else ""
            if control.get("frameworks"):
                description += '<div class="desc">%s</div>' % esc(frameworks_text(control))
            rows.append('<tr><td>%s</td><td><span class="cid">%s</span><div>%s</div>%s</td>%s</tr>' % (
                pill(control["status"]), esc(control["id"]), esc(control["title"]), description,
                "".join('<td class="num">%s</td>' % num(counts[key])
                        for key in ("targets", "compliant", "changed", "failed"))))
    return ('<section class="panel"><h2>Controls</h2><p class="sub">Every control of the baseline, by category.</p>'
            '<table><thead><tr><th>Status</th><th>Control</th><th class="num">Targets</th>'
            '<th class="num">Compliant</th><th class="num">%s</th><th class="num">Failed</th></tr></thead>'
            '<tbody>%s</tbody></table></section>' % (changed_title, "".join(rows)))


def _change_cell(change):
    return "".join('<span class="chg">%s<span class="from">%s</span> \u2192 <span class="to">%s</span></span>'
                   % ("<b>%s</b> " % esc(key) if key else "", esc(before), esc(after))
                   for key, before, after in value_changes(change))


def _identity(entry):
    label = entry_label(entry)
    for key in IDENTITY_KEYS:
        if entry.get(key) not in (None, "") and str(entry[key]) != label:
            return esc(entry[key])
    return ""


def _truncated(shown, total, noun):
    if total <= shown:
        return ""
    return ('<div class="note">Showing the first %s of %s %s. report.json lists every one.</div>'
            % (num(shown), num(total), esc(noun)))


def _changes_table(control, mode, max_items):
    singular, nouns = target_nouns(control)
    changes = control["changes"]
    shown = changes[:max_items]
    with_id = any(_identity(change) for change in shown)
    rows = "".join('<tr><td>%s</td>%s<td>%s</td></tr>'
                   % (esc(entry_label(change)), '<td class="cid id">%s</td>' % _identity(change) if with_id else "",
                      _change_cell(change)) for change in shown)
    return ('<p class="sub">%s %s.</p>%s<table><thead><tr><th>%s</th>%s<th>Change (before \u2192 after)</th>'
            '</tr></thead><tbody>%s</tbody></table>'
            % (esc(plural(len(changes), singular, nouns)), change_verb(mode), _truncated(len(shown), len(changes), nouns),
               esc(singular.capitalize()), "<th>Id</th>" if with_id else "", rows))


def _failures_table(control, max_items):
    failures = control["failures"]
    shown = failures[:max_items]
    rows = "".join('<tr><td>%s</td><td class="num">%s</td><td>%s</td></tr>'
                   % (esc(entry_label(failure)), esc(failure.get("status", "")), esc(failure.get("error", "")))
                   for failure in shown)
    return ('<table><thead><tr><th>Target</th><th class="num">Status</th><th>Error</th></tr></thead><tbody>%s'
            '</tbody></table>%s' % (rows, _truncated(len(shown), len(failures), "failures")))


def _heading(control):
    return '<h3>%s <span class="cid">%s</span> %s</h3>' % (
        pill(control["status"]), esc(control["id"]), esc(control["title"]))


def _missing(control):
    if not control["missing"]:
        return ""
    return '<div class="note">Names not found: %s</div>' % esc("; ".join(
        "%s: %s" % (key, ", ".join(str(name) for name in names)) for key, names in sorted(control["missing"].items())))


def _details(report, max_items):
    mode = report["mode"]
    changed = [control for control in report["controls"] if control["changes"]]
    troubled = [control for control in report["controls"]
                if control["status"] in ("error", "skipped") or control["failures"] or control["missing"]]
    title = "Non-compliant users and mailboxes" if mode == "audit" else "Users and mailboxes remediated"
    parts = ['<section class="panel"><h2>%s</h2>' % title]
    if not changed:
        parts.append('<p class="empty">Nothing %s.</p>' % change_verb(mode))
    for control in changed:
        parts.append(_heading(control))
        if control["description"]:
            parts.append('<p class="desc">Baseline: %s</p>' % esc(control["description"]))
        parts.append(_changes_table(control, mode, max_items))
    parts.append("</section>")
    if troubled:
        parts.append('<section class="panel"><h2>Errors, failures and skipped controls</h2>')
        for control in troubled:
            parts.append(_heading(control))
            if control["message"]:
                parts.append('<div class="%s">%s</div>' % ("err" if control["status"] == "error" else "desc",
                                                           esc(control["message"])))
            parts.append(_missing(control))
            if control["failures"]:
                parts.append(_failures_table(control, max_items))
        parts.append("</section>")
    return "".join(parts)


def _impact_rows(entries, columns, max_items):
    shown = entries[:max_items]
    return "".join("<tr>%s</tr>" % "".join("<td%s>%s</td>" % (cls, esc(value(entry))) for cls, value in columns)
                   for entry in shown)


def _impact_table(headers, entries, columns, max_items, noun):
    return ('<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>%s'
            % ("".join("<th>%s</th>" % esc(header) for header in headers), _impact_rows(entries, columns, max_items),
               _truncated(min(len(entries), max_items), len(entries), noun)))


IMPACT_MAILBOX_COLUMNS = (
    ("", lambda entry: entry.get("mailbox") or ""),
    (' class="num"', lambda entry: "{:,}".format(int(entry.get("sign_ins") or 0))),
    ("", lambda entry: display_time(entry["last_sign_in"]) if entry.get("last_sign_in") else ""),
    ("", lambda entry: ", ".join(entry.get("clients") or [])),
    (' class="cid"', lambda entry: entry.get("control") or ""),
)
IMPACT_MFA_COLUMNS = (
    ("", lambda entry: entry["user_principal_name"]),
    ("", lambda entry: ", ".join(entry["protocols"])),
    ("", lambda entry: display_time(entry["last_sign_in"]) if entry.get("last_sign_in") else ""),
    ("", lambda entry: str(entry.get("before") or "")),
)
IMPACT_PROTECTED_COLUMNS = (
    ("", lambda entry: entry.get("mailbox") or ""),
    ("", lambda entry: entry.get("setting") or ""),
    ("", lambda entry: entry.get("reason") or ""),
)


def _impact(report, max_items):
    """Who the changes cut off: per protocol turned off, the mailboxes that used it; MFA and legacy users."""
    impact, mode = report["impact"], report["mode"]
    parts = ['<section class="panel impact"><h2>Impact: %s</h2>'
             % ("who would be cut off" if mode == "audit" else "who was cut off")]
    # A cloud without sign-in logs is a fact of the tenant, not a failure of the run.
    level = ("note" if impact.get("reason") == "cloud" else "err") if not impact["available"] else \
        ("note" if impact["total"] else "desc")
    parts.append('<div class="%s">%s</div>' % (level, esc(impact_headline(impact, mode))))
    if impact["available"]:
        parts.append('<p class="sub">%s; successful sign-ins only.</p>' % esc(impact_window_text(impact)))
        for section in impact["protocols"]:
            parts.append("<h3>%s</h3>" % esc(impact_heading(section, mode)))
            if section["mailboxes"]:
                parts.append(_impact_table(("Mailbox", "Sign-ins", "Last", "Clients", "Control"), section["mailboxes"],
                                           IMPACT_MAILBOX_COLUMNS, max_items, "mailboxes"))
        if impact["mfa"]:
            parts.append("<h3>%s</h3>" % esc(impact_mfa_heading(impact, mode)))
            parts.append(_impact_table(("User", "Legacy protocols", "Last", "MFA before"), impact["mfa"],
                                       IMPACT_MFA_COLUMNS, max_items, "users"))
        if impact["protected"]:
            parts.append("<h3>Kept on by the usage guard: %s</h3>" % esc(plural(len(impact["protected"]), "protocol")))
            parts.append(_impact_table(("Mailbox", "Setting", "Reason"), impact["protected"],
                                       IMPACT_PROTECTED_COLUMNS, max_items, "entries"))
    parts.append("</section>")
    return "".join(parts)


def render_html(report, max_items=1000):
    """report.html: one page, no external assets, no script."""
    mode = report["mode"]
    title = "Baseline %s \u00b7 %s" % (mode, tenant_label(report))
    body = [
        _header(report), '<main class="wrap">', _verdict(report), _cards(report),
        '<section class="panel"><h2>Compliance per control</h2><p class="sub">%s Hover a bar for counts.</p>%s'
        '</section>' % (CHART_NOTES[mode], _control_chart(report)),
        '<section class="panel"><h2>Mail protocols</h2><p class="sub">Mailboxes whose protocol setting %s, per '
        'protocol.</p>%s</section>' % (change_verb(mode), _protocol_chart(report)),
        _impact(report, max_items) if "impact" in report else "",
        _controls_table(report), _details(report, max_items),
        '<footer>Generated by m365.admin.baseline_report \u00b7 report schema %d \u00b7 %s</footer></main>'
        % (report["schema_version"], esc(display_time(report["generated"]))),
    ]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="generator" content="m365.admin.baseline_report">'
            '<title>%s</title><style>%s</style></head><body>%s</body></html>\n'
            % (esc(title), CSS, "\n".join(body)))
