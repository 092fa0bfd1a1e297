"""The database fixtures moved to tests/fixtures_db.py (a plugin for the whole suite); these names
are re-exported so imports written against the old place keep working."""

from tests.fixtures_db import AUDIT_KEY, BACKENDS, PG_URL, TODAY, Clock, Db

__all__ = ["AUDIT_KEY", "BACKENDS", "PG_URL", "TODAY", "Clock", "Db"]
