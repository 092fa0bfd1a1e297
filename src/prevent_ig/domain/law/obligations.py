"""Rules step 8: what the lead must do and record, whatever the outcome.

A decision not to share must be documented as carefully as a decision to share (guidance §6): both
can be challenged, and the record is what shows the decision was made case by case.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.law import provision_ids as P
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Basis, Obligation
from prevent_ig.domain.law.findings import Route
from prevent_ig.domain.law.vocabulary import (
    Kind,
    ObligationCode,
    Outcome,
    Purpose,
    ReasonNotSought,
    SubjectRole,
)
from prevent_ig.domain.pathway.request_clock import respond_by
from prevent_ig.domain.transmit.secure_email import check_email

RECORD_NAMES = {
    SubjectRole.PATIENT: "patient record",
    SubjectRole.SERVICE_USER: "service user record",
    SubjectRole.STAFF: "staff member's record",
}


@dataclass(frozen=True, slots=True)
class ObligationContext:
    outcome: Outcome
    route: Route | None
    basis: Basis
    today: date


def obligations(a: Assessment, ctx: ObligationContext, config: EngineConfig) -> list[Obligation]:
    found = [_always(ObligationCode.DOCUMENT_DECISION, _document_text(a))]
    if a.ig_advice is not None:
        found.append(
            _always(
                ObligationCode.CALDICOTT_LOG,
                "Enter the question, the advice received and your decision in the Caldicott log "
                "(guidance §2).",
            )
        )
    if not a.recipient.dsa_in_place:
        found.append(
            _always(
                ObligationCode.DSA_MISSING,
                "There is no signed data sharing agreement referring to Prevent with this partner. "
                "Raise it with your IG team so the SIRO can put one in place (guidance §5).",
            )
        )
    if a.request is not None and a.purpose is Purpose.CHANNEL_INFORMATION_GATHERING:
        due = respond_by(config.calendar, a.request.received)
        found.append(
            Obligation(
                code=ObligationCode.RESPOND_BY,
                text="Channel information gathering runs to 5 working days from the request: "
                "respond (or tell the requestor what is missing) by the due date (guidance "
                "Diagram 1).",
                due=due,
            )
        )
    if ctx.outcome is Outcome.SHARE:
        found.extend(_when_sharing(a, ctx, config))
    return found


@lru_cache(maxsize=1024)
def _always(code: ObligationCode, text: str) -> Obligation:
    """An obligation without a due date; each distinct one is built once and shared (immutable)."""
    return Obligation(code=code, text=text, due=None)


def _document_text(a: Assessment) -> str:
    return (
        f"Record this decision and its rationale in the {RECORD_NAMES[a.subject.role]}, whatever "
        "the outcome, including any discussion of consent (guidance §6)."
    )


def _when_sharing(a: Assessment, ctx: ObligationContext, config: EngineConfig) -> list[Obligation]:
    found = [
        _always(
            ObligationCode.MARK_OFFICIAL_SENSITIVE,
            "Mark the documents OFFICIAL-SENSITIVE at the top and bottom of every page.",
        ),
        _always(
            ObligationCode.SEND_SECURELY,
            "Send only by secure email from an nhs.net (or accredited) account (guidance §4).",
        ),
    ]
    if a.recipient.email is not None:
        check = check_email(a.recipient.email, accredited_domains=config.accredited_on(ctx.today))
        if check.requires_secure_tag:
            found.append(
                _always(
                    ObligationCode.ADD_SECURE_TAG,
                    f"{check.domain} is not a secure domain: put [secure] in the subject line "
                    "(guidance Diagram 2).",
                )
            )
    if a.kind is Kind.REFERRAL:
        found.append(
            _always(
                ObligationCode.USE_NATIONAL_REFERRAL_FORM,
                "Use the national Prevent referral form, including contact details for the person "
                "who first raised the concern (guidance §4).",
            )
        )
    if ctx.route is Route.WITHOUT_CONSENT:
        found.append(
            _always(
                ObligationCode.CONSIDER_INFORMING_SUBJECT,
                "Decide, for this case, whether to tell the person about the disclosure; record "
                f"whether you did and, if not, why (exemption {P.DPA_SCH2_PT1_PARA2} applies only "
                "case by case; guidance §8).",
            )
        )
        if a.ig_advice is None:
            found.append(
                _always(
                    ObligationCode.SEEK_IG_ADVICE,
                    "You are sharing without consent and no IG advice is recorded: seek advice from "
                    "the IG team, DPO or Caldicott guardian and record it (guidance §2).",
                )
            )
    if a.consent.reason_not_sought is ReasonNotSought.URGENT:
        found.append(
            _always(
                ObligationCode.SEEK_CONSENT_AFTERWARDS,
                "Consent was not sought because of urgency: seek it as soon as that is safe and "
                "record the answer (guidance §6).",
            )
        )
    if _needs_policy_document(a, ctx.basis):
        found.append(
            _always(
                ObligationCode.CHECK_APPROPRIATE_POLICY_DOCUMENT,
                "This relies on a DPA 2018 Sch 1 Part 2 condition: check your organisation's "
                f"appropriate policy document covers it ({P.DPA_SCH1_PT2_PARA5}).",
            )
        )
    return found


def _needs_policy_document(a: Assessment, basis: Basis) -> bool:
    condition = basis.dpa_condition
    if condition in (P.DPA_SCH1_PT2_PARA18, P.DPA_SCH1_PT2_PARA6):
        return True
    return condition == P.DPA_SCH1_PT2_PARA10 and not a.recipient.competent_authority
