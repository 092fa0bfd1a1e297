"""Each account remembers the time step of the last one-time code it signed in with.

A code stays valid for its 30-second step and the steps either side (clocks drift), so a code seen over
a shoulder, or taken from a sign-in on another device, could be typed again within that minute and a
half. RFC 6238 (section 5.2) asks that a code be accepted once only: a code of the same step as the
last accepted one, or an earlier step, is now refused. Existing accounts start with none.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("last_code_step", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Dropped in place (SQLite 3.35 and later), as 0006 drops its columns: web_sessions holds a foreign
    # key to users, so batch mode may not recreate the table.
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("last_code_step")
