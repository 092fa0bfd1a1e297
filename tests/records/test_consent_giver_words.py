"""Who may give consent changes at 18 (guidance §3; CTSA 2015 s36(4)(b) for Channel support), and a
refused consent record tells the lead who could give it. On the 18th birthday itself the person is an
adult: the refusal must say so, not send the lead back to a parent. Found by mutation testing
(services/consents.py), where `>=` and `<` at 18 could change unnoticed."""

from datetime import date

import pytest

from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus
from prevent_ig.services.consents import CHANNEL_SUPPORT, SHARING
from prevent_ig.services.errors import InvalidFieldError
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import consent_recorded, open_case

EIGHTEEN_TODAY = date(TODAY.year - 18, TODAY.month, TODAY.day)
SEVENTEEN = date(TODAY.year - 17, TODAY.month, TODAY.day)


@pytest.mark.parametrize(
    ("born", "scope", "giver", "said"),
    [
        (
            EIGHTEEN_TODAY,
            CHANNEL_SUPPORT,
            ConsentGiver.PARENT_OR_GUARDIAN,
            "no one can consent to Channel support for someone of 18 who cannot decide (CTSA 2015 s36(4)(b))",
        ),
        (
            EIGHTEEN_TODAY,
            SHARING,
            ConsentGiver.PARENT_OR_GUARDIAN,
            "consent to share at 18 must come from a legal representative, as they cannot decide",
        ),
        (
            SEVENTEEN,
            SHARING,
            ConsentGiver.LEGAL_REPRESENTATIVE,
            "consent to share at 17 must come from a parent or guardian, as they cannot decide",
        ),
    ],
)
def test_a_refused_giver_is_told_who_could_give_it_on_either_side_of_18(
    db: Db, born: date, scope: str, giver: ConsentGiver, said: str
) -> None:
    case_id = open_case(db, date_of_birth=born, has_capacity=False)
    with pytest.raises(InvalidFieldError) as refused:
        consent_recorded(
            db, case_id, scope=scope, status=ConsentStatus.GIVEN, giver=giver, has_capacity=False
        )
    assert refused.value.field == "given_by"
    assert refused.value.message == said
