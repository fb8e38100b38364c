# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from ansible_collections.m365.admin.tests.unit.m365_helpers import instant_sleep


@pytest.fixture
def no_sleep():
    """Back-offs and Retry-After waits take no time (use with pytest.mark.usefixtures)."""
    with instant_sleep():
        yield
