"""The sharing assessment: decision rules version 1, steps 1 to 9.

``assess`` is a pure function of the input, the configuration and the decision date, so the same
question always gets the same answer and a decision can be replayed years later for an auditor. It
never raises on a valid input: every path ends in one of the five outcomes.
"""

from datetime import date

from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.law import provision_ids as P
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.citations import supporting_citations
from prevent_ig.domain.law.conditions import sensitive_conditions
from prevent_ig.domain.law.consent import has_channel_consent
from prevent_ig.domain.law.decision import Basis, Decision, Missing, Reason, WithheldItem
from prevent_ig.domain.law.findings import (
    RouteFinding,
    SensitiveConditions,
    Stop,
    missing,
    reason,
)
from prevent_ig.domain.law.minimisation import Sorting, sort_items
from prevent_ig.domain.law.obligations import ObligationContext, obligations
from prevent_ig.domain.law.routes import choose_route
from prevent_ig.domain.law.vocabulary import (
    AdviserRole,
    ConsentStatus,
    Decisive,
    ItemCategory,
    Kind,
    MissingCode,
    Outcome,
    Purpose,
    ReasonCode,
    RecipientType,
)

NO_BASIS = Basis()


def assess(assessment: Assessment, config: EngineConfig, *, today: date) -> Decision:
    """Decide one sharing question; ``today`` becomes ``decided_on`` and dates accreditations."""
    a = assessment
    early_stop = _cannot_be_cured(a) or _request_gaps(a) or _unusual_recipient(a)
    if early_stop is not None:
        return _stopped(a, config, today, early_stop, route=None, prior=[], withheld=[])

    route = choose_route(a)
    if isinstance(route, Stop):
        return _stopped(a, config, today, route, route=None, prior=[], withheld=[])

    conditions = sensitive_conditions(a, route.route)
    sorting = sort_items(a.items, conditions)
    prior = [route.reason]
    if sorting.any_without_condition:
        prior.append(_no_condition_reason())

    if not sorting.released:
        stop = Stop(
            outcome=Outcome.DO_NOT_SHARE,
            decisive=Decisive.NOTHING_TO_RELEASE,
            reason=reason(
                ReasonCode.NOTHING_TO_RELEASE,
                "No item is relevant, justified and lawful to release, so nothing may be shared. "
                "Check each withheld item's reason.",
                [P.CALDICOTT_3],
                "§5",
            ),
            missing=_nothing_to_release_missing(sorting),
        )
        return _stopped(a, config, today, stop, route=route, prior=prior, withheld=sorting.withheld)

    if a.ig_advice is not None and a.ig_advice.supports_sharing is False:
        # The lead who disagrees goes over the adviser's head: to the Caldicott guardian or the SIRO,
        # or to the SIRO alone when the guardian was the one who advised against (step 7).
        above = (
            "the SIRO"
            if a.ig_advice.adviser_role is AdviserRole.CALDICOTT_GUARDIAN
            else ("the Caldicott guardian or SIRO")
        )
        stop = Stop(
            outcome=Outcome.DO_NOT_SHARE,
            decisive=Decisive.ADVISER_AGAINST,
            reason=reason(
                ReasonCode.ADVISER_AGAINST,
                "Your IG adviser does not support sharing. Record the disagreement; if you still "
                f"believe sharing is necessary, take it to {above}.",
                [],
                "§2",
            ),
            missing=[missing(MissingCode.ADVISER_SUPPORT, f"Support for sharing from {above} after review.")],
        )
        return _stopped(a, config, today, stop, route=route, prior=prior, withheld=sorting.withheld)

    return _share(a, config, today, route=route, conditions=conditions, sorting=sorting, prior=prior)


