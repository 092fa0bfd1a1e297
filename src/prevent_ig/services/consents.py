"""Recording consent (to share, or to Channel support) and its later withdrawal.

A record says consent was given only if the person who gave it could give it: the person themselves
when they can decide; for sharing, a parent or guardian of a child who cannot, a legal representative
of an adult who cannot; for Channel support, a parent or guardian of anyone under 18 (CTSA 2015
s36(4)(b)). Anything else is refused, so the case page never shows "agreed" for consent that the
assessment engine and the pathway's guard would then not count.

The latest record of each kind is the one in force, and only it can be withdrawn. A refusal recorded
after consent was given withdraws that consent, with the same effects.
"""

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import bindparam, select

from prevent_ig.adapters.records.tables import NAME, ConsentRow, DisclosureRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.law.consent import ADULT_AGE, is_channel_consent, may_consent_to_share
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus, ReasonNotSought
from prevent_ig.services.cases import age_on, date_of_birth, record_case_step
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError

SHARING, CHANNEL_SUPPORT = "sharing", "channel_support"
SCOPES = (SHARING, CHANNEL_SUPPORT)


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
    if not not_sought and not (consent.sought_by or "").strip():
        raise InvalidFieldError("sought_by", "record who asked them")
    for name in ("sought_by", "capacity_assessed_by"):
        if len(getattr(consent, name) or "") > NAME:
            raise InvalidFieldError(name, f"must be at most {NAME} characters")


def _check_giver(consent: NewConsent, age: int) -> None:
    """Consent given by someone who could not give it is refused, naming who could."""
    if consent.status is not ConsentStatus.GIVEN:
        return
    if consent.scope == CHANNEL_SUPPORT:
        if not is_channel_consent(
            status=consent.status, given_by=consent.given_by, age=age, has_capacity=consent.has_capacity
        ):
            if age >= ADULT_AGE and not consent.has_capacity:
                raise InvalidFieldError(
                    "given_by",
                    f"no one can consent to Channel support for someone of {age} who cannot decide"
                    " (CTSA 2015 s36(4)(b))",
                )
            who = "a parent or guardian" if age < ADULT_AGE else "the person themselves"
            raise InvalidFieldError(
                "given_by", f"consent to Channel support at {age} must come from {who} (CTSA 2015 s36(4)(b))"
            )
    elif not may_consent_to_share(consent.given_by, age=age, has_capacity=consent.has_capacity):
        if consent.has_capacity:
            who = "the person themselves, who can decide"
        elif age < ADULT_AGE:
            who = "a parent or guardian, as they cannot decide"
        else:
            who = "a legal representative, as they cannot decide"
        raise InvalidFieldError("given_by", f"consent to share at {age} must come from {who}")


def record_consent(*, uow: UnitOfWork, actor: str, case_id: int, consent: NewConsent, on: date) -> int:
    """Record consent as it stands on ``on``; the giver is judged by the person's age that day, the day
    the record comes into force (a parent's consent sought at 17 does not count once they are 18), and
    by their age the day it was sought."""
    _check(consent, on)
    born = date_of_birth(uow, case_id)
    if consent.sought_on is not None and consent.sought_on < born:
        raise InvalidFieldError("sought_on", "cannot be before the person was born")
    _check_giver(consent, age_on(born, on))
    if consent.sought_on is not None:
        # And on the day it was given: a 17-year-old's own consent to Channel support, recorded after
        # their 18th birthday, was never the consent the law asks for.
        _check_giver(consent, age_on(born, consent.sought_on))
    replaced = consent_in_force(uow, case_id, consent.scope, lock=True)
    if replaced is not None and consent.status is not ConsentStatus.GIVEN and _withdrawable(replaced):
        _withdraw(uow, actor, replaced, on)  # now refused: the consent given before no longer stands
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


@dataclass(frozen=True, slots=True)
class Withdrawn:
    consent_id: int
    scope: str
    flagged_disclosures: list[int]
    """The case's disclosures, flagged for the lead to tell each recipient (consent to sharing only)."""


