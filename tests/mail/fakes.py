"""Fake mail servers for tests above the worker (pages, API, CLI): one refuses every recipient for good,
as a 550 would, the other accepts everything. The worker's own tests use the real SMTP server
(tests/mail/smtp_server.py)."""

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.mail.errors import PermanentDeliveryError
from prevent_ig.domain.config import EngineConfig
from prevent_ig.services.delivery import Result, RetryPolicy, deliver_due
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.outbox import QueuedMessage, send_disclosure
from tests.documents.builders import CHANNEL, CONTENTS
from tests.fixtures_db import TODAY, Db


class RefusingServer:
    def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
        raise PermanentDeliveryError("recipient refused: 550 5.1.1 Synthetic: mailbox unavailable")


class AcceptingServer:
    def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
        return None


def queue_pack(db: Db, assessment_id: int) -> QueuedMessage:
    """The disclosure pack of a builders' partner request, queued to the panel it assessed."""
    with db.uow() as uow:
        return send_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=assessment_id,
            to=CHANNEL,
            items=[ReleasedItem(id=k, content=v) for k, v in CONTENTS.items()],
            on=TODAY,
            renderer=PdfRenderer(),
            from_address="prevent.lead@example-trust.nhs.uk",
            config=db.config,
        )


def run_worker(
    db: Db, server: RefusingServer | AcceptingServer, config: EngineConfig | None = None
) -> list[Result]:
    """Deliver what is due through ``server``, by the records' clock, configured as ``config`` (the
    db's unless given)."""
    done = deliver_due(
        new_uow=db.uow,
        transport=server,
        policy=RetryPolicy(),
        worker="w",
        config=config or db.config,
        clock=db.clock,
    )
    return [d.result for d in done]
