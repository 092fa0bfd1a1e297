"""A disclosure pack that answered a partner request and then failed for good answered nothing.

Queuing the pack marks the request answered. When the mail worker gives the message up (a 5xx refusal
from the real SMTP server, the attempts run out, or the decision no longer allows it), the same
transaction marks the disclosure undelivered and opens the request again: back on the due list with
its first dates, not counted as answered by the oversight report, with a timeline entry, an audit
event and a notification that say so. Trying it again answers it again, on the day it was queued
again; an answer given meanwhile, by hand or by another pack, is never clobbered."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from prevent_ig.adapters.mail.smtp import SmtpTransport
from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    AuditEventRow,
    CaseEventRow,
    DisclosureRow,
    NotificationRow,
    PartnerRequestRow,
)
from prevent_ig.domain.calendar.england_date import ENGLAND
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.cases import due_items
from prevent_ig.services.consents import NewConsent, record_consent, withdraw_consent
from prevent_ig.services.delivery import Delivery, Result, deliver_due
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.errors import RefusedError
from prevent_ig.services.outbox import QueuedMessage, requeue_message, send_disclosure
from prevent_ig.services.oversight import Timeliness, timeliness_report
from prevent_ig.services.requests import mark_answered
from tests.documents.builders import CHANNEL, CONTENTS, Request, partner_request
from tests.fixtures_db import TODAY, Db
from tests.mail.smtp_server import FROM_ADDRESS, SmtpServer
from tests.mail.worker_clock import POLICY, RENDERER, Clock, move_both_clocks

ITEMS = [ReleasedItem(id=k, content=v) for k, v in CONTENTS.items()]
REFUSED = "550 5.1.1 Synthetic: mailbox unavailable"
RECEIVED, DUE = date(2026, 11, 23), date(2026, 11, 30)  # the builder's request: Monday, due Monday next


def send_pack(db: Db, assessment_id: int, to: str = CHANNEL) -> QueuedMessage:
    with db.uow() as uow:
        return send_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=assessment_id,
            to=to,
            items=ITEMS,
            on=db.clock.moment.astimezone(ENGLAND).date(),
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=db.config,
        )


def deliver(db: Db, smtp: SmtpServer, clock: Clock) -> list[Delivery]:
    return deliver_due(
        new_uow=db.uow,
        transport=SmtpTransport(smtp.settings()),
        policy=POLICY,
        worker="test-worker",
        config=db.config,
        clock=clock,
    )


def request_row(db: Db, request_id: int) -> PartnerRequestRow:
    with db.uow() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def disclosure_row(db: Db, disclosure_id: int) -> DisclosureRow:
    with db.uow() as uow:
        row = uow.session.get(DisclosureRow, disclosure_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def events(db: Db, *names: str) -> list[tuple[str, str | None]]:
    with db.uow() as uow:
        query = select(AuditEventRow.event, AuditEventRow.entity).order_by(AuditEventRow.seq)
        if names:
            query = query.where(AuditEventRow.event.in_(names))
        return [(r.event, r.entity) for r in uow.session.execute(query)]


def timeline(db: Db, case_id: int) -> list[tuple[date, str, str]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(CaseEventRow.on, CaseEventRow.actor, CaseEventRow.summary)
            .where(CaseEventRow.case_id == case_id)
            .order_by(CaseEventRow.id)
        )
        return [(r.on, r.actor, r.summary) for r in rows]


def notifications(db: Db) -> list[str]:
    with db.uow() as uow:
        return list(
            uow.session.scalars(
                select(NotificationRow.message)
                .where(NotificationRow.message.startswith("Secure email"))
                .order_by(NotificationRow.id)
            )
        )


def due_requests(db: Db, today: date) -> list[tuple[int | None, date, bool]]:
    with db.uow() as uow:
        due = due_items(
            uow=uow, actor="lead.a", today=today, within_working_days=10, calendar=db.config.calendar
        )
    return [(d.item_id, d.due_on, d.overdue) for d in due if d.kind == "partner_request"]


def judged(db: Db, request_id: int, today: date) -> tuple[Timeliness, date | None, float | None]:
    with db.uow() as uow:
        report = timeliness_report(
            uow=uow, actor="lead.a", start=RECEIVED, end=RECEIVED, today=today, calendar=db.config.calendar
        )
    [row] = [r for r in report.requests if r.request_id == request_id]
    return row.timeliness, row.answered_on, report.answered_on_time_share


def second_decision(db: Db, made: Request, *, depart: bool = False) -> int:
    """The lead decides the same request again, on the same answers (a decision on a request answers
    its requestor, at the address it came from), so the new decision replaces the first: followed, its
    pack may go in the first one's place; with ``depart``, nothing may go."""
    with db.uow() as uow:
        first = uow.session.get(AssessmentRow, made.assessment_id)
        assert first is not None
        data = first.input
    with db.uow() as uow:
        return record_assessment(
            uow=uow,
            actor="lead.a",
            case_id=made.case_id,
            assessment_json=json.dumps(data),
            config=db.config,
            today=db.clock.moment.astimezone(ENGLAND).date(),
            lead_decision=LeadDecision.DEPART if depart else LeadDecision.FOLLOW,
            lead_reason="Synthetic: the panel already holds this" if depart else None,
            request_id=made.request_id,
        )


