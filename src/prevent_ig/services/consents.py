"""Recording consent (to share, or to Channel support) and its later withdrawal."""

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select

from prevent_ig.adapters.records.tables import ConsentRow, DisclosureRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus, ReasonNotSought
from prevent_ig.services.cases import record_case_step, require_case
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError

SCOPES = ("sharing", "channel_support")


@dataclass(frozen=True, slots=True, kw_only=True)
class NewConsent:
    scope: str
    status: ConsentStatus
    has_capacity: bool
    sought_by: str | None = None
    sought_on: date | None = None
    given_by: ConsentGiver | None = None
    reason_not_sought: ReasonNotSought | None = None
    capacity_assessed_by: str | None = None
    best_interests_decision: str | None = None
    best_interests_consulted: str | None = None


def _check(consent: NewConsent, on: date) -> None:
    if consent.scope not in SCOPES:
        raise InvalidFieldError("scope", f"must be one of {', '.join(SCOPES)}")
    if consent.status is ConsentStatus.WITHDRAWN:
        # A withdrawal belongs to the consent that was given (``withdraw_consent``), which then flags
        # the disclosures made on it; a free-standing "withdrawn" record would flag nothing.
        raise InvalidFieldError("status", "record a withdrawal against the consent that was given")
    if consent.sought_on is not None and consent.sought_on > on:
        raise InvalidFieldError("sought_on", "cannot be later than the day it is recorded")
    given = consent.status is ConsentStatus.GIVEN
    if given != (consent.given_by is not None):
        raise InvalidFieldError("given_by", "is required exactly when status is 'given'")
    not_sought = consent.status is ConsentStatus.NOT_SOUGHT
    if not_sought and consent.reason_not_sought is None:
        raise InvalidFieldError("reason_not_sought", "record why consent was not sought")
    if not not_sought and consent.reason_not_sought is not None:
        raise InvalidFieldError("reason_not_sought", "only when status is 'not_sought'")
    if not_sought == (consent.sought_on is not None):
        raise InvalidFieldError("sought_on", "give the date consent was sought, unless it was not sought")
    if consent.reason_not_sought is ReasonNotSought.LACKS_CAPACITY and consent.has_capacity:
        raise InvalidFieldError("reason_not_sought", "'lacks_capacity' contradicts has_capacity true")
    if consent.best_interests_decision and not consent.best_interests_consulted:
        raise InvalidFieldError("best_interests_consulted", "record who was consulted (MCA 2005 s4)")


def record_consent(*, uow: UnitOfWork, actor: str, case_id: int, consent: NewConsent, on: date) -> int:
    _check(consent, on)
    require_case(uow, case_id)
    row = ConsentRow(
        case_id=case_id,
        sought=consent.status is not ConsentStatus.NOT_SOUGHT,
        recorded_on=on,
        **{
            **asdict(consent),
            "status": consent.status.value,
            "given_by": consent.given_by.value if consent.given_by else None,
            "reason_not_sought": consent.reason_not_sought.value if consent.reason_not_sought else None,
        },
    )
    uow.session.add(row)
    uow.session.flush()
    record_case_step(
        uow,
        case_id=case_id,
        on=on,
        actor=actor,
        kind="consent",
        summary=f"Consent ({consent.scope.replace('_', ' ')}) recorded: {consent.status.value}.",
        event="case:consent:create",
        entity=f"consent:{row.id}",
        change=asdict(consent),
    )
    uow.commit()
    return row.id


def withdraw_consent(*, uow: UnitOfWork, actor: str, case_id: int, consent_id: int, on: date) -> list[int]:
    """Mark consent withdrawn and flag every disclosure already made on the case; return their ids.

    The caller names the case as well as the consent, so an id from another case answers "not found"
    rather than withdrawing consent on a case nobody was looking at."""
    row = uow.session.get(ConsentRow, consent_id, with_for_update=True)
    if row is None or row.case_id != case_id:
        raise NotFoundError(f"consent {consent_id} does not exist on case {case_id}")
    if row.status != ConsentStatus.GIVEN.value:
        raise RefusedError("only consent that was given can be withdrawn")
    if row.withdrawn_on is not None:
        raise RefusedError(f"consent {consent_id} was already withdrawn on {row.withdrawn_on}")
    if on < row.recorded_on:
        raise InvalidFieldError("on", f"cannot be before the consent was recorded ({row.recorded_on})")
    row.withdrawn_on = on
    flagged = []
    if row.scope == "sharing":
        for disclosure in uow.session.scalars(
            select(DisclosureRow).where(
                DisclosureRow.case_id == row.case_id, DisclosureRow.disclosed_on <= on
            )
        ):
            if disclosure.consent_withdrawn_on is None:
                disclosure.consent_withdrawn_on = on
                flagged.append(disclosure.id)
                uow.audit.record(
                    actor=actor,
                    event="case:disclosure:update",
                    case_id=row.case_id,
                    entity=f"disclosure:{disclosure.id}",
                    change={"consent_withdrawn_on": on},
                )
    record_case_step(
        uow,
        case_id=row.case_id,
        on=on,
        actor=actor,
        kind="consent",
        summary=f"Consent withdrawn; {len(flagged)} earlier disclosure(s) flagged for follow-up.",
        event="case:consent:withdraw",
        entity=f"consent:{row.id}",
        change={"withdrawn_on": on},
    )
    uow.commit()
    return flagged
