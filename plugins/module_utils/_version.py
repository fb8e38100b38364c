# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""The collection's version, as galaxy.yml states it.

A module runs from a zipped payload without galaxy.yml or MANIFEST.json beside it, so the
version it reports (the User-Agent of every request, which Microsoft asks callers to send so
that their traffic can be told apart) is this constant; a release test keeps it equal to
galaxy.yml's, and releasing sets both (docs/releasing.md).
"""

from __future__ import annotations

COLLECTION_VERSION = "0.1.0"
USER_AGENT = "m365.admin-ansible-collection/%s" % COLLECTION_VERSION