def test_a_pack_refused_for_good_opens_its_request_again_off_the_clock_it_never_stopped(
    db: Db, smtp: SmtpServer
) -> None:
    made = partner_request(db)
    queued = send_pack(db, made.assessment_id)
    assert request_row(db, made.request_id).status == "answered"  # queuing answered it
    assert due_requests(db, TODAY) == []
    smtp.handler.refuse[CHANNEL] = REFUSED

    assert [d.result for d in deliver(db, smtp, Clock())] == [Result.FAILED]

    # In the worker's one transaction, after the message's own event; ids only, no one's details.
    assert events(db)[-3:] == [
        ("mail:message:fail", f"message:{queued.outbox_id}"),
        ("case:disclosure:undeliver", f"disclosure:{queued.disclosure_id}"),
        ("case:request:reopen", f"request:{made.request_id}"),
    ]
    request = request_row(db, made.request_id)
    assert (request.status, request.answered_on) == ("open", None)
    assert (request.received_on, request.due_on) == (RECEIVED, DUE)  # the clock it always had
    disclosure = disclosure_row(db, queued.disclosure_id)
    assert (disclosure.undelivered_on, disclosure.answers_request) == (TODAY, False)
    assert [i["id"] for i in disclosure.items] == ["identity", "mental-health"]  # kept, as the attempt
    assert due_requests(db, TODAY) == [(made.request_id, DUE, False)]
    assert judged(db, made.request_id, TODAY) == (Timeliness.OPEN_IN_TIME, None, None)
    assert timeline(db, made.case_id)[-2:] == [
        (
            TODAY,
            "mail-worker",
            f"Disclosure {queued.disclosure_id} was not delivered: secure email {queued.outbox_id} failed.",
        ),
        (
            TODAY,
            "mail-worker",
            f"Request {made.request_id} is open again: its answer, disclosure {queued.disclosure_id}, was not "
            "delivered. Due 2026-11-30.",
        ),
    ]
    assert notifications(db) == [
        f"Secure email {queued.outbox_id} (case {made.case_id}) was not delivered: recipient refused. "
        f"Check the address or the mail settings, then try it again, or send it as a new message if it must be "
        f"tagged or sent from another address now. Request {made.request_id} is open "
        "again: due 2026-11-30."
    ]


def test_a_pack_given_up_after_the_due_date_leaves_its_request_overdue(db: Db, smtp: SmtpServer) -> None:
    made = partner_request(db)
    queued = send_pack(db, made.assessment_id)
    smtp.stop()  # the server is away for days; the last attempt falls after the due date
    clock = Clock()
    results = []
    for _ in range(POLICY.max_attempts - 1):
        results += [d.result for d in deliver(db, smtp, clock)]
        clock.moment += POLICY.cap
    assert judged(db, made.request_id, TODAY)[0] is Timeliness.ANSWERED_ON_TIME  # so it seemed
    late = date(2026, 12, 2)
    move_both_clocks(db, clock, late)

    results += [d.result for d in deliver(db, smtp, clock)]

    assert results == [Result.DEFERRED] * (POLICY.max_attempts - 1) + [Result.FAILED]
    assert disclosure_row(db, queued.disclosure_id).undelivered_on == late
    assert due_requests(db, late) == [(made.request_id, DUE, True)]
    assert judged(db, made.request_id, late) == (Timeliness.OPEN_OVERDUE, None, None)
    assert timeline(db, made.case_id)[-1][2].endswith("Due 2026-11-30 (overdue).")
    assert notifications(db)[-1].endswith(
        f"Request {made.request_id} is open again and overdue: due 2026-11-30."
    )


