"""Initial schema: subjects, cases, timeline, consents, partner requests, assessments,
disclosures, Caldicott log, data sharing agreements and the append-only audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SHORT = 64
NAME = 200

PG_APPEND_ONLY = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
"""
SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", sa.Integer(), primary_key=True)


def _fk(name: str, target: str, *, nullable: bool = False, index: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target), nullable=nullable, index=index)


def upgrade() -> None:
    op.create_table(
        "subjects",
        _id(),
        sa.Column("role", sa.String(SHORT), nullable=False),
        sa.Column("nhs_number", sa.String(10), nullable=True, index=True),
        sa.Column("given_name", sa.String(NAME), nullable=False),
        sa.Column("family_name", sa.String(NAME), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("adult_at_risk", sa.Boolean(), nullable=False),
        sa.Column("has_capacity", sa.Boolean(), nullable=True),
        sa.Column("capacity_assessed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "cases",
        _id(),
        _fk("subject_id", "subjects.id"),
        sa.Column("owner", sa.String(NAME), nullable=False, index=True),
        sa.Column("raised_by", sa.String(NAME), nullable=False),
        sa.Column("concern", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(SHORT), nullable=False, index=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure", sa.String(SHORT), nullable=True),
        sa.Column("exit_reason", sa.String(SHORT), nullable=True),
        sa.Column("information_request_on", sa.Date(), nullable=True),
        sa.Column("information_due_on", sa.Date(), nullable=True),
        sa.Column("review_6_due_on", sa.Date(), nullable=True),
        sa.Column("review_12_due_on", sa.Date(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True, index=True),
        sa.Column("next_due_kind", sa.String(SHORT), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "case_events",
        _id(),
        _fk("case_id", "cases.id"),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(NAME), nullable=False),
        sa.Column("kind", sa.String(SHORT), nullable=False),
        sa.Column("from_stage", sa.String(SHORT), nullable=True),
        sa.Column("to_stage", sa.String(SHORT), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    op.create_table(
        "consents",
        _id(),
        _fk("case_id", "cases.id"),
        sa.Column("scope", sa.String(SHORT), nullable=False),
        sa.Column("sought", sa.Boolean(), nullable=False),
        sa.Column("sought_by", sa.String(NAME), nullable=True),
        sa.Column("sought_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(SHORT), nullable=False),
        sa.Column("given_by", sa.String(SHORT), nullable=True),
        sa.Column("reason_not_sought", sa.String(SHORT), nullable=True),
        sa.Column("has_capacity", sa.Boolean(), nullable=False),
        sa.Column("capacity_assessed_by", sa.String(NAME), nullable=True),
        sa.Column("best_interests_decision", sa.Text(), nullable=True),
        sa.Column("best_interests_consulted", sa.Text(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "partner_requests",
        _id(),
        _fk("case_id", "cases.id"),
        sa.Column("organisation", sa.String(NAME), nullable=False),
        sa.Column("person", sa.String(NAME), nullable=False),
        sa.Column("role", sa.String(NAME), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("recipient_type", sa.String(SHORT), nullable=False),
        sa.Column("purpose", sa.String(SHORT), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("items_requested", sa.JSON(), nullable=False),
        sa.Column("proforma", sa.Boolean(), nullable=False),
        sa.Column("secure_channel", sa.Boolean(), nullable=False),
        sa.Column("consent_position_stated", sa.Boolean(), nullable=False),
        sa.Column("reason_given", sa.Boolean(), nullable=False),
        sa.Column("specific", sa.Boolean(), nullable=False),
        sa.Column("legal_powers_cited", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(SHORT), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_partner_requests_status_due", "partner_requests", ["status", "due_on"])
    op.create_table(
        "request_clarifications",
        _id(),
        _fk("request_id", "partner_requests.id"),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("sent_by", sa.String(NAME), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "assessments",
        _id(),
        _fk("case_id", "cases.id"),
        _fk("request_id", "partner_requests.id", nullable=True, index=False),
        sa.Column("supersedes_id", sa.Integer(), sa.ForeignKey("assessments.id"), nullable=True, unique=True),
        sa.Column("purpose", sa.String(SHORT), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("output", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(SHORT), nullable=False),
        sa.Column("decisive", sa.String(SHORT), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(NAME), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("lead_decision", sa.String(SHORT), nullable=False),
        sa.Column("lead_reason", sa.Text(), nullable=True),
    )
    op.create_table(
        "disclosures",
        _id(),
        _fk("case_id", "cases.id"),
        _fk("assessment_id", "assessments.id"),
        sa.Column("recipient_name", sa.String(NAME), nullable=False),
        sa.Column("recipient_email", sa.String(320), nullable=True),
        sa.Column("method", sa.String(SHORT), nullable=False),
        sa.Column("marking", sa.String(SHORT), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("disclosed_on", sa.Date(), nullable=False),
        sa.Column("disclosed_by", sa.String(NAME), nullable=False),
        sa.Column("consent_withdrawn_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "caldicott_log",
        _id(),
        _fk("case_id", "cases.id", nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("adviser", sa.String(NAME), nullable=False),
        sa.Column("adviser_role", sa.String(SHORT), nullable=False),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("logged_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "data_sharing_agreements",
        _id(),
        sa.Column("partner", sa.String(NAME), nullable=False, index=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("references_prevent", sa.Boolean(), nullable=False),
        sa.Column("signed_by_siro", sa.String(NAME), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False, index=True),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(NAME), nullable=False),
        sa.Column("event", sa.String(NAME), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True, index=True),
        sa.Column("entity", sa.String(NAME), nullable=True),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND_ONLY)
    else:
        for statement in SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    for table in (
        "audit_events",
        "data_sharing_agreements",
        "caldicott_log",
        "disclosures",
        "assessments",
        "request_clarifications",
        "partner_requests",
        "consents",
        "case_events",
        "cases",
        "subjects",
    ):
        op.drop_table(table)
