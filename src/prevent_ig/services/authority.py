"""Whether a recorded decision still authorises sharing, now.

A decision is acted on later than it is made: a disclosure recorded, a referral form issued, a message
leaving the outbox hours after it was queued, the case moved to "referred". Between the two the lead
may have recorded a newer decision on the same question, or the person may have withdrawn the consent
the decision rested on, or turned 18, when the parent who gave it can no longer. Consent is the first
basis for sharing, and where it is not there another lawful basis must be met or nothing is shared
(guidance §3 and §8): a decision made on consent that has since been withdrawn or refused, or that its
giver can no longer give, authorises nothing until a new assessment finds another basis.
A Channel support plan needs more: the person's agreement to the support itself (or a parent's, under
18), without which nothing is shared for it on any basis; a support-plan decision stops authorising
when the case's record of that agreement is withdrawn or refused, or no longer counts at the person's
age.
Likewise a decision made while IG advice was awaited stops authorising when the advice comes back
against sharing (decision rules, step 7). Every place that acts on a decision asks this module, so
none of them acts on one that no longer stands.
"""

from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import aliased

from prevent_ig.adapters.records.tables import AssessmentRow, CaldicottLogRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.law.consent import may_consent_to_share
from prevent_ig.domain.law.vocabulary import ConsentGiver, Outcome, Purpose
from prevent_ig.services.cases import age_on, date_of_birth
from prevent_ig.services.consents import (
    CHANNEL_SUPPORT,
    SHARING,
    against_consent,
    channel_consent_counts,
    consent_in_force,
)

CONSENT_BASIS = "CLDC.consent"
"""The common-law basis of a decision that rests on the person's consent (provisions.yaml)."""


def why_not_authorised(uow: UnitOfWork, row: AssessmentRow, *, on: date | None = None) -> str | None:
    """Why ``row`` does not authorise sharing on ``on`` (by default today, by the unit of work's clock),
    in words for the user, or ``None`` when it does. The day matters only for consent that counts at
    one age and not at another."""
    if row.outcome != Outcome.SHARE.value or row.lead_decision != "follow":
        return (
            f"assessment {row.id} does not authorise sharing (outcome {row.outcome}, lead decision "
            f"{row.lead_decision}); record a new assessment first"
        )
    if (later := superseded_by(uow, row.id)) is not None:
        return f"assessment {row.id} was superseded by assessment {later}"
    if row.awaits_advice and (against := _advice_against(uow, row.id)) is not None:
        # Decided while the advice was awaited; had it been known, the rules would have said do not
        # share (step 7). The lead may reassess, and take a disagreement to the Caldicott guardian or SIRO.
        return (
            f"the IG advice on assessment {row.id} (Caldicott log entry {against}) does not support "
            "sharing; reassess with the advice"
        )
    day = on or uow.today()
    if row.confidentiality_basis == CONSENT_BASIS and (lapsed := _without_consent_to_share(uow, row, day)):
        return lapsed
    if (channel := _without_channel_consent(uow, row, day)) is not None:
        return channel
    return None


def _without_consent_to_share(uow: UnitOfWork, row: AssessmentRow, on: date) -> str | None:
    """Why a decision resting on consent to sharing no longer has it, or ``None``. Its consent came from
    the lead's answers; the case's own consent record, where there is one, is the later word on it. And
    the giver counted on the day of the decision may not count on the day of the act: a parent agrees
    for a child who cannot decide, never for an adult (guidance §3), so at 18 the decision needs
    reassessing, with a legal representative's consent or on another basis."""
    if lapsed := against_consent(consent_in_force(uow, row.case_id, SHARING)):
        return (
            f"assessment {row.id} rested on consent to sharing, but the case's consent record now says "
            f"{lapsed}; record a new assessment"
        )
    said = row.input["consent"]["given_by"]
    giver = ConsentGiver(said) if said is not None else None
    age = age_on(date_of_birth(uow, row.case_id), on)
    if may_consent_to_share(giver, age=age, has_capacity=row.input["subject"]["has_capacity"]):
        return None
    return (
        f"assessment {row.id} rested on consent to sharing given by the "
        f"{said.replace('_', ' ') if said else 'no one'}, which no longer counts: the person is now {age}; "
        "reassess, with consent from whoever may give it now or on another basis"
    )