def test_a_pack_withheld_because_its_decision_was_replaced_opens_its_request_again(
    db: Db, smtp: SmtpServer
) -> None:
    made = partner_request(db)
    queued = send_pack(db, made.assessment_id)
    second_decision(db, made, depart=True)  # the lead now decides not to share

    assert [d.result for d in deliver(db, smtp, Clock())] == [Result.FAILED]

    assert smtp.message_ids() == []
    assert request_row(db, made.request_id).status == "open"
    assert disclosure_row(db, queued.disclosure_id).undelivered_on == TODAY
    assert [e for e, _ in events(db)[-3:]] == [
        "mail:message:withhold",
        "case:disclosure:undeliver",
        "case:request:reopen",
    ]
    [note] = notifications(db)
    assert note.startswith(f"Secure email {queued.outbox_id} (case {made.case_id}) was not sent: assessment")
    assert note.endswith(f"Request {made.request_id} is open again: due 2026-11-30.")
    with db.uow() as uow, pytest.raises(RefusedError, match="cannot be sent again"):
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=db.config)
    # Refused, the retry changed nothing: still open, still undelivered.
    assert request_row(db, made.request_id).status == "open"
    assert disclosure_row(db, queued.disclosure_id).undelivered_on == TODAY


def test_tried_again_and_delivered_the_request_is_answered_on_the_day_it_was_queued_again(
    db: Db, smtp: SmtpServer
) -> None:
    made = partner_request(db)
    queued = send_pack(db, made.assessment_id)
    smtp.handler.refuse[CHANNEL] = REFUSED
    clock = Clock()
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.FAILED]
    del smtp.handler.refuse[CHANNEL]  # the partner's mailbox is back
    again = date(2026, 11, 27)
    move_both_clocks(db, clock, again)

    with db.uow() as uow:
        requeue_message(uow=uow, actor="lead.b", outbox_id=queued.outbox_id, config=db.config)

    request = request_row(db, made.request_id)
    assert (request.status, request.answered_on) == ("answered", again)
    disclosure = disclosure_row(db, queued.disclosure_id)
    assert (disclosure.undelivered_on, disclosure.answers_request) == (None, True)
    assert events(db)[-3:] == [
        ("mail:message:requeue", f"message:{queued.outbox_id}"),
        ("case:disclosure:update", f"disclosure:{queued.disclosure_id}"),
        ("case:request:update", f"request:{made.request_id}"),
    ]
    assert [s for _, _, s in timeline(db, made.case_id)[-2:]] == [
        f"Disclosure {queued.disclosure_id} is being sent again: secure email {queued.outbox_id} queued again.",
        f"Request {made.request_id} answered.",
    ]
    assert due_requests(db, again) == []

    assert [d.result for d in deliver(db, smtp, clock)] == [Result.SENT]
    assert smtp.message_ids() == [queued.message_id]
    assert judged(db, made.request_id, again) == (Timeliness.ANSWERED_ON_TIME, again, 1.0)


def test_an_answer_given_by_hand_meanwhile_is_not_clobbered_by_a_retry_or_reopened_again(
    db: Db, smtp: SmtpServer
) -> None:
    made = partner_request(db)
    queued = send_pack(db, made.assessment_id)
    smtp.handler.refuse[CHANNEL] = REFUSED
    clock = Clock()
    deliver(db, smtp, clock)
    assert request_row(db, made.request_id).status == "open"
    by_hand = date(2026, 11, 27)  # the lead telephoned the panel, and marked the request answered
    move_both_clocks(db, clock, by_hand)
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=made.request_id, on=by_hand)
    move_both_clocks(db, clock, date(2026, 12, 1))

    with db.uow() as uow:  # the pack is tried again for the record, and fails again
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=db.config)
    assert request_row(db, made.request_id).answered_on == by_hand  # not today: the retry answers nothing
    assert not disclosure_row(db, queued.disclosure_id).answers_request
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.FAILED]

    request = request_row(db, made.request_id)
    assert (request.status, request.answered_on) == ("answered", by_hand)
    assert disclosure_row(db, queued.disclosure_id).undelivered_on == date(2026, 12, 1)
    assert [e for e, _ in events(db, "case:request:reopen")] == ["case:request:reopen"]  # once only
    assert judged(db, made.request_id, date(2026, 12, 1))[:2] == (Timeliness.ANSWERED_ON_TIME, by_hand)
    assert notifications(db)[-1].endswith("sent from another address now.")  # no request named: none changed


