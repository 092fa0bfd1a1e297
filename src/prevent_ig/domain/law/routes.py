"""Rules step 4: how the common law duty of confidentiality is met or lawfully set aside.

Guidance §3 makes consent the gold standard, a legal requirement overrides it, and without consent the
duty can be set aside only in the person's best interests (they lack capacity) or in the public
interest (a risk of harm weighed as substantial public interest), after an Article 8 balance.
"""

from prevent_ig.domain.law import provision_ids as P
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.consent import capacity_provision, has_valid_consent
from prevent_ig.domain.law.findings import Route, RouteFinding, Stop, missing, reason
from prevent_ig.domain.law.vocabulary import (
    ConsentStatus,
    Decisive,
    LegalRequirement,
    MissingCode,
    Outcome,
    ReasonCode,
)

_BALANCE = [P.HRA_ART8, P.CALDICOTT_7]


def choose_route(a: Assessment) -> RouteFinding | Stop:
    g = a.grounds
    if g.legal_requirement is not None:
        compelled_by = (
            "a court order" if g.legal_requirement is LegalRequirement.COURT_ORDER else ("an enactment")
        )
        return RouteFinding(
            route=Route.LAW,
            article6=P.UKGDPR_6_1_C,
            confidentiality=P.CLDC_LEGAL_REQUIREMENT,
            reason=reason(
                ReasonCode.ROUTE_LEGAL_REQUIREMENT,
                f"Disclosure is compelled by {compelled_by}, so the duty of confidentiality gives way "
                "to the law. Disclose only what the requirement asks for.",
                [P.UKGDPR_6_1_C, P.CLDC_LEGAL_REQUIREMENT],
                "§3",
            ),
        )
    if has_valid_consent(a):
        return RouteFinding(
            route=Route.CONSENT,
            article6=P.UKGDPR_6_1_E,
            confidentiality=P.CLDC_CONSENT,
            reason=reason(
                ReasonCode.ROUTE_CONSENT,
                "Consent to share was given by someone entitled to give it, so confidentiality is "
                "respected. The lawful basis for an NHS body remains its public task.",
                [P.UKGDPR_6_1_E, P.CLDC_CONSENT],
                "§3",
            ),
        )
    if (
        a.consent.status is ConsentStatus.NOT_SOUGHT
        and a.consent.reason_not_sought is None
        and a.subject.has_capacity
    ):
        return Stop(
            outcome=Outcome.SEEK_CONSENT,
            decisive=Decisive.CONSENT_NOT_SOUGHT,
            reason=reason(
                ReasonCode.CONSENT_NOT_SOUGHT,
                "The person can decide for themselves and no reason has been recorded for not "
                "asking them. Ask for their consent first; if asking would prejudice the purpose, "
                "put someone at risk or cause harmful delay, record that reason and assess again.",
                [],
                "§3, §6",
            ),
            missing=[
                missing(MissingCode.CONSENT, "The person's consent, or a recorded reason not to seek it.")
            ],
        )
    return _without_consent(a)


def _without_consent(a: Assessment) -> RouteFinding | Stop:
    g = a.grounds
    capacity_law = capacity_provision(a.subject.age)
    if not a.subject.has_capacity and g.best_interests:
        return RouteFinding(
            route=Route.WITHOUT_CONSENT,
            article6=P.UKGDPR_6_1_E,
            confidentiality=P.CLDC_BEST_INTERESTS,
            reason=reason(
                ReasonCode.ROUTE_BEST_INTERESTS,
                "The person cannot decide about this sharing and a best-interests decision supports "
                "it, so confidentiality may be set aside in their best interests. Record who was "
                "consulted and why sharing is the least restrictive option.",
                [P.UKGDPR_6_1_E, P.CLDC_BEST_INTERESTS, *_BALANCE, capacity_law],
                "§3",
            ),
        )
    if g.risk and g.substantial_public_interest:
        return RouteFinding(
            route=Route.WITHOUT_CONSENT,
            article6=P.UKGDPR_6_1_E,
            confidentiality=P.CLDC_PUBLIC_INTEREST,
            reason=reason(
                ReasonCode.ROUTE_PUBLIC_INTEREST,
                "Without valid consent, the recorded risk of harm and the substantial public interest "
                "outweigh the person's right to privacy, so confidentiality may be set aside in the "
                "public interest. Record the balance you struck in the record.",
                [P.UKGDPR_6_1_E, P.CLDC_PUBLIC_INTEREST, *_BALANCE],
                "§3, §6",
            ),
        )
    if not a.subject.has_capacity:
        return Stop(
            outcome=Outcome.ESCALATE,
            decisive=Decisive.BEST_INTERESTS_NEEDED,
            reason=reason(
                ReasonCode.BEST_INTERESTS_NEEDED,
                "The person cannot decide about this sharing, there is no valid consent from someone "
                "entitled to give it, and no best-interests decision has been made. Take it to the "
                "IG team, DPO or Caldicott guardian and make and record a best-interests decision.",
                [*_BALANCE, capacity_law],
                "§3",
            ),
            missing=[
                missing(
                    MissingCode.BEST_INTERESTS_DECISION,
                    "A recorded best-interests decision about sharing, with who was consulted.",
                )
            ],
        )
    return Stop(
        outcome=Outcome.DO_NOT_SHARE,
        decisive=Decisive.NO_OVERRIDE,
        reason=reason(
            ReasonCode.NO_OVERRIDE,
            "There is no valid consent, and no risk of harm with a substantial public interest that "
            "could outweigh the person's right to confidentiality. Do not share on these facts.",
            list(_BALANCE),
            "§3, §6",
        ),
        missing=[
            missing(MissingCode.CONSENT, "The person's valid consent to share."),
            missing(
                MissingCode.PUBLIC_INTEREST_GROUNDS,
                "Or: a risk of harm to the person or others that amounts to a substantial public interest.",
            ),
        ],
    )
