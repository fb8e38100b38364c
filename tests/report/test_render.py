# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html renders in headless Chromium (Debian's chromium package) without console errors.

Each case writes its page and a screenshot into M365_REPORT_SCREENSHOTS (default:
tests/output/report-screenshots) so that a person can look at them. Skipped when Chromium
is not installed (apt-get install -y chromium).
"""

from __future__ import annotations

import os
import pathlib
import shutil
import struct
import subprocess
import tempfile
import zlib

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _report
from ansible_collections.m365.admin.plugins.module_utils._report_html import render_html
from ansible_collections.m365.admin.tests.unit.report_samples import (
    TENANT,
    bulk,
    mailbox_changes,
    sample_controls,
    sample_usage,
    user_changes,
)

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install -y chromium)")

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTPUT = pathlib.Path(os.environ.get("M365_REPORT_SCREENSHOTS") or ROOT / "tests" / "output" / "report-screenshots")
TIME = "2026-05-01T10:20:30Z"
WIDTH, HEIGHT = 1280, 2000
# Would run in the page, and log to the console, if any value were not escaped.
INJECTED = '<script>console.error("injected")</script><img src=x onerror="console.error(1)">@contoso.com'


def screenshot(page, png):
    """Render ``page`` (a file) into ``png``; return Chromium's log lines that come from the page's console."""
    profile = tempfile.mkdtemp(prefix="m365-chromium-")
    try:
        command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--user-data-dir=%s" % profile, "--enable-logging=stderr", "--v=0",
                   "--screenshot=%s" % png, "--window-size=%d,%d" % (WIDTH, HEIGHT), page.as_uri()]
        process = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert process.returncode == 0, process.stderr[-3000:]
    return [line for line in process.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def png_facts(path):
    """(width, height, distinct byte values of the image data): a blank page has very few."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IDAT":
            idat += data[position + 8:position + 8 + length]
        position += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def render_case(name, controls, mode="audit", tenant=None, max_items=1000, usage=None):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    report = _report.build_report(TENANT if tenant is None else tenant, mode, controls, TIME, usage=usage)
    page = OUTPUT / ("%s.html" % name)
    page.write_text(render_html(report, max_items), encoding="utf-8")
    png = OUTPUT / ("%s.png" % name)
    if png.exists():
        png.unlink()
    return screenshot(page, png), png


CASES = {
    "audit": lambda: dict(controls=sample_controls()),
    "enforce": lambda: dict(controls=sample_controls(), mode="enforce"),
    "empty": lambda: dict(controls=[]),
    "impact": lambda: dict(controls=sample_controls(), usage=sample_usage()),
    "impact_unavailable": lambda: dict(controls=sample_controls(), usage=dict(failed=True, msg=INJECTED)),
    "large": lambda: dict(controls=[dict(id="mfa.per_user", title="Per-user MFA enforced", category="mfa",
                                         result=bulk(user_changes(20000), 24000)),
                                    dict(id="mail.protocols.default", title="Legacy protocols off",
                                         category="mail_protocols", result=bulk(mailbox_changes(20000), 20000))]),
    "hostile": lambda: dict(controls=[dict(id=INJECTED, title=INJECTED, category=INJECTED, description=INJECTED,
                                           result=bulk([dict(mailbox=INJECTED, before={INJECTED: True},
                                                             after={INJECTED: False})], 2)),
                                      dict(id="error", result=dict(failed=True, msg=INJECTED))],
                            tenant=dict(display_name=INJECTED, default_domain=INJECTED)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_report_renders_without_console_errors(name):
    console, png = render_case(name, **CASES[name]())
    assert console == []
    assert png.exists() and png.stat().st_size > 20000
    width, height, distinct = png_facts(png)
    assert (width, height) == (WIDTH, HEIGHT)
    assert distinct > 64, "the screenshot looks blank"


def test_the_console_check_catches_a_page_error(tmp_path):
    """A page whose script fails is caught, so an empty console list above means something."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>broken</p><script>undefinedFunction();</script></body></html>")
    console = screenshot(page, tmp_path / "broken.png")
    assert any("Uncaught ReferenceError" in line for line in console)