def test_a_pack_queued_after_the_request_was_answered_leaves_it_answered_when_it_fails(
    db: Db, smtp: SmtpServer
) -> None:
    made = partner_request(db)
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=made.request_id, on=TODAY)
    queued = send_pack(db, made.assessment_id)  # the pack follows a telephone answer
    smtp.handler.refuse[CHANNEL] = REFUSED

    assert [d.result for d in deliver(db, smtp, Clock())] == [Result.FAILED]

    assert request_row(db, made.request_id).status == "answered"
    assert disclosure_row(db, queued.disclosure_id).undelivered_on == TODAY
    assert events(db, "case:request:reopen") == []


def test_of_two_packs_answering_one_request_the_answer_passes_to_the_one_still_standing(
    db: Db, smtp: SmtpServer
) -> None:
    made = partner_request(db)
    first = send_pack(db, made.assessment_id)  # answers the request
    # Reassessed before the first pack left: the first is withheld, the second is queued while the
    # request stood answered.
    second = send_pack(db, second_decision(db, made))
    assert (
        disclosure_row(db, first.disclosure_id).answers_request,
        disclosure_row(db, second.disclosure_id).answers_request,
    ) == (True, False)

    assert sorted(d.result for d in deliver(db, smtp, Clock())) == [Result.FAILED, Result.SENT]

    request = request_row(db, made.request_id)
    assert (request.status, request.answered_on) == ("answered", TODAY)
    assert disclosure_row(db, second.disclosure_id).answers_request
    assert timeline(db, made.case_id)[-1][2] == (
        f"Request {made.request_id} stays answered, by disclosure {second.disclosure_id}: disclosure "
        f"{first.disclosure_id} was not delivered."
    )
    assert notifications(db)[-1].endswith(
        f"Request {made.request_id} stays answered by disclosure {second.disclosure_id}."
    )
    assert events(db, "case:request:reopen") == []


def test_when_both_packs_answering_one_request_fail_it_opens_again_once(db: Db, smtp: SmtpServer) -> None:
    made = partner_request(db)
    first = send_pack(db, made.assessment_id)
    second = send_pack(db, second_decision(db, made))  # the first is withheld: replaced
    smtp.handler.refuse[CHANNEL] = REFUSED  # and the second refused for good

    assert [d.result for d in deliver(db, smtp, Clock())] == [Result.FAILED, Result.FAILED]

    assert request_row(db, made.request_id).status == "open"
    assert events(db, "case:disclosure:undeliver", "case:request:update", "case:request:reopen")[-4:] == [
        ("case:disclosure:undeliver", f"disclosure:{first.disclosure_id}"),
        ("case:request:update", f"request:{made.request_id}"),  # handed to the second, then
        ("case:disclosure:undeliver", f"disclosure:{second.disclosure_id}"),
        ("case:request:reopen", f"request:{made.request_id}"),
    ]
    assert due_requests(db, TODAY) == [(made.request_id, DUE, False)]


def test_withdrawn_consent_flags_no_disclosure_that_was_never_delivered(db: Db, smtp: SmtpServer) -> None:
    made = partner_request(db)
    queued = send_pack(db, made.assessment_id)
    smtp.handler.refuse[CHANNEL] = REFUSED
    deliver(db, smtp, Clock())
    consent = NewConsent(
        scope="sharing",
        status=ConsentStatus.GIVEN,
        has_capacity=True,
        sought_by="lead.a",
        sought_on=TODAY,
        given_by=ConsentGiver.SUBJECT,
    )
    with db.uow() as uow:
        consent_id = record_consent(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, consent=consent)
    with db.uow() as uow:
        withdrawn = withdraw_consent(
            uow=uow, actor="lead.a", case_id=made.case_id, consent_id=consent_id, on=TODAY
        )
    # Telling the panel about a withdrawal would tell them of a case they never heard of.
    assert withdrawn.flagged_disclosures == []
    assert disclosure_row(db, queued.disclosure_id).consent_withdrawn_on is None


def test_a_decision_whose_pack_was_not_delivered_is_sent_again_by_trying_the_message_not_twice(
    db: Db, smtp: SmtpServer
) -> None:
    made = partner_request(db)
    queued = send_pack(db, made.assessment_id)
    smtp.handler.refuse[CHANNEL] = REFUSED
    deliver(db, smtp, Clock())

    with pytest.raises(
        RefusedError, match=r"by a secure email that was not delivered: try that message again"
    ):
        send_pack(db, made.assessment_id)

    assert request_row(db, made.request_id).status == "open"  # the refused send answered nothing
    assert disclosure_row(db, queued.disclosure_id).undelivered_on == TODAY
