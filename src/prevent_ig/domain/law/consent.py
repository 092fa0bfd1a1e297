"""Who can consent, for what (guidance §3 and §7).

Consent to *share* and consent to *Channel support* are different things: the rules keep them apart
because CTSA 2015 s36(4)(b) makes support depend on the person's (or, for a child, a parent's)
agreement, whoever else may lawfully receive information.
"""

from prevent_ig.domain.law import provision_ids as P
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus

ADULT_AGE = 18
MCA_AGE = 16


def has_valid_consent(a: Assessment) -> bool:
    """Consent to share given by someone entitled to give it for this subject."""
    if a.consent.status is not ConsentStatus.GIVEN:
        return False
    return may_consent_to_share(a.consent.given_by, age=a.subject.age, has_capacity=a.subject.has_capacity)


def may_consent_to_share(by: ConsentGiver | None, *, age: int, has_capacity: bool) -> bool:
    """Who may agree to sharing: the person who can decide; for a child who cannot, a parent or
    guardian; for an adult who cannot, a legal representative (guidance §3, MCA 2005)."""
    adult = age >= ADULT_AGE
    if by is ConsentGiver.SUBJECT:
        return has_capacity
    if by is ConsentGiver.PARENT_OR_GUARDIAN:
        return not adult and not has_capacity
    if by is ConsentGiver.LEGAL_REPRESENTATIVE:
        return adult and not has_capacity
    return False


def has_channel_consent(a: Assessment) -> bool:
    return is_channel_consent(
        status=a.consent.status,
        given_by=a.consent.given_by,
        age=a.subject.age,
        has_capacity=a.subject.has_capacity,
    )


def is_channel_consent(
    *, status: ConsentStatus, given_by: ConsentGiver | None, age: int, has_capacity: bool
) -> bool:
    """Agreement to Channel support: a parent or guardian under 18; the capable person from 18.

    Used by the engine (rules step 1b) and by the pathway guard before a support plan starts.
    """
    if status is not ConsentStatus.GIVEN:
        return False
    if age < ADULT_AGE:
        return given_by is ConsentGiver.PARENT_OR_GUARDIAN
    return given_by is ConsentGiver.SUBJECT and has_capacity


def capacity_provision(age: int) -> str:
    """Capacity is judged under the MCA 2005 from 16, by Gillick competence below."""
    return P.MCA_S1 if age >= MCA_AGE else P.GILLICK
