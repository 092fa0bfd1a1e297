"""Referral-form answers, the documents register, the mail outbox, and imported request emails.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SHORT = 64
NAME = 200
ADDRESS = 320


def upgrade() -> None:
    op.create_table(
        "referral_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("form_version", sa.String(SHORT), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(NAME), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(SHORT), nullable=False, unique=True),
        sa.Column("kind", sa.String(SHORT), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("assessment_id", sa.Integer(), sa.ForeignKey("assessments.id"), nullable=True),
        sa.Column("template", sa.String(NAME), nullable=False),
        sa.Column("media_type", sa.String(SHORT), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(NAME), nullable=False),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(NAME), nullable=False, unique=True),
        sa.Column("kind", sa.String(SHORT), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True, index=True),
        sa.Column("disclosure_id", sa.Integer(), sa.ForeignKey("disclosures.id"), nullable=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("envelope_from", sa.String(ADDRESS), nullable=False),
        sa.Column("envelope_to", sa.String(ADDRESS), nullable=False),
        sa.Column("subject", sa.String(NAME), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(SHORT), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("worker", sa.String(NAME), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("queued_by", sa.String(NAME), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_outbox_messages_status_next", "outbox_messages", ["status", "next_attempt_at"])
    op.create_table(
        "request_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True, index=True),
        sa.Column("status", sa.String(SHORT), nullable=False, index=True),
        sa.Column("sender_address", sa.String(ADDRESS), nullable=False),
        sa.Column("sender_name", sa.String(NAME), nullable=True),
        sa.Column("sender_domain", sa.String(NAME), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("raw_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("secure_domain", sa.Boolean(), nullable=False),
        sa.Column("marking", sa.String(SHORT), nullable=True),
        sa.Column("proposed_secure_channel", sa.Boolean(), nullable=False),
        sa.Column("imported_on", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.String(NAME), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("partner_requests.id"), nullable=True),
    )
    op.create_table(
        "request_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("request_drafts.id"), nullable=False, index=True),
        sa.Column("filename", sa.String(NAME), nullable=False),
        sa.Column("content_type", sa.String(NAME), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_status_next", table_name="outbox_messages")
    for table in (
        "request_attachments",
        "request_drafts",
        "outbox_messages",
        "documents",
        "referral_answers",
    ):
        op.drop_table(table)
