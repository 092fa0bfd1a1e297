"""Rules step 9: powers and duties that support sharing, cited whatever the outcome.

Neither is a legal requirement: CDA 1998 s115 is a power to disclose to listed bodies, and CTSA 2015
s38 is a duty to co-operate with Channel that never authorises a disclosure data protection law forbids.
Citing them tells the lead what the partner can lean on, not that sharing is compelled.
"""

from prevent_ig.domain.law import provision_ids as P
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Reason
from prevent_ig.domain.law.findings import reason
from prevent_ig.domain.law.vocabulary import Purpose, ReasonCode, RecipientType

S115_RECIPIENTS = frozenset({RecipientType.POLICE, RecipientType.LOCAL_AUTHORITY, RecipientType.PROBATION})
S115_PURPOSES = frozenset({Purpose.PREVENT_REFERRAL, Purpose.POLICE_SCREENING, Purpose.CRIME_PREVENTION})
S38_PURPOSES = frozenset(
    {Purpose.POLICE_SCREENING, Purpose.CHANNEL_INFORMATION_GATHERING, Purpose.CHANNEL_PANEL}
)


def supporting_citations(a: Assessment) -> list[Reason]:
    found = []
    if a.recipient.type in S115_RECIPIENTS and a.purpose in S115_PURPOSES:
        found.append(
            reason(
                ReasonCode.CRIME_AND_DISORDER_ACT_POWER,
                "The Crime and Disorder Act 1998 gives a power (not a duty) to disclose to this kind "
                "of body for crime prevention; it does not replace the data protection and "
                "confidentiality tests above.",
                [P.CDA_S115],
                "§9",
            )
        )
    if a.purpose in S38_PURPOSES:
        found.append(
            reason(
                ReasonCode.CHANNEL_DUTY_TO_COOPERATE,
                "NHS bodies must co-operate with Channel panels and the police in their Channel "
                "work as far as appropriate and practicable, but only within data protection law.",
                [P.CTSA_S38],
                "§7",
            )
        )
    return found
