"""Migrations: one head, zero-padded sequence, and upgrade/downgrade/upgrade on both databases."""

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.records import migrate
from prevent_ig.adapters.records.database import make_engine
from prevent_ig.adapters.records.tables import Base
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.outbox import QueuedMessage, send_disclosure
from prevent_ig.services.requests import mark_answered
from tests.documents.builders import CHANNEL, CONTENTS, partner_request
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case

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


def test_0005_links_existing_entries_by_the_words_their_questions_start_with(db: Db) -> None:
    """Entries written before the column existed keep the links the log showed for them: the
    queue's "Assessment N" answers N (the first such answer only), "Case C, assessment N" is about N,
    and a question naming another case's assessment, or none, links to nothing."""
    case_id, other = open_case(db), open_case(db)
    mine, theirs = assess_case(db, case_id), assess_case(db, other)
    db.engine.dispose()
    migrate.downgrade(db.engine, "0004")
    questions = [
        (case_id, f"Assessment {mine} (case {case_id}, referral): may we share?"),
        (case_id, f"Assessment {mine} (case {case_id}, referral): asked again"),
        (case_id, f"Case {case_id}, assessment {mine}: drafted from the decision"),
        (case_id, f"Assessment {theirs} (case {other}, referral): another case's"),
        (case_id, "May we share anything at all?"),
        (None, f"Assessment {mine}: on no case"),
    ]
    with db.engine.begin() as connection:
        for owner, question in questions:
            connection.execute(
                text(
                    "INSERT INTO caldicott_log (case_id, question, adviser, adviser_role, advice, decision,"
                    " logged_on) VALUES (:case_id, :question, 'A', 'dpo', 'x', 'y', :on)"
                ),
                {"case_id": owner, "question": question, "on": TODAY},
            )
    migrate.upgrade(db.engine)
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT assessment_id, answers FROM caldicott_log ORDER BY id")).all()
    assert [(row[0], bool(row[1])) for row in rows] == [
        (mine, True),
        (mine, False),
        (mine, False),
        (None, False),
        (None, False),
        (None, False),
    ]


def test_0006_copies_each_assessments_basis_and_awaited_advice_into_columns(db: Db) -> None:
    """Assessments recorded before the columns existed get them from their stored input and output, by
    the reading the pages made: the output's confidentiality provision, and advice asked for whose
    answer is null or not given at all."""
    case_id = open_case(db)
    shared = assess_case(db, case_id)  # consent given: shared on consent
    asked = assess_case(db, case_id, ig_advice={"adviser_role": "dpo", "supports_sharing": None})
    answered = assess_case(db, case_id, ig_advice={"adviser_role": "dpo", "supports_sharing": False})
    no_basis = assess_case(db, case_id, consent={"status": "not_sought", "given_by": None})
    unsaid = assess_case(db, case_id, ig_advice={"adviser_role": "dpo", "supports_sharing": None})
    db.engine.dispose()
    migrate.downgrade(db.engine, "0005")
    with db.engine.begin() as connection:  # an input written before supports_sharing was always given
        data = connection.execute(
            text("SELECT input FROM assessments WHERE id = :id"), {"id": unsaid}
        ).scalar()
        data = json.loads(data) if isinstance(data, str) else data
        del data["ig_advice"]["supports_sharing"]
        connection.execute(
            text("UPDATE assessments SET input = :data WHERE id = :id"),
            {"data": json.dumps(data), "id": unsaid},
        )
    migrate.upgrade(db.engine)
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, confidentiality_basis, awaits_advice FROM assessments ORDER BY id")
        ).all()
    assert [(row[0], row[1], bool(row[2])) for row in rows] == [
        (shared, "CLDC.consent", False),
        (asked, "CLDC.consent", True),
        (answered, None, False),  # the adviser said no: no basis
        (no_basis, None, False),
        (unsaid, "CLDC.consent", True),
    ]


def test_0008_gives_each_answer_from_the_queue_its_verdict_from_the_words_it_was_logged_with(db: Db) -> None:
    """Answers logged before the column get their verdict from the fixed words the queue wrote; an
    entry logged by hand answers nothing and has none."""
    case_id = open_case(db)
    asked = [assess_case(db, open_case(db)) for _ in range(2)]
    db.engine.dispose()
    migrate.downgrade(db.engine, "0007")
    entries = [
        (asked[0], True, "The Caldicott guardian does not support sharing; the Prevent lead reassesses."),
        (asked[1], True, "The Data Protection Officer supports sharing; the Prevent lead reassesses."),
        (None, False, "Logged by hand: does not support sharing."),
    ]
    with db.engine.begin() as connection:
        for assessment_id, answers, decision in entries:
            connection.execute(
                text(
                    "INSERT INTO caldicott_log (case_id, assessment_id, answers, question, adviser, adviser_role,"
                    " advice, decision, logged_on) VALUES (:case_id, :assessment_id, :answers, 'Q', 'A', 'dpo',"
                    " 'x', :decision, :on)"
                ),
                {
                    "case_id": case_id,
                    "assessment_id": assessment_id,
                    "answers": answers,
                    "decision": decision,
                    "on": TODAY,
                },
            )
    migrate.upgrade(db.engine)
    with db.engine.connect() as connection:
        verdicts = connection.execute(
            text("SELECT supports_sharing FROM caldicott_log ORDER BY id")
        ).scalars()
        assert [None if v is None else bool(v) for v in verdicts] == [False, True, None]


def test_0009_marks_failed_packs_undelivered_and_the_pack_each_request_was_answered_by(db: Db) -> None:
    """Before the columns, queuing a pack answered its request with the pack's own date, and a failed
    message left the disclosure looking made. The first pack queued for an answered request on the day
    it was answered is taken as its answer; a disclosure whose message failed is marked undelivered on
    the day (in England) it failed. Requests stay as they were: a migration writes no audit events."""
    answered_by_pack = partner_request(db)
    failed = _send(db, answered_by_pack.assessment_id)
    by_hand_first = partner_request(db)
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=by_hand_first.request_id, on=TODAY)
    db.clock.move_to(TODAY + timedelta(days=1))
    later_pack = _send(db, by_hand_first.assessment_id)  # after the answer by hand: not its answer
    db.engine.dispose()
    migrate.downgrade(db.engine, "0008")
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE outbox_messages SET status = 'failed', failed_at = :at WHERE id = :id"),
            {"at": datetime(2026, 11, 27, 0, 30), "id": failed.outbox_id},
        )
    migrate.upgrade(db.engine)
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, undelivered_on, answers_request FROM disclosures ORDER BY id")
        ).all()
        statuses = connection.execute(text("SELECT status FROM partner_requests ORDER BY id")).scalars().all()
    assert [(row[0], _day(row[1]), bool(row[2])) for row in rows] == [
        (failed.disclosure_id, date(2026, 11, 27), True),
        (later_pack.disclosure_id, None, False),
    ]
    assert statuses == ["answered", "answered"]


def _day(value: object) -> date | None:
    """A date column read with plain SQL: a date on PostgreSQL, ISO text on SQLite."""
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value))


def _send(db: Db, assessment_id: int) -> QueuedMessage:
    with db.uow() as uow:
        return send_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=assessment_id,
            to=CHANNEL,
            items=[ReleasedItem(id=k, content=v) for k, v in CONTENTS.items()],
            on=uow.today(),
            renderer=PdfRenderer(),
            from_address="prevent.lead@example-trust.nhs.uk",
            config=db.config,
        )
