"""Rules step 5: the extra condition special category and criminal offence data need.

UK GDPR Art 9 and Art 10 forbid processing such data unless a condition is met; DPA 2018 s10 says
that Art 9(2)(g) and criminal offence data rely on a condition in Sch 1. Without consent the engine
tries three Sch 1 Part 2 conditions in a fixed order (safeguarding, unlawful acts, statutory purposes)
so that the most specific one is cited.
"""

from prevent_ig.domain.law import provision_ids as P
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.findings import Route, SensitiveConditions
from prevent_ig.domain.law.vocabulary import LegalRequirement, Purpose, ReasonNotSought

ADULT_AGE = 18

UNLAWFUL_ACT_PURPOSES = frozenset(
    {
        Purpose.PREVENT_REFERRAL,
        Purpose.POLICE_SCREENING,
        Purpose.CHANNEL_INFORMATION_GATHERING,
        Purpose.CRIME_PREVENTION,
    }
)
CHANNEL_DUTY_PURPOSES = frozenset({Purpose.CHANNEL_INFORMATION_GATHERING, Purpose.CHANNEL_PANEL})
PREJUDICE_REASONS = frozenset(
    {ReasonNotSought.PREJUDICE_PURPOSE, ReasonNotSought.RISK_OF_HARM, ReasonNotSought.URGENT}
)

COURT_ORDER = SensitiveConditions(
    available=True, article9=P.UKGDPR_9_2_F, article10_condition=P.DPA_SCH1_PT3_PARA33
)
STATUTE = SensitiveConditions(
    available=True,
    article9=P.UKGDPR_9_2_G,
    article10_condition=P.DPA_SCH1_PT2_PARA6,
    dpa_condition=P.DPA_SCH1_PT2_PARA6,
)
CONSENT = SensitiveConditions(
    available=True, article9=P.UKGDPR_9_2_A, article10_condition=P.DPA_SCH1_PT3_PARA29
)
NONE_MET = SensitiveConditions(available=False)


def sensitive_conditions(a: Assessment, route: Route) -> SensitiveConditions:
    if route is Route.LAW:
        return COURT_ORDER if a.grounds.legal_requirement is LegalRequirement.COURT_ORDER else STATUTE
    if route is Route.CONSENT:
        return CONSENT
    condition = part2_condition_without_consent(a)
    if condition is None:
        return NONE_MET
    return SensitiveConditions(
        available=True,
        article9=P.UKGDPR_9_2_G,
        article10_condition=condition,
        dpa_condition=condition,
    )


def part2_condition_without_consent(a: Assessment) -> str | None:
    """The first DPA 2018 Sch 1 Part 2 condition whose test holds, or None."""
    g = a.grounds
    if not g.substantial_public_interest:
        return None
    young_or_at_risk = a.subject.age < ADULT_AGE or a.subject.adult_at_risk
    if young_or_at_risk and g.risk:
        return P.DPA_SCH1_PT2_PARA18
    would_prejudice = g.informing_would_prejudice or a.consent.reason_not_sought in PREJUDICE_REASONS
    if a.purpose in UNLAWFUL_ACT_PURPOSES and would_prejudice:
        return P.DPA_SCH1_PT2_PARA10
    if a.purpose in CHANNEL_DUTY_PURPOSES:
        return P.DPA_SCH1_PT2_PARA6
    return None
