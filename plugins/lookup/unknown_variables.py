# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: unknown_variables
short_description: Warn about variables with a role's prefix that no role knows (typos)
version_added: 0.2.0
description:
  - Lists the variables whose names start with one of O(prefixes) but are not in O(known), and warns about
    each, naming the closest known variable. A typo in a role variable (C(mfa_stat) for C(mfa_state)) is
    otherwise silently ignored, and with it the control the variable turns on.
  - The baseline role runs it before anything is written.
author:
  - m365.admin maintainers (@m365-admin)
options:
  _terms:
    description: Not used.
    required: false
  prefixes:
    description: Name prefixes to look at, such as C(mfa_).
    type: list
    elements: str
    required: true
  known:
    description: Every variable name the roles read or set.
    type: list
    elements: str
    required: true
  warn:
    description: Whether to show a warning for each unknown variable (the list is returned either way).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Warn about typos in the variables of the mfa role
  ansible.builtin.set_fact:
    unknown: "{{ query('m365.admin.unknown_variables', prefixes=['mfa_'], known=['mfa_state', 'mfa_all_users']) }}"
"""

RETURN = r"""
_raw:
  description: One entry per unknown variable, sorted by name.
  type: list
  elements: dict
  contains:
    name:
      description: The variable's name.
      type: str
    closest:
      description: The known variable it most resembles, or an empty string.
      type: str
"""

import difflib

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

display = Display()


def unknown_variables(names, prefixes, known):
    """The names with one of the prefixes that are not known, each with the closest known name."""
    known = set(known)
    found = []
    for name in sorted(set(names)):
        if name in known or not any(name.startswith(prefix) for prefix in prefixes):
            continue
        candidates = [other for other in known if other.startswith(tuple(p for p in prefixes if name.startswith(p)))]
        closest = difflib.get_close_matches(name, sorted(candidates) or sorted(known), n=1, cutoff=0.6)
        found.append(dict(name=name, closest=closest[0] if closest else ""))
    return found


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        prefixes = self.get_option("prefixes")
        known = self.get_option("known")
        if not prefixes:
            raise AnsibleError("unknown_variables: prefixes must name at least one prefix")
        found = unknown_variables(list(variables or {}), prefixes, known)
        if self.get_option("warn"):
            for entry in found:
                display.warning(
                    "The variable %s is not one the baseline's roles read%s; it has no effect."
                    % (entry["name"], ", did you mean %s?" % entry["closest"] if entry["closest"] else ""))
        return found
