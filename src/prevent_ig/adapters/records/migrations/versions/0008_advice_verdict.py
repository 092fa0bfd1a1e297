"""An adviser's answer from the queue keeps its verdict in a column: for or against sharing.

A decision made while IG advice was awaited stops authorising sharing when the advice comes back
against it (decision rules, step 7: advice against means do not share, until the lead reassesses).
The verdict was only in the entry's words, so nothing could act on it. Entries answered before this
column are filled in from the words the queue wrote for them, which were fixed text ("... does not
support sharing" or "... supports sharing"); entries logged by hand answer nothing and stay empty.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_log = sa.table(
    "caldicott_log",
    sa.column("answers", sa.Boolean()),
    sa.column("decision", sa.Text()),
    sa.column("supports_sharing", sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table("caldicott_log", recreate="never") as batch:
        batch.add_column(sa.Column("supports_sharing", sa.Boolean(), nullable=True))
    against = _log.c.decision.like("% does not support sharing%")
    op.execute(_log.update().where(_log.c.answers, against).values(supports_sharing=False))
    op.execute(
        _log.update()
        .where(_log.c.answers, ~against, _log.c.decision.like("% supports sharing%"))
        .values(supports_sharing=True)
    )


def downgrade() -> None:
    # Dropped in place (SQLite 3.35 and later), as 0006 and 0007 drop theirs.
    with op.batch_alter_table("caldicott_log", recreate="never") as batch:
        batch.drop_column("supports_sharing")
