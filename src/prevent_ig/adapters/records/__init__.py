"""Persistence: SQLAlchemy 2 tables, the unit of work, repositories and the audit log."""

# Every table module registers on the one metadata that migrations and tests compare against.
from prevent_ig.adapters.records import api_token_table as _api_token_table  # noqa: F401
