# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader

from ansible_collections.m365.admin.plugins.lookup import unknown_variables as lookup_file
from ansible_collections.m365.admin.plugins.lookup.unknown_variables import unknown_variables

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")
PREFIXES = ["tenant_baseline_", "mfa_", "mail_protocols_"]


def lookup():
    # Through the plugin loader, which gives the plugin its documented options.
    return lookup_loader.get("m365.admin.unknown_variables")


def _load(*parts):
    with open(os.path.join(ROLES, *parts)) as handle:
        return yaml.safe_load(handle)


def known_names():
    names = set(_load("tenant_baseline", "vars", "main.yml")["tenant_baseline_internal_variables"])
    for role in ("tenant_baseline", "mfa", "mail_protocols"):
        names.update(_load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"])
    return names


def test_a_typo_is_reported_with_the_closest_known_name():
    found = unknown_variables(["mfa_stat", "mfa_state", "ansible_check_mode", "mail_protocols_defualt"],
                              PREFIXES, ["mfa_state", "mfa_all_users", "mail_protocols_default"])
    assert found == [dict(name="mail_protocols_defualt", closest="mail_protocols_default"),
                     dict(name="mfa_stat", closest="mfa_state")]


def test_a_name_like_nothing_known_has_no_suggestion():
    assert unknown_variables(["mfa_zzzzzzzzzzzz"], ["mfa_"], ["mfa_state"]) == [dict(name="mfa_zzzzzzzzzzzz",
                                                                                     closest="")]


def test_known_names_and_other_prefixes_are_left_alone():
    assert unknown_variables(["mfa_state", "m365_tenant_id", "inventory_hostname"], PREFIXES, ["mfa_state"]) == []


def test_the_lookup_warns_once_per_unknown_variable(monkeypatch):
    warnings = []
    monkeypatch.setattr(lookup_file.display, "warning", warnings.append)
    result = lookup().run([], variables={"mfa_stat": "enforced", "mfa_state": ""},
                          prefixes=["mfa_"], known=["mfa_state"])
    assert result == [dict(name="mfa_stat", closest="mfa_state")]
    assert warnings == ["The variable mfa_stat is not one the baseline's roles read, did you mean mfa_state?; "
                        "it has no effect."]


def test_the_lookup_can_stay_quiet(monkeypatch):
    warnings = []
    monkeypatch.setattr(lookup_file.display, "warning", warnings.append)
    result = lookup().run([], variables={"mfa_stat": 1}, prefixes=["mfa_"], known=["mfa_state"], warn=False)
    assert result == [dict(name="mfa_stat", closest="mfa_state")] and warnings == []


def test_the_lookup_needs_a_prefix():
    with pytest.raises(AnsibleError, match="prefixes"):
        lookup().run([], variables={}, prefixes=[], known=[])


def _names_the_roles_set():
    """Every variable a task of the three roles registers, sets as a fact, or uses as task vars or loop index."""
    names = set()
    for role in ("tenant_baseline", "mfa", "mail_protocols"):
        stack = list(_load(role, "tasks", "main.yml"))
        while stack:
            task = stack.pop()
            for key in ("block", "rescue", "always"):
                stack.extend(task.get(key) or [])
            if task.get("register"):
                names.add(task["register"])
            names.update((task.get("ansible.builtin.set_fact") or {}).keys())
            names.update((task.get("vars") or {}).keys())
            names.update(v for k, v in (task.get("loop_control") or {}).items() if k == "index_var")
    return set(name for name in names if name.startswith(tuple(PREFIXES)))


def test_every_variable_the_roles_set_is_known_so_that_no_run_warns_about_its_own():
    set_by_roles = _names_the_roles_set()
    assert {"tenant_baseline_report", "mfa_result", "mail_protocols_index"} <= set_by_roles
    # Variables handed to the included roles (mfa_break_glass_accounts...) are options of those roles.
    assert sorted(set_by_roles - known_names()) == []
