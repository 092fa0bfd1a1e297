"""A reassessment to the same mailbox replaces the standing decision, however the recipient is named.

The same question used to be matched on the recipient's name alone, free text: a later "do not share"
to "Northshire Police" at the same address left the earlier "share" to "Northshire Police Prevent
Team" standing, and its queued referral went out after all (found by review, R5)."""

from datetime import timedelta

import pytest

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.mail.errors import TransientDeliveryError
from prevent_ig.services.authority import superseded_by
from prevent_ig.services.delivery import Result, RetryPolicy, deliver_due
from prevent_ig.services.outbox import send_referral
from tests.builders import input_data
from tests.documents.builders import HEALTH, IDENTITY, POLICE, assess, referral
from tests.fixtures_db import TODAY, Db


class DownThenUp:
    """A relay that is down for the first attempt and accepts everything after."""

    def __init__(self) -> None:
        self.calls, self.sent = 0, list[str]()

    def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
        self.calls += 1
        if self.calls == 1:
            raise TransientDeliveryError("421 Synthetic: try later")
        self.sent.append(envelope_to)


def reassessed(name: str, email: str) -> dict[str, object]:
    """The lead asks again: the person refused, the risk has gone, so nothing is to be shared."""
    return input_data(
        consent={"status": "refused", "given_by": None, "reason_not_sought": None},
        grounds={
            "risk_of_harm_to_others": False,
            "substantial_public_interest": False,
            "rationale": "Synthetic: the risk is no longer present",
        },
        recipient={
            "name": name,
            "type": "police",
            "competent_authority": True,
            "email": email,
            "dsa_in_place": True,
        },
        items=[IDENTITY, HEALTH],
    )


def test_a_later_do_not_share_to_the_same_mailbox_stops_the_queued_referral(db: Db) -> None:
    shared = referral(db, items=[IDENTITY, HEALTH])
    with db.uow() as uow:
        send_referral(
            uow=uow,
            actor="lead.a",
            case_id=shared.case_id,
            to=POLICE,
            on=TODAY,
            renderer=PdfRenderer(),
            from_address="prevent.lead@example-trust.nhs.uk",
            config=db.config,
        )
    relay = DownThenUp()
    deliver_due(
        new_uow=db.uow, transport=relay, policy=RetryPolicy(), worker="w", config=db.config, clock=db.clock
    )

    later = assess(db, shared.case_id, reassessed("Northshire Police", POLICE.upper()))

    with db.uow() as uow:
        assert superseded_by(uow, shared.assessment_id) == later
    db.clock.move_to(TODAY + timedelta(days=1))
    done = deliver_due(
        new_uow=db.uow, transport=relay, policy=RetryPolicy(), worker="w", config=db.config, clock=db.clock
    )
    assert [d.result for d in done] == [Result.FAILED] and relay.sent == []


@pytest.mark.parametrize(
    ("name", "email", "replaces"),
    [
        ("northshire police  PREVENT team", "other@northshire.pnn.police.uk", True),  # the same words
        ("Another Force Prevent Team", "prevent@another.pnn.police.uk", False),  # another recipient
    ],
    ids=["same-name-other-mailbox", "other-name-other-mailbox"],
)
def test_the_recipient_is_the_same_by_name_or_by_mailbox(
    db: Db, name: str, email: str, replaces: bool
) -> None:
    shared = referral(db, items=[IDENTITY, HEALTH])

    later = assess(db, shared.case_id, reassessed(name, email))

    with db.uow() as uow:
        assert superseded_by(uow, shared.assessment_id) == (later if replaces else None)
