# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the collection importable for plain pytest, from the checkout or from a staged copy.

Python imports the collection as ``ansible_collections.m365.admin``. Inside a staged copy
(.../ansible_collections/m365/admin) that is its grandparent's parent; in a git checkout a
link in a temporary folder gives the checkout that name.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collection_parent():
    parts = ROOT.split(os.sep)
    if parts[-3:-2] == ["ansible_collections"] and parts[-2:] == ["m365", "admin"]:
        return os.sep.join(parts[:-3])
    parent = tempfile.mkdtemp(prefix="m365-report-tests-")
    atexit.register(shutil.rmtree, parent, True)
    os.makedirs(os.path.join(parent, "ansible_collections", "m365"))
    os.symlink(ROOT, os.path.join(parent, "ansible_collections", "m365", "admin"))
    return parent


try:
    import ansible_collections.m365.admin.plugins.module_utils._report  # noqa: F401  pylint: disable=unused-import
except ImportError:
    sys.path.insert(0, _collection_parent())
