"""Recording a disclosure: exactly the items an assessment released, to the recipient it assessed."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from prevent_ig.adapters.records.tables import AssessmentRow, DisclosureRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.records.stored_text import text_problem
from prevent_ig.services.authority import why_not_authorised
from prevent_ig.services.cases import check_step_date, record_case_step
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError

MARKING = "OFFICIAL-SENSITIVE"
METHODS = ("secure_email", "secure_portal", "in_person", "telephone")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleasedItem:
    id: str
    content: str
    """A snapshot of what was actually sent, so the record shows it even if the source changes."""


def record_disclosure(
    *,
    uow: UnitOfWork,
    actor: str,
    assessment_id: int,
    items: list[ReleasedItem],
    method: str,
    on: date,
) -> int:
    # Locked until commit: two people (or two app processes) disclosing one decision at once queue here,
    # and the second sees the first's disclosure.
    assessment = uow.session.get(AssessmentRow, assessment_id, with_for_update=True)
    if assessment is None:
        raise NotFoundError(f"assessment {assessment_id} does not exist")
    if (refusal := why_not_authorised(uow, assessment, on=on)) is not None:
        raise RefusedError(refusal)
    earlier = uow.session.execute(
        select(DisclosureRow.id, DisclosureRow.undelivered_on).where(
            DisclosureRow.assessment_id == assessment.id
        )
    ).first()
    if earlier is not None and earlier.undelivered_on is not None:
        # Still one disclosure per decision: the failed message can be tried again, or sent again as a
        # new message in its place (services/outbox.py), and a second record beside it could let both go.
        raise RefusedError(
            f"assessment {assessment.id} was disclosed once (disclosure {earlier.id}), by a secure email "
            "that was not delivered: try that message again from the outbox, or send it again there as a "
            "new message (prevent-ig mail resend MESSAGE_ID), or record a new assessment to disclose "
            "another way"
        )
    if earlier is not None:
        raise RefusedError(
            f"assessment {assessment.id} was already disclosed (disclosure {earlier.id}); a further "
            "disclosure needs a new assessment"
        )
    # The record must show the lawful basis was settled before anything went out.
    check_step_date(uow, on, earliest=assessment.decided_on, since=f"assessment {assessment.id} was decided")
    if method not in METHODS:
        raise InvalidFieldError("method", f"must be one of {', '.join(METHODS)}")
    released = list(assessment.output["items_to_share"])
    given = [item.id for item in items]
    if sorted(given) != sorted(released) or len(set(given)) != len(given):
        raise RefusedError(
            f"a disclosure must contain exactly the released items ({', '.join(released)}); "
            "withheld items may never be sent"
        )
    for item in items:
        if (problem := content_problem(item.content)) is not None:
            raise InvalidFieldError(f"items.{item.id}", problem)
    by_id = {item["id"]: item for item in assessment.input["items"]}
    recipient = assessment.input["recipient"]
    row = DisclosureRow(
        case_id=assessment.case_id,
        assessment_id=assessment.id,
        recipient_name=recipient["name"],
        recipient_email=recipient["email"],
        method=method,
        marking=MARKING,
        items=[
            {
                "id": i.id,
                "description": by_id[i.id]["description"],
                "category": by_id[i.id]["category"],
                "content": i.content,
            }
            for i in sorted(items, key=lambda i: released.index(i.id))
        ],
        disclosed_on=on,
        disclosed_by=actor,
    )
    uow.session.add(row)
    uow.session.flush()
    record_case_step(
        uow,
        case_id=assessment.case_id,
        on=on,
        actor=actor,
        kind="disclosure",
        summary=f"Disclosure {row.id} to {recipient['name']} ({len(items)} item(s)), "
        f"{MARKING}, by {method.replace('_', ' ')}.",
        event="case:disclosure:create",
        entity=f"disclosure:{row.id}",
        change={
            "items": row.items,
            "recipient": recipient,
            "method": method,
            "marking": MARKING,
            "disclosed_on": on,
        },
    )
    uow.commit()
    return row.id


def content_problem(content: str) -> str | None:
    """Why ``content`` cannot stand as what was released, or None. An empty disclosure records nothing
    of what went out, yet would stand as the record that it did; and text no record can hold (a NUL, a
    lone surrogate) must be named, not met as a traceback when the row is written."""
    if not content.strip():
        return "give the content that is being released"
    return text_problem(content)
