"""Which disclosure pack a partner request stands answered by, and what a pack that never arrived undoes.

Queuing a disclosure pack answers the partner request it responds to at once (``services.outbox``): a
queued message is retried until it goes, so the lead's 5 working days are met the day it is queued.
When the mail worker gives the message up instead (the server refused it for good, the attempts ran
out, or its decision no longer authorised it), the partner has received nothing. Left answered, the
request would be off the due list with its clock stopped and counted on time in the oversight report,
and the disclosure would stand as information shared. So, in the transaction that fails the message,
the disclosure is marked not delivered and, if the request stands answered by this pack, the request
opens again with its first received and due dates, overdue if that day has passed.

Only the pack a request is answered by (``DisclosureRow.answers_request``) opens it: an answer given
since by hand, or by another pack, is left alone. When two packs answer one request (a second decision
on it, queued before the first pack left), the failure of the one it rests on hands the answer to the
other if that is still on its way or delivered, dated the day that pack was issued.

Trying the message again, or sending it again as a new message in its place, restores both, as queuing
it did: the disclosure is no longer marked, and a request that is open is answered by it on the day it
is queued again.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    DisclosureRow,
    OutboxMessageRow,
    PartnerRequestRow,
)
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.documents.model import DocumentKind
from prevent_ig.domain.pathway.request_clock import is_overdue
from prevent_ig.services.cases import record_case_step
from prevent_ig.services.requests import clock_started, mark_answered
from prevent_ig.services.transactions import enlisted

OPEN, ANSWERED = "open", "answered"


@dataclass(frozen=True, slots=True, kw_only=True)
class Undelivered:
    """What a message's failure undid, for the leads' notification (ids and dates only)."""

    disclosure_id: int
    request_id: int | None = None
    """The partner request the disclosure was the answer to, if it was."""
    reopened_due_on: date | None = None
    """The request's due date, when it opened again."""
    overdue: bool = False
    answered_by_instead: int | None = None
    """Another pack for the same request, still on its way or delivered, that now answers it."""

    def notice(self) -> str:
        """A sentence for the leads, or nothing when no request changed."""
        if self.request_id is None:
            return ""
        if self.answered_by_instead is not None:
            return f" Request {self.request_id} stays answered by disclosure {self.answered_by_instead}."
        assert self.reopened_due_on is not None
        late = " and overdue" if self.overdue else ""
        return f" Request {self.request_id} is open again{late}: due {self.reopened_due_on.isoformat()}."


def answer_request_with(
    uow: UnitOfWork, *, actor: str, disclosure: DisclosureRow, request_id: int, on: date
) -> bool:
    """Answer the request with this pack if it is open (not while the requestor clarifies, nor when it
    was answered already); the caller commits. Whether it did."""
    request = uow.session.get(PartnerRequestRow, request_id, with_for_update=True)
    if request is None or request.status != OPEN:
        return False
    mark_answered(uow=enlisted(uow), actor=actor, request_id=request_id, on=on)
    disclosure.answers_request = True
    return True


def settle_undelivered(
    uow: UnitOfWork, message: OutboxMessageRow, *, actor: str, on: date
) -> Undelivered | None:
    """In the transaction that fails ``message`` for good: its disclosure is marked not delivered and
    the request it answered opens again (or rests on another pack). None for a message that carries no
    disclosure, or one already marked."""
    if message.disclosure_id is None:
        return None
    request = _request_locked(uow, message.disclosure_id)
    disclosure = uow.session.get(DisclosureRow, message.disclosure_id, with_for_update=True)
    if disclosure is None or disclosure.undelivered_on is not None:
        return None
    disclosure.undelivered_on = on
    record_case_step(
        uow,
        case_id=disclosure.case_id,
        on=on,
        actor=actor,
        kind="disclosure",
        summary=f"Disclosure {disclosure.id} was not delivered: secure email {message.id} failed.",
        event="case:disclosure:undeliver",
        entity=f"disclosure:{disclosure.id}",
        change={"undelivered_on": on, "message": message.id},
    )
    was_the_answer = disclosure.answers_request
    disclosure.answers_request = False
    if not was_the_answer or request is None or request.status != ANSWERED:
        return Undelivered(disclosure_id=disclosure.id)
    instead = _pack_still_standing(uow, request.id, besides=disclosure.id)
    if instead is not None:
        return _hand_over(uow, actor=actor, request=request, failed=disclosure, instead=instead, on=on)
    answered_on = request.answered_on
    request.status = OPEN
    request.answered_on = None
    overdue = is_overdue(request.due_on, on)
    record_case_step(
        uow,
        case_id=request.case_id,
        on=on,
        actor=actor,
        kind="partner_request",
        summary=f"Request {request.id} is open again: its answer, disclosure {disclosure.id}, was not "
        f"delivered. Due {request.due_on.isoformat()}{' (overdue)' if overdue else ''}.",
        event="case:request:reopen",
        entity=f"request:{request.id}",
        change={
            "status": OPEN,
            "answered_on": None,
            "was_answered_on": answered_on,
            "undelivered_disclosure": disclosure.id,
            "due_on": request.due_on,
        },
    )
    return Undelivered(
        disclosure_id=disclosure.id, request_id=request.id, reopened_due_on=request.due_on, overdue=overdue
    )


