"""A case in information gathering can name the partner request that asked for the information.

The move to information gathering set the case a 5-working-day deadline of its own, beside the
deadline of the recorded partner request that asked for the same information. A clarification stopped
and restarted the request's clock but not the case's, and answering the request left the case's
deadline standing, so the due list called the case overdue when nothing was owed.
``cases.information_request_id`` names the request; while it is set, the request's clock is the
deadline and the case keeps none of its own.

Existing cases are left unlinked: which request (if any) a past move answered is the lead's call, and
a migration writes no audit events.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place (SQLite can): every case-owned table points at cases, so batch mode may not
    # recreate it.
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.add_column(sa.Column("information_request_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.drop_column("information_request_id")
