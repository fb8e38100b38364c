"""m365sim - a local Microsoft 365 tenant simulator (Entra token endpoint, Microsoft Graph
subset, Exchange Online admin REST endpoint) for testing the m365.admin collection.

Run with ``PYTHONPATH=tests/simulator python -m m365sim serve --state-dir DIR``.
"""

__version__ = "1.0.0"
