"""Alembic environment: runs on a connection handed over by ``migrate.py`` (or a URL).

SQLite needs batch mode for ALTER TABLE, so every migration runs with ``render_as_batch``.
"""

from alembic import context
from sqlalchemy import create_engine

from prevent_ig.adapters.records.tables import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        _run_on(fresh)


def _run_on(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
