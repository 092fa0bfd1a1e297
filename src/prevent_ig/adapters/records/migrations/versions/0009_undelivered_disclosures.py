"""A disclosure says whether its secure email failed for good, and which pack a request is answered by.

Queuing a disclosure pack marked its partner request answered, and nothing undid that when the mail
worker later gave the message up: the request stayed answered, its clock stopped, though the partner
never received anything. ``disclosures.undelivered_on`` records the day the message carrying a
disclosure failed for good; ``disclosures.answers_request`` marks the pack a request stands answered
by, so that its failure opens the request again and a later answer (by hand, or by another pack) is
left alone.

Existing records are filled in from the outbox: a disclosure whose message is already ``failed`` is
marked undelivered on the day (in England) it failed; and for each answered request, the first pack
queued for it on the day it was answered, by secure email, is taken as its answer (queuing answered a
request with the pack's own date). Requests already answered by a pack that has since failed are not
opened again here: a migration writes no audit events, and the lead decides (trying the message again,
or answering another way).

Revision ID: 0009
Revises: 0008
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ENGLAND = ZoneInfo("Europe/London")
_disclosures = sa.table(
    "disclosures",
    sa.column("id", sa.Integer()),
    sa.column("assessment_id", sa.Integer()),
    sa.column("method", sa.String()),
    sa.column("disclosed_on", sa.Date()),
    sa.column("undelivered_on", sa.Date()),
    sa.column("answers_request", sa.Boolean()),
)
_messages = sa.table(
    "outbox_messages",
    sa.column("disclosure_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("status", sa.String()),
    sa.column("queued_at", sa.DateTime()),
    sa.column("failed_at", sa.DateTime()),
)
_assessments = sa.table("assessments", sa.column("id", sa.Integer()), sa.column("request_id", sa.Integer()))
_requests = sa.table(
    "partner_requests",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("answered_on", sa.Date()),
)


def upgrade() -> None:
    # Added in place (SQLite can): outbox messages hold a foreign key to disclosures, so batch mode
    # may not recreate the table.
    with op.batch_alter_table("disclosures", recreate="never") as batch:
        batch.add_column(sa.Column("undelivered_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("answers_request", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    _mark_failed_messages_undelivered()
    _mark_the_packs_requests_were_answered_by()


def _mark_failed_messages_undelivered() -> None:
    bind = op.get_bind()
    failed = bind.execute(
        sa.select(_messages.c.disclosure_id, _messages.c.failed_at, _messages.c.queued_at).where(
            _messages.c.status == "failed", _messages.c.disclosure_id.is_not(None)
        )
    ).all()
    for disclosure_id, failed_at, queued_at in failed:
        bind.execute(
            _disclosures.update()
            .where(_disclosures.c.id == disclosure_id)
            .values(undelivered_on=_day_in_england(failed_at or queued_at))
        )


def _day_in_england(stored: datetime) -> date:
    """Times are stored in UTC without a zone; the record's dates are days in England."""
    return stored.replace(tzinfo=UTC).astimezone(ENGLAND).date()


def _mark_the_packs_requests_were_answered_by() -> None:
    bind = op.get_bind()
    packs = bind.execute(
        sa.select(_requests.c.id, sa.func.min(_disclosures.c.id))
        .join(_assessments, _assessments.c.request_id == _requests.c.id)
        .join(_disclosures, _disclosures.c.assessment_id == _assessments.c.id)
        .where(
            _requests.c.status == "answered",
            _disclosures.c.method == "secure_email",
            _disclosures.c.disclosed_on == _requests.c.answered_on,
            sa.exists().where(
                _messages.c.disclosure_id == _disclosures.c.id, _messages.c.kind == "disclosure"
            ),
        )
        .group_by(_requests.c.id)
    ).all()
    for _request_id, disclosure_id in packs:
        bind.execute(
            _disclosures.update().where(_disclosures.c.id == disclosure_id).values(answers_request=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosures", recreate="never") as batch:
        batch.drop_column("answers_request")
        batch.drop_column("undelivered_on")