def _cannot_be_cured(a: Assessment) -> Stop | None:
    """Step 1: findings no extra information could change (skipped when the law compels)."""
    if a.grounds.legal_requirement is not None:
        return None
    if (
        a.purpose is Purpose.CRIME_PREVENTION
        and a.recipient.type is not RecipientType.POLICE
        and not a.recipient.competent_authority
    ):
        return Stop(
            outcome=Outcome.DO_NOT_SHARE,
            decisive=Decisive.RECIPIENT_NOT_COMPETENT_AUTHORITY,
            reason=reason(
                ReasonCode.RECIPIENT_NOT_COMPETENT_AUTHORITY,
                "Sharing for crime prevention with a body other than the police is lawful only if "
                "that body is a competent authority for law enforcement, and this recipient is not.",
                [P.DPA_PART3],
                "§9",
            ),
            missing=[
                missing(
                    MissingCode.COMPETENT_AUTHORITY_RECIPIENT,
                    "A recipient that is the police or another competent authority.",
                )
            ],
        )
    if a.purpose is Purpose.SUPPORT_PLAN and not has_channel_consent(a):
        return Stop(
            outcome=Outcome.DO_NOT_SHARE,
            decisive=Decisive.CHANNEL_CONSENT_MISSING,
            reason=reason(
                ReasonCode.CHANNEL_CONSENT_MISSING,
                "Channel support is voluntary: it needs the person's consent (a parent's or "
                "guardian's for a child). Without it there is no support plan to share for.",
                [P.CTSA_S36_4_B],
                "§7",
            ),
            missing=[
                missing(
                    MissingCode.CHANNEL_CONSENT,
                    "Consent to Channel support: the person's if 18 or over and able to decide, a "
                    "parent's or guardian's if under 18.",
                )
            ],
        )
    return None


_REQUEST_GAP_TEXTS = {
    MissingCode.REQUEST_PROFORMA: "An official request form approved by the requesting organisation.",
    MissingCode.REQUEST_SECURE_CHANNEL: "The request sent by secure, protectively marked email.",
    MissingCode.REQUEST_CONSENT_POSITION: "Whether the person has consented to this sharing.",
    MissingCode.REQUEST_REASON: "A legitimate reason for sharing without the person's consent.",
    MissingCode.REQUEST_SPECIFIC: "Exactly which information is needed, and why it is relevant.",
    MissingCode.REQUEST_LEGAL_POWERS: "The powers or legal conditions the requestor relies on.",
}
_VSS_REASON_TEXT = "The requestor's role and the safeguarding issue they suspect."


def _request_gaps(a: Assessment) -> Stop | None:
    """Step 2: the §5 checklist for a partner's request."""
    r = a.request
    if a.kind is not Kind.REQUEST_RESPONSE or r is None:
        return None
    vss = a.recipient.type is RecipientType.VSS
    consent_given = a.consent.status is ConsentStatus.GIVEN
    if vss:  # the order the rules list them in, for the VSS (§7) and for other requestors (§5)
        gaps = [
            (MissingCode.REQUEST_SECURE_CHANNEL, not r.secure_channel),
            (MissingCode.REQUEST_REASON, not r.reason_given),
            (MissingCode.REQUEST_SPECIFIC, not r.specific),
        ]
    else:
        gaps = [
            (MissingCode.REQUEST_PROFORMA, not r.proforma),
            (MissingCode.REQUEST_SECURE_CHANNEL, not r.secure_channel),
            (MissingCode.REQUEST_CONSENT_POSITION, not r.consent_position_stated),
            (MissingCode.REQUEST_SPECIFIC, not r.specific),
            (MissingCode.REQUEST_LEGAL_POWERS, not r.legal_powers_cited),
            (MissingCode.REQUEST_REASON, not r.reason_given and not consent_given),
        ]
    found = [missing(code, _gap_text(code, vss=vss)) for code, gap in gaps if gap]
    if not found:
        return None
    return Stop(
        outcome=Outcome.CLARIFY,
        decisive=Decisive.REQUEST_INCOMPLETE,
        reason=reason(
            ReasonCode.REQUEST_INCOMPLETE,
            "The request does not yet give what a partner must give before health data is shared. "
            "Write back asking for the missing points; share nothing until they arrive.",
            [],
            "§5",
        ),
        missing=found,
    )


def _gap_text(code: MissingCode, *, vss: bool) -> str:
    if vss and code is MissingCode.REQUEST_REASON:
        return _VSS_REASON_TEXT
    return _REQUEST_GAP_TEXTS[code]


def _unusual_recipient(a: Assessment) -> Stop | None:
    """Step 3: a recipient outside the usual Prevent partners needs an IG determination."""
    if a.recipient.type is not RecipientType.OTHER or a.grounds.legal_requirement is not None:
        return None
    return Stop(
        outcome=Outcome.ESCALATE,
        decisive=Decisive.UNUSUAL_RECIPIENT,
        reason=reason(
            ReasonCode.UNUSUAL_RECIPIENT,
            "This recipient is not one of the usual Prevent partners. Ask the IG team, DPO or "
            "Caldicott guardian whether they need the information and may lawfully receive it.",
            [],
            "§2",
        ),
        missing=[
            missing(
                MissingCode.IG_DETERMINATION,
                "A determination by the IG team, DPO or Caldicott guardian that this recipient "
                "needs and may receive the information.",
            )
        ],
    )


