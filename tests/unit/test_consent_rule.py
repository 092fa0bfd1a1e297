"""Who may consent to sharing (decision rules, "Valid consent"; guidance §3; MCA 2005).

Consent to share counts only from someone entitled to give it for this person: the person themself
when able to decide; for a child who cannot, a parent or guardian; for an adult who cannot, a legal
representative (a lasting power of attorney or a deputy). Consent that names nobody as giving it is
not consent anyone can rely on.
"""

import pytest

from prevent_ig.domain.law.consent import may_consent_to_share
from prevent_ig.domain.law.vocabulary import ConsentGiver

CHILD, ADULT = 15, 30
SUBJECT = ConsentGiver.SUBJECT
PARENT = ConsentGiver.PARENT_OR_GUARDIAN
REPRESENTATIVE = ConsentGiver.LEGAL_REPRESENTATIVE


@pytest.mark.parametrize(
    ("by", "age", "has_capacity", "may"),
    [
        (SUBJECT, ADULT, True, True),  # the adult who can decide
        (SUBJECT, CHILD, True, True),  # a child able to decide decides for themself
        (SUBJECT, ADULT, False, False),  # a person who cannot decide cannot consent
        (SUBJECT, CHILD, False, False),
        (PARENT, CHILD, False, True),  # for a child who cannot decide, a parent or guardian
        (PARENT, CHILD, True, False),  # not over a child able to decide
        (PARENT, 17, False, True),  # still a child the day before 18
        (PARENT, 18, False, False),  # never for an adult
        (REPRESENTATIVE, ADULT, False, True),  # for an adult who cannot decide, an LPA or deputy
        (REPRESENTATIVE, 18, False, True),
        (REPRESENTATIVE, ADULT, True, False),  # not over an adult able to decide
        (REPRESENTATIVE, 17, False, False),  # a child's is a parent's to give
    ],
)
def test_consent_to_share_counts_only_from_someone_entitled_to_give_it(
    by: ConsentGiver, age: int, has_capacity: bool, may: bool
) -> None:
    assert may_consent_to_share(by, age=age, has_capacity=has_capacity) is may


@pytest.mark.parametrize(
    ("age", "has_capacity"), [(ADULT, True), (ADULT, False), (CHILD, True), (CHILD, False)]
)
def test_consent_naming_nobody_as_giving_it_does_not_count(age: int, has_capacity: bool) -> None:
    assert may_consent_to_share(None, age=age, has_capacity=has_capacity) is False
