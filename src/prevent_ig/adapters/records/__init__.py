"""Persistence: SQLAlchemy 2 tables, the unit of work, repositories and the audit log."""