def _without_channel_consent(uow: UnitOfWork, row: AssessmentRow, on: date) -> str | None:
    """Why a support-plan decision no longer has the Channel consent it needed, or ``None``. Support
    through Channel rests on the person's agreement (or, under 18, a parent's), and without it the rules
    say do not share whatever else holds (step 1b; CTSA 2015 s36(4)(b), guidance §7). The engine asked
    it of the answers, unless a court order or statute compelled the disclosure (step 1 is skipped
    then); the case's record of that consent, where there is one, is the later word on it."""
    if row.purpose != Purpose.SUPPORT_PLAN.value or row.input["grounds"]["legal_requirement"] is not None:
        return None
    recorded = consent_in_force(uow, row.case_id, CHANNEL_SUPPORT)
    if recorded is None:
        return None
    if lapsed := against_consent(recorded):
        return (
            f"assessment {row.id} is for a Channel support plan, which needs consent to Channel support, "
            f"but the case's consent record now says {lapsed}; record a new assessment"
        )
    born = date_of_birth(uow, row.case_id)
    if not channel_consent_counts(recorded, born=born, on=on):
        return (
            f"assessment {row.id} is for a Channel support plan, but the consent to Channel support on "
            f"the case's record (consent {recorded.id}, given by the "
            f"{recorded.given_by.replace('_', ' ') if recorded.given_by else 'no one'}) no longer counts: "
            f"the person is now {age_on(born, on)} (CTSA 2015 s36(4)(b)); record the consent again and a new "
            "assessment"
        )
    return None


def superseded_by(uow: UnitOfWork, assessment_id: int) -> int | None:
    """The assessment that replaced this one, if one did (a replaced decision authorises nothing and
    answers no question any more)."""
    later: int | None = uow.session.scalar(
        select(AssessmentRow.id).where(AssessmentRow.supersedes_id == assessment_id)
    )
    return later


def lapsed_decisions(uow: UnitOfWork, case_id: int) -> dict[int, str]:
    """Why each of the case's standing, followed "share" decisions no longer authorises sharing, by
    assessment id: the case page says so beside each, rather than showing them as current."""
    rows = uow.session.scalars(
        select(AssessmentRow).where(
            AssessmentRow.case_id == case_id,
            AssessmentRow.outcome == Outcome.SHARE.value,
            AssessmentRow.lead_decision == "follow",
            standing(),
        )
    )
    return {row.id: why for row in rows if (why := why_not_authorised(uow, row)) is not None}


def _advice_against(uow: UnitOfWork, assessment_id: int) -> int | None:
    """The Caldicott log entry that answered the assessment against sharing, if one did."""
    return uow.session.scalar(
        select(CaldicottLogRow.id).where(
            CaldicottLogRow.assessment_id == assessment_id,
            CaldicottLogRow.answers,
            CaldicottLogRow.supports_sharing.is_(False),
        )
    )


def standing() -> ColumnElement[bool]:
    """The assessment is the case's word on its question: no later assessment supersedes it."""
    later = aliased(AssessmentRow)
    return ~select(later.id).where(later.supersedes_id == AssessmentRow.id).exists()


def current_assessments(uow: UnitOfWork, case_id: int, purpose: Purpose) -> list[AssessmentRow]:
    """Assessments of this purpose that no later assessment supersedes."""
    rows = uow.session.scalars(
        select(AssessmentRow).where(AssessmentRow.case_id == case_id).order_by(AssessmentRow.id)
    ).all()
    superseded = {r.supersedes_id for r in rows if r.supersedes_id is not None}
    return [r for r in rows if r.purpose == purpose.value and r.id not in superseded]