def _request_locked(uow: UnitOfWork, disclosure_id: int) -> PartnerRequestRow | None:
    """The partner request the disclosure's decision responds to, locked until commit, or None.

    Locked before the disclosures, in every use case here: a worker failing one pack and a lead trying
    another again take their locks in the same order, so neither waits on the other for ever."""
    request_id = uow.session.scalar(
        select(AssessmentRow.request_id)
        .join(DisclosureRow, DisclosureRow.assessment_id == AssessmentRow.id)
        .where(DisclosureRow.id == disclosure_id)
    )
    if request_id is None:
        return None
    return uow.session.get(PartnerRequestRow, request_id, with_for_update=True)


def _pack_still_standing(uow: UnitOfWork, request_id: int, *, besides: int) -> DisclosureRow | None:
    """The first other pack answering the same request whose message is on its way or delivered: one
    not marked undelivered (every message failed for good marks its disclosure, here or when migration
    0009 filled the column in), sent by secure email as a pack."""
    return uow.session.scalars(
        select(DisclosureRow)
        .join(AssessmentRow, AssessmentRow.id == DisclosureRow.assessment_id)
        .join(OutboxMessageRow, OutboxMessageRow.disclosure_id == DisclosureRow.id)
        .where(
            AssessmentRow.request_id == request_id,
            DisclosureRow.id != besides,
            DisclosureRow.undelivered_on.is_(None),
            OutboxMessageRow.kind == DocumentKind.DISCLOSURE.value,
        )
        .order_by(DisclosureRow.id)
        .limit(1)
        .with_for_update(of=DisclosureRow)
    ).first()


def _hand_over(
    uow: UnitOfWork,
    *,
    actor: str,
    request: PartnerRequestRow,
    failed: DisclosureRow,
    instead: DisclosureRow,
    on: date,
) -> Undelivered:
    """The request stays answered, by the other pack, dated the day that pack was issued as queuing
    would have dated it (never before the request's clock started)."""
    instead.answers_request = True
    request.answered_on = max(instead.disclosed_on, clock_started(uow, request))
    record_case_step(
        uow,
        case_id=request.case_id,
        on=on,
        actor=actor,
        kind="partner_request",
        summary=f"Request {request.id} stays answered, by disclosure {instead.id}: disclosure {failed.id} "
        "was not delivered.",
        event="case:request:update",
        entity=f"request:{request.id}",
        change={"answered_on": request.answered_on, "answered_by_disclosure": instead.id},
    )
    return Undelivered(disclosure_id=failed.id, request_id=request.id, answered_by_instead=instead.id)


def restore_on_requeue(
    uow: UnitOfWork,
    message: OutboxMessageRow,
    *,
    actor: str,
    on: date,
    replacing: OutboxMessageRow | None = None,
) -> None:
    """In the transaction that queues a failed ``message`` again, or queues ``message`` as a new
    message ``replacing`` the failed one: its disclosure is no longer marked undelivered, and a
    disclosure pack answers its request again if the request is open, as queuing it did. A request
    answered meanwhile, or waiting for the requestor to clarify, is left alone; a referral form
    answers no request when it is queued, nor when it is queued again."""
    if message.disclosure_id is None:
        return
    answers = message.kind == DocumentKind.DISCLOSURE.value
    request = _request_locked(uow, message.disclosure_id) if answers else None
    disclosure = uow.session.get(DisclosureRow, message.disclosure_id, with_for_update=True)
    if disclosure is None:
        return
    if disclosure.undelivered_on is not None:
        disclosure.undelivered_on = None
        how = (
            f"secure email {message.id} queued again."
            if replacing is None
            else f"secure email {message.id} queued in place of secure email {replacing.id}."
        )
        change: dict[str, object] = {"undelivered_on": None, "message": message.id}
        if replacing is not None:
            change["replaces"] = replacing.id
        record_case_step(
            uow,
            case_id=disclosure.case_id,
            on=on,
            actor=actor,
            kind="disclosure",
            summary=f"Disclosure {disclosure.id} is being sent again: {how}",
            event="case:disclosure:update",
            entity=f"disclosure:{disclosure.id}",
            change=change,
        )
    if request is not None:
        answer_request_with(uow, actor=actor, disclosure=disclosure, request_id=request.id, on=on)