def _no_condition_reason() -> Reason:
    return reason(
        ReasonCode.NO_SENSITIVE_CONDITION,
        "Without consent, special category and criminal offence items need a further condition "
        "(safeguarding, preventing unlawful acts, or a statutory purpose) and none is met on these "
        "facts, so those items are withheld.",
        [P.DPA_SCH1_PT2_PARA18, P.DPA_SCH1_PT2_PARA10, P.DPA_SCH1_PT2_PARA6],
        "§9",
    )


def _nothing_to_release_missing(sorting: Sorting) -> list[Missing]:
    found = [
        missing(
            MissingCode.RELEASABLE_ITEM,
            "At least one item that is relevant to the request and has a written justification.",
        )
    ]
    if sorting.any_without_condition:
        found.append(
            missing(
                MissingCode.SENSITIVE_CONDITION,
                "A condition for the special category or criminal offence items, such as valid consent.",
            )
        )
    return found


def _share(
    a: Assessment,
    config: EngineConfig,
    today: date,
    *,
    route: RouteFinding,
    conditions: SensitiveConditions,
    sorting: Sorting,
    prior: list[Reason],
) -> Decision:
    special = any(item.category.is_special_category for item in sorting.released)
    criminal = any(item.category is ItemCategory.CRIMINAL_OFFENCE for item in sorting.released)
    basis = Basis(
        article6=route.article6,
        article9=conditions.article9 if special else None,
        article10_condition=conditions.article10_condition if criminal else None,
        dpa_condition=conditions.dpa_condition if special or criminal else None,
        confidentiality=route.confidentiality,
    )
    reasons = [route.reason]
    if special and basis.article9 is not None:
        cited = [basis.article9] + ([basis.dpa_condition] if basis.dpa_condition else [])
        reasons.append(
            reason(
                ReasonCode.SPECIAL_CATEGORY_CONDITION,
                "Special category items (such as health) are released under the further condition "
                "cited here.",
                cited,
                # The guidance lists the Article 9(2) conditions in §8 and the DPA 2018 Schedule 1
                # conditions (paragraphs 10 and 18) in §9: cite where each condition cited is found.
                "§8, §9" if basis.dpa_condition else "§8",
            )
        )
    if criminal and basis.article10_condition is not None:
        reasons.append(
            reason(
                ReasonCode.CRIMINAL_OFFENCE_CONDITION,
                "Criminal offence items are released under the DPA 2018 Schedule 1 condition cited here.",
                [P.UKGDPR_10, P.DPA_S10, basis.article10_condition],
                "§9",
            )
        )
    reasons.extend(prior[1:])
    released = len(sorting.released)
    reasons.append(
        reason(
            ReasonCode.MINIMUM_NECESSARY,
            (
                "Release only the item listed: it is"
                if released == 1
                else f"Release only the {released} items listed: each is"
            )
            + " relevant and justified. Withheld items stay out of every document.",
            [P.CALDICOTT_3],
            "§5",
        )
    )
    reasons.append(
        reason(
            ReasonCode.LAWFUL_TO_SHARE,
            "On your judgement that what is released is necessary and proportionate, sharing it is "
            "lawful on the basis cited. Share it and complete the obligations that come with this "
            "decision.",
            basis.provision_ids(),
            "§6",
        )
    )
    reasons.extend(supporting_citations(a))
    ctx = ObligationContext(outcome=Outcome.SHARE, route=route.route, basis=basis, today=today)
    return Decision(
        outcome=Outcome.SHARE,
        decisive=Decisive.LAWFUL_TO_SHARE,
        basis=basis,
        items_to_share=[item.id for item in sorting.released],
        items_withheld=sorting.withheld,
        reasons=reasons,
        missing=[],
        obligations=obligations(a, ctx, config),
        decided_on=today,
    )


def _stopped(
    a: Assessment,
    config: EngineConfig,
    today: date,
    stop: Stop,
    *,
    route: RouteFinding | None,
    prior: list[Reason],
    withheld: list[WithheldItem],
) -> Decision:
    ctx = ObligationContext(
        outcome=stop.outcome, route=route.route if route else None, basis=NO_BASIS, today=today
    )
    return Decision(
        outcome=stop.outcome,
        decisive=stop.decisive,
        basis=NO_BASIS,
        items_to_share=[],
        items_withheld=withheld,
        reasons=[*prior, stop.reason, *supporting_citations(a)],
        missing=stop.missing,
        obligations=obligations(a, ctx, config),
        decided_on=today,
    )
