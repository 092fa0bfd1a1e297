"""Each assessment carries its confidentiality basis and whether it awaits IG advice in columns.

The lead's dashboard counts standing decisions by basis and lists those waiting for advice, and the
adviser's queue lists the waiting ones; both had to read every assessment's stored output or input
(JSON) to know. Assessments are never edited, so the two facts are copied into columns when an
assessment is recorded, and an index over each lets the pages read only what they show. Existing
assessments are filled in here from their stored input and output, by the same reading the pages made.

Revision ID: 0006
Revises: 0005
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 1_000
_assessments = sa.table(
    "assessments",
    sa.column("id", sa.Integer()),
    sa.column("input", sa.JSON()),
    sa.column("output", sa.JSON()),
    sa.column("confidentiality_basis", sa.String()),
    sa.column("awaits_advice", sa.Boolean()),
)


_FILL_IN = (
    _assessments.update()
    .where(_assessments.c.id == sa.bindparam("row_id"))
    .values(confidentiality_basis=sa.bindparam("basis"), awaits_advice=sa.bindparam("waits"))
)


def upgrade() -> None:
    with op.batch_alter_table("assessments", recreate="never") as batch:
        batch.add_column(sa.Column("confidentiality_basis", sa.String(200), nullable=True))
        batch.add_column(sa.Column("awaits_advice", sa.Boolean(), nullable=False, server_default=sa.false()))
    _fill_in_existing_assessments()
    op.create_index("ix_assessments_basis", "assessments", ["confidentiality_basis", "outcome", "id"])
    op.create_index(
        "ix_assessments_awaiting_advice",
        "assessments",
        ["id"],
        # As each database's SQL says "awaits" (SQLite compares with 1), or the index goes unused.
        sqlite_where=sa.text("awaits_advice = 1"),
        postgresql_where=sa.text("awaits_advice"),
    )


def _fill_in_existing_assessments() -> None:
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.select(_assessments.c.id, _assessments.c.input, _assessments.c.output)
            .where(_assessments.c.id > after)
            .order_by(_assessments.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changed = [
            {"row_id": assessment_id, "basis": _basis(output), "waits": _awaits_advice(data)}
            for assessment_id, data, output in rows
        ]
        changed = [row for row in changed if row["basis"] is not None or row["waits"]]
        if changed:  # one statement for the batch, run for each row by the driver
            bind.execute(_FILL_IN, changed)
        after = rows[-1][0]


def _basis(output: Any) -> str | None:
    basis = output.get("basis") if isinstance(output, dict) else None
    provision = basis.get("confidentiality") if isinstance(basis, dict) else None
    return provision if isinstance(provision, str) and provision else None


def _awaits_advice(data: Any) -> bool:
    advice = data.get("ig_advice") if isinstance(data, dict) else None
    return isinstance(advice, dict) and advice.get("supports_sharing") is None


def downgrade() -> None:
    op.drop_index("ix_assessments_awaiting_advice", table_name="assessments")
    op.drop_index("ix_assessments_basis", table_name="assessments")
    # Dropped in place (SQLite 3.35 and later can): recreating the table, as batch mode would by
    # default, is refused while disclosures and the Caldicott log hold foreign keys to it.
    with op.batch_alter_table("assessments", recreate="never") as batch:
        batch.drop_column("awaits_advice")
        batch.drop_column("confidentiality_basis")
