"""Every reason the engine gives cites the guidance section its rule comes from.

The tables below were written from the guidance (sections numbered as in
/work/shared/reference/decision-rules.md) and checked against docs/decision-engine.md, not copied
from the engine. Each reason given in any golden case is checked against them, so a reason citing the
wrong section, or none, fails here whatever its wording.
"""

import re

from prevent_ig.domain.law.decision import Reason
from prevent_ig.domain.law.vocabulary import ObligationCode, ReasonCode
from tests.test_golden_scenarios import CASES, run

R = ReasonCode

# Where each rule is found in the guidance.
SECTIONS: dict[ReasonCode, str] = {
    # §9, legal gateways: a crime-prevention disclosure to anyone but the police needs a competent authority.
    R.RECIPIENT_NOT_COMPETENT_AUTHORITY: "§9",
    # §7, Channel: support is voluntary and needs consent under CTSA 2015 s36(4)(b).
    R.CHANNEL_CONSENT_MISSING: "§7",
    # §5, partner requests: the checklist a requestor must complete (the VSS variant is read from §7,
    # but the rule that an incomplete request is sent back is §5's).
    R.REQUEST_INCOMPLETE: "§5",
    # §2: with whom are you sharing, do they need it; ask the IG team, DPO or Caldicott guardian.
    R.UNUSUAL_RECIPIENT: "§2",
    # §3 (consent, and disclosure required by law at its end); §6 asks whether consent can be obtained.
    R.ROUTE_LEGAL_REQUIREMENT: "§3",
    R.ROUTE_CONSENT: "§3",
    R.CONSENT_NOT_SOUGHT: "§3, §6",
    R.ROUTE_BEST_INTERESTS: "§3",
    R.ROUTE_PUBLIC_INTEREST: "§3, §6",
    R.BEST_INTERESTS_NEEDED: "§3",
    R.NO_OVERRIDE: "§3, §6",
    # §9: DPA 2018 Sch 1 Part 2 conditions (paras 10 and 18) and the criminal offence conditions.
    R.CRIMINAL_OFFENCE_CONDITION: "§9",
    R.NO_SENSITIVE_CONDITION: "§9",
    # §5, "being specific": release only what is relevant and necessary (Caldicott principle 3).
    R.NOTHING_TO_RELEASE: "§5",
    R.MINIMUM_NECESSARY: "§5",
    # §2: advice from the IG team, DPO or Caldicott guardian, kept in the Caldicott log.
    R.ADVISER_AGAINST: "§2",
    # §6: a case-by-case decision that sharing is necessary, proportionate and lawful.
    R.LAWFUL_TO_SHARE: "§6",
    # §9: CDA 1998 s115, a power and not a duty; §7: the CTSA 2015 s38 duty to co-operate with Channel.
    R.CRIME_AND_DISORDER_ACT_POWER: "§9",
    R.CHANNEL_DUTY_TO_COOPERATE: "§7",
}


def expected_section(r: Reason) -> str:
    """§8 lists the Article 9(2) conditions; a DPA 2018 Sch 1 Part 2 condition beside one is in §9."""
    if r.code is R.SPECIAL_CATEGORY_CONDITION:
        return "§8, §9" if any(p.startswith("DPA2018.Sch1.Pt2.") for p in r.provisions) else "§8"
    return SECTIONS[r.code]


def test_the_table_covers_every_reason_code() -> None:
    assert set(SECTIONS) | {R.SPECIAL_CATEGORY_CONDITION} == set(ReasonCode)


# One test runs every golden case, rather than one test per code sharing a cached run: mutmut runs
# the tests of each mutant in a fork of one process, where a cached answer would hide the mutant.
def test_every_reason_in_the_golden_cases_cites_its_guidance_section() -> None:
    wrong: list[str] = []
    seen: set[tuple[ReasonCode, str]] = set()
    for case in CASES:
        for r in run(case).reasons:
            seen.add((r.code, r.guidance_section))
            if r.guidance_section != expected_section(r):
                wrong.append(
                    f"{case.name}: {r.code.value} cites {r.guidance_section!r}, not {expected_section(r)!r}"
                )
    assert wrong == []
    assert {code for code, _ in seen} == set(ReasonCode), "a reason code no golden case gives"
    special = {section for code, section in seen if code is R.SPECIAL_CATEGORY_CONDITION}
    assert special == {"§8", "§8, §9"}, "the special category reason is seen both ways"


# Obligations carry their section in the text; these are the references each must make.
OBLIGATION_SECTIONS: dict[ObligationCode, list[str]] = {
    ObligationCode.DOCUMENT_DECISION: ["§6"],
    ObligationCode.CALDICOTT_LOG: ["§2"],
    ObligationCode.DSA_MISSING: ["§5"],
    ObligationCode.RESPOND_BY: ["Diagram 1"],
    ObligationCode.MARK_OFFICIAL_SENSITIVE: [],
    ObligationCode.SEND_SECURELY: ["§4"],
    ObligationCode.ADD_SECURE_TAG: ["Diagram 2"],
    ObligationCode.USE_NATIONAL_REFERRAL_FORM: ["§4"],
    ObligationCode.CONSIDER_INFORMING_SUBJECT: ["§8"],
    ObligationCode.SEEK_IG_ADVICE: ["§2"],
    ObligationCode.SEEK_CONSENT_AFTERWARDS: ["§6"],
    ObligationCode.CHECK_APPROPRIATE_POLICY_DOCUMENT: [],
}
_REFERENCE = re.compile(r"§\d+|Diagram \d+")


def test_the_obligation_table_covers_every_obligation_code() -> None:
    assert set(OBLIGATION_SECTIONS) == set(ObligationCode)


def test_every_obligation_in_the_golden_cases_refers_to_its_guidance_section() -> None:
    wrong: list[str] = []
    seen: set[ObligationCode] = set()
    for case in CASES:
        for o in run(case).obligations:
            seen.add(o.code)
            if (found := _REFERENCE.findall(o.text)) != OBLIGATION_SECTIONS[o.code]:
                wrong.append(
                    f"{case.name}: {o.code.value} refers to {found}, not {OBLIGATION_SECTIONS[o.code]}"
                )
    assert wrong == []
    assert seen == set(ObligationCode), "an obligation code no golden case gives"
