# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""junit.xml validates against the Apache Ant JUnit schema that CI systems read (junit.xsd here)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _report
from ansible_collections.m365.admin.plugins.module_utils._report_text import render_junit
from ansible_collections.m365.admin.tests.unit.report_samples import TENANT, bulk, sample_controls, user_changes

xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is in tests/requirements.txt")

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "junit.xsd")
TIME = "2026-05-01T10:20:30Z"
EVIL = '<script>alert("x")</script>\x00&"\'\U0001f600@contoso.com'


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(SCHEMA_PATH)


def junit(controls, mode="audit", tenant=None, max_items=1000):
    return render_junit(_report.build_report(TENANT if tenant is None else tenant, mode, controls, TIME), max_items)


CASES = {
    "audit with drift, errors and skipped controls": lambda: junit(sample_controls()),
    "enforce": lambda: junit(sample_controls(), mode="enforce"),
    "no controls": lambda: junit([]),
    "no tenant details": lambda: junit(sample_controls(), tenant={}),
    "20,000 changes": lambda: junit([dict(id="mfa", result=bulk(user_changes(20000), 20000))]),
    "hostile values": lambda: junit([dict(id=EVIL, title=EVIL, category=EVIL, description=EVIL,
                                          result=bulk([dict(user_principal_name=EVIL, before=EVIL, after=EVIL)], 1)),
                                     dict(id="error", result=dict(failed=True, msg=EVIL)),
                                     dict(id="skipped", result=dict(skipped=True, skip_reason=EVIL))],
                                    tenant=dict(name=EVIL, display_name=EVIL, default_domain=EVIL)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_junit_validates_against_the_schema(schema, name):
    document = CASES[name]()
    errors = list(schema.iter_errors(document))
    assert errors == [], "\n".join(str(error) for error in errors[:3])


def test_the_schema_rejects_what_ci_systems_would_not_read(schema):
    """The check has teeth: a time zone in the timestamp, or a suite without properties, is invalid."""
    valid = junit(sample_controls())
    assert schema.is_valid(valid)
    assert not schema.is_valid(valid.replace('timestamp="2026-05-01T10:20:30"', 'timestamp="2026-05-01T10:20:30Z"'))
    assert not schema.is_valid(valid.replace("<properties>", "<x>", 1).replace("</properties>", "</x>", 1))
