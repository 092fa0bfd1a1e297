"""Migrations: one head, zero-padded sequence, and upgrade/downgrade/upgrade on both databases."""

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from prevent_ig.adapters.records import migrate
from prevent_ig.adapters.records.database import make_engine
from prevent_ig.adapters.records.tables import Base

VERSIONS = Path(migrate.__file__).parent / "migrations" / "versions"


def test_there_is_exactly_one_head() -> None:
    assert migrate.heads(make_engine("sqlite://")) == [f"{len(list(VERSIONS.glob('0*.py'))):04d}"]


def test_migration_files_are_a_zero_padded_unbroken_sequence() -> None:
    names = sorted(p.name for p in VERSIONS.glob("*.py") if p.name != "__init__.py")
    numbers = [int(re.match(r"(\d{4})_", n).group(1)) for n in names]  # type: ignore[union-attr]
    assert numbers == list(range(1, len(names) + 1))
    for path in VERSIONS.glob("0*.py"):
        revision = re.search(r'^revision = "(\d{4})"', path.read_text(), re.MULTILINE)
        assert revision and path.name.startswith(revision.group(1))


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"cases", "subjects", "audit_events", "assessments", "disclosures"} <= tables
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) == tables
    engine.dispose()


def test_migrated_schema_matches_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == []
