"""The Caldicott log names the assessment an entry is about in a column, not only in its question.

Until now an entry was tied to its assessment by the words its question starts with ("Assessment N"
for the adviser's answer from the queue, "Case C, assessment N" for an entry drafted from the
decision), read back with a pattern every time the queue or a case was shown. The column makes the
link a foreign key, ``answers`` says whether the entry is the adviser's answer that takes the
decision out of the queue, and a partial unique index lets the database itself refuse a second answer
to the same assessment. Existing entries are linked by the same reading of their question as before,
and only to an assessment of their own case.

Revision ID: 0005
Revises: 0004
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ANSWER = re.compile(r"^Assessment (\d+)\b")
_DRAFTED = re.compile(r"^Case \d+, assessment (\d+)\b")
_log = sa.table(
    "caldicott_log",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("question", sa.Text()),
    sa.column("assessment_id", sa.Integer()),
    sa.column("answers", sa.Boolean()),
    sa.column("logged_on", sa.Date()),
)
_assessments = sa.table("assessments", sa.column("id", sa.Integer()), sa.column("case_id", sa.Integer()))


def upgrade() -> None:
    with op.batch_alter_table("caldicott_log") as batch:
        batch.add_column(
            sa.Column(
                "assessment_id",
                sa.Integer(),
                sa.ForeignKey("assessments.id", name="fk_caldicott_log_assessment_id_assessments"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("answers", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_caldicott_log_assessment_id", ["assessment_id"])
    _link_existing_entries()
    op.create_index(
        "uq_caldicott_log_answer",
        "caldicott_log",
        ["assessment_id"],
        unique=True,
        sqlite_where=sa.text("answers"),
        postgresql_where=sa.text("answers"),
    )


def _link_existing_entries() -> None:
    bind = op.get_bind()
    answered: set[int] = set()
    entries = bind.execute(
        sa.select(_log.c.id, _log.c.case_id, _log.c.question)
        .where(_log.c.case_id.is_not(None))
        .order_by(_log.c.logged_on, _log.c.id)
    ).all()
    for entry_id, case_id, question in entries:
        answer = _ANSWER.match(question)
        match = answer or _DRAFTED.match(question)
        if match is None:
            continue
        assessment_id = int(match.group(1))
        own_case = bind.execute(
            sa.select(_assessments.c.case_id).where(_assessments.c.id == assessment_id)
        ).scalar()
        if own_case != case_id:
            continue  # a question naming another case's assessment links to none, as it was shown
        answers = answer is not None and assessment_id not in answered
        if answers:
            answered.add(assessment_id)  # the first answer took it out of the queue; a later one cannot
        bind.execute(
            _log.update().where(_log.c.id == entry_id).values(assessment_id=assessment_id, answers=answers)
        )


def downgrade() -> None:
    op.drop_index("uq_caldicott_log_answer", table_name="caldicott_log")
    with op.batch_alter_table("caldicott_log") as batch:
        batch.drop_index("ix_caldicott_log_assessment_id")
        batch.drop_constraint("fk_caldicott_log_assessment_id_assessments", type_="foreignkey")
        batch.drop_column("answers")
        batch.drop_column("assessment_id")