def withdraw_consent(*, uow: UnitOfWork, actor: str, case_id: int, consent_id: int, on: date) -> Withdrawn:
    """Mark consent withdrawn; for consent to sharing, flag every disclosure made on the case (but
    those never delivered).

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
    current = consent_in_force(uow, case_id, row.scope, lock=True)
    if current is not None and current.id != row.id:
        # A later record decides now (the pathway's guard reads the latest); withdrawing an older one
        # would leave the consent in force while the page said it was withdrawn.
        if _withdrawable(current):
            raise RefusedError(f"consent {row.id} was replaced by consent {current.id}; withdraw that one")
        raise RefusedError(
            f"consent {row.id} no longer stands: consent {current.id} ({current.status}) replaced it"
        )
    flagged = _withdraw(uow, actor, row, on)
    uow.commit()
    return Withdrawn(consent_id=row.id, scope=row.scope, flagged_disclosures=flagged)


# Built once: read on every decision, move and message, and building it cost more than running it.
_LATEST = (
    select(ConsentRow)
    .where(ConsentRow.case_id == bindparam("case_id"), ConsentRow.scope == bindparam("scope"))
    .order_by(ConsentRow.id.desc())
    .limit(1)
)
_LATEST_LOCKED = _LATEST.with_for_update()


def consent_in_force(uow: UnitOfWork, case_id: int, scope: str, *, lock: bool = False) -> ConsentRow | None:
    """The latest record of this kind of consent on the case: the one that stands, which the pathway's
    guard reads and only which can be withdrawn. ``lock`` for a use case about to change it."""
    return uow.session.scalars(
        _LATEST_LOCKED if lock else _LATEST, {"case_id": case_id, "scope": scope}
    ).first()


SCOPE_WORDS = {SHARING: "sharing", CHANNEL_SUPPORT: "Channel support"}
"""What each kind of consent is to, in a sentence ("consent to Channel support")."""


def against_consent(row: ConsentRow | None) -> str | None:
    """What the case's consent record says against consent having been given, in words that follow
    "the case's consent record says"; ``None`` when it says given or there is none. One reading of the
    record for both who ask: answers being recorded (``assessments``) and a decision already made
    (``authority``)."""
    if row is None:
        return None
    if row.withdrawn_on is not None:
        return f"consent to {SCOPE_WORDS[row.scope]} was withdrawn on {row.withdrawn_on}"
    if row.status != ConsentStatus.GIVEN.value:
        return f"consent to {SCOPE_WORDS[row.scope]} was {row.status.replace('_', ' ')}"
    return None


def channel_consent_counts(row: ConsentRow, *, born: date, on: date) -> bool:
    """Whether a Channel-support consent record is the agreement CTSA 2015 s36(4)(b) asks for on
    ``on``: given, not withdrawn, by whoever may give it at the person's age that day, or on the day it
    was given when that is later. A parent's agreement given at 17 stops counting at 18, when only the
    person can agree. One reading for the pathway's guard and for a support-plan disclosure."""
    if row.withdrawn_on is not None:
        return False
    return is_channel_consent(
        status=ConsentStatus(row.status),
        given_by=ConsentGiver(row.given_by) if row.given_by else None,
        age=age_on(born, max(on, consent_given_on(row))),
        has_capacity=row.has_capacity,
    )


def consent_given_on(row: ConsentRow) -> date:
    """The day the consent was given: when it was sought, or else recorded."""
    return row.sought_on or row.recorded_on


def _withdrawable(row: ConsentRow) -> bool:
    return row.status == ConsentStatus.GIVEN.value and row.withdrawn_on is None


def _withdraw(uow: UnitOfWork, actor: str, row: ConsentRow, on: date) -> list[int]:
    """Mark ``row`` withdrawn on ``on``; for consent to sharing, flag the case's disclosures."""
    row.withdrawn_on = on
    flagged = []
    if row.scope == SHARING:
        # Every disclosure on the case, whatever its date or basis: the lead decides for each whether
        # its recipient must be told. Those made after a back-dated withdrawal had no consent at all.
        # Not one whose message was never delivered: its recipient has nothing to be told about, and
        # telling them would itself say there is a Prevent case about this person.
        for disclosure in uow.session.scalars(
            select(DisclosureRow).where(DisclosureRow.case_id == row.case_id).order_by(DisclosureRow.id)
        ):
            if disclosure.consent_withdrawn_on is None and disclosure.undelivered_on is None:
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
        summary=f"Consent withdrawn; {len(flagged)} disclosure(s) on the case flagged for follow-up.",
        event="case:consent:withdraw",
        entity=f"consent:{row.id}",
        change={"withdrawn_on": on},
    )
    return flagged
