"""Delivering the outbox: the worker's loop, one message at a time.

A worker claims one due message in a short transaction (on PostgreSQL with ``SELECT … FOR UPDATE
SKIP LOCKED``, so concurrent workers never claim the same one; on SQLite the write lock taken at
``BEGIN IMMEDIATE`` serialises claims), sends it with no transaction open, and records the result in
another. The claim is a lease: if the worker dies mid-send, the lease runs out and another worker
sends the same bytes again. Delivery is therefore at least once, and a repeat carries the same
Message-ID so the recipient's system can drop it. Nothing is lost while the mail server is down:
failures are retried with exponential backoff, and only a permanent refusal or too many attempts
marks a message failed, for a person to look at. A message failed for good delivered nothing, so the
same transaction marks its disclosure undelivered and opens again the partner request it answered
(``services.request_answers``).

Before each attempt the worker asks what ``mail retry`` asks, on the day of the attempt: whether the
message's decision still authorises it, and whether a message queued without [secure] may still go
without it (the recipient's domain still accredited, by the configuration and the register). If not,
it is withheld: failed for good, unsent, with the reason and the way out.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import and_, or_, select

from prevent_ig.adapters.mail.errors import PermanentDeliveryError, TransientDeliveryError
from prevent_ig.adapters.records.availability import described, is_database_unavailable
from prevent_ig.adapters.records.tables import NotificationRow, OutboxMessageRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Role
from prevent_ig.domain.calendar.england_date import date_in_england
from prevent_ig.domain.config import EngineConfig
from prevent_ig.services.errors import NotFoundError
from prevent_ig.services.outbox import Status, naive_utc, why_not_sendable, why_not_untagged
from prevent_ig.services.registers import with_registered_domains
from prevent_ig.services.request_answers import settle_undelivered

log = logging.getLogger(__name__)

WORKER_ACTOR = "mail-worker"
WITHHELD = "withheld"
"""How a message's error starts when the worker refused to send it: its decision no longer authorises
it (services/authority.py), or it may no longer go without [secure] (outbox.why_not_untagged)."""


class Transport(Protocol):
    """Delivers one message's bytes, or raises Transient/PermanentDeliveryError."""

    def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    lease: timedelta = timedelta(minutes=10)
    base: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 40

    def backoff(self, attempts: int) -> timedelta:
        """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure, never more than ``cap``."""
        return min(self.cap, self.base * (1 << min(max(attempts - 1, 0), 30)))


class Result(StrEnum):
    SENT = "sent"
    DEFERRED = "deferred"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    outbox_id: int
    result: Result
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Claim:
    outbox_id: int
    token: str
    envelope_from: str
    envelope_to: str
    raw: bytes
    attempts: int
    exhausted: bool = False
    """Its last allowed attempt was cut off (the worker died mid-send): to be failed, not sent."""


Clock = Callable[[], datetime]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def utc_now() -> datetime:
    return datetime.now(UTC)


def deliver_next(
    *,
    new_uow: Callable[[], UnitOfWork],
    transport: Transport,
    policy: RetryPolicy,
    worker: str,
    config: EngineConfig,
    clock: Clock = utc_now,
) -> Delivery | None:
    """Claim, send and settle one due message; None when nothing is due. ``config`` is the engine
    configuration (the file's): the register's accredited domains are added to it on each attempt, so a
    domain removed or lapsed while the worker runs counts from the next attempt."""
    claim = _claim(new_uow, policy=policy, worker=worker, now=clock())
    if claim is None:
        return None
    if claim.exhausted:
        cut_off = f"attempt {claim.attempts} was cut off (its worker stopped before it finished)"
        return _settle_failure(new_uow, claim, error=cut_off, permanent=False, policy=policy, now=clock())
    log.info("message %s: attempt %s by %s", claim.outbox_id, claim.attempts, worker)
    withheld = _withheld_because(new_uow, claim.outbox_id, config=config, on=date_in_england(clock()))
    if withheld is not None:
        return _settle_withheld(new_uow, claim, reason=withheld, now=clock())
    try:
        transport.deliver(envelope_from=claim.envelope_from, envelope_to=claim.envelope_to, raw=claim.raw)
    except PermanentDeliveryError as error:
        return _settle_failure(new_uow, claim, error=str(error), permanent=True, policy=policy, now=clock())
    except TransientDeliveryError as error:
        return _settle_failure(new_uow, claim, error=str(error), permanent=False, policy=policy, now=clock())
    except Exception as error:  # recorded, retried and at last failed: never hidden
        # A transport error nobody foresaw stopped the worker with the message left `sending`, to be
        # claimed again on each restart past max_attempts with no one told. Settled like any
        # temporary failure; only its type is kept, as its text could carry an address.
        unexpected = f"unexpected {type(error).__name__} while sending"
        return _settle_failure(new_uow, claim, error=unexpected, permanent=False, policy=policy, now=clock())
    return _settle_sent_within_lease(new_uow, claim, worker=worker, clock=clock, lease=policy.lease)


SETTLE_PAUSE_LIMIT_SECONDS = 5.0


def _settle_sent_within_lease(
    new_uow: Callable[[], UnitOfWork], claim: _Claim, *, worker: str, clock: Clock, lease: timedelta
) -> Delivery:
    """Record a sent message, trying again while the database cannot take it, until the lease ends.

    The message has gone: if the record of it failed for good, the lease would run out and the message
    be sent a second time. A database that is busy (a lock held past the busy timeout) or briefly
    unreachable is therefore waited out here, while the lease keeps other workers off the message;
    settling twice is harmless (the second finds it sent). Past the lease, another worker may resend:
    delivery is at least once, never silently lost."""
    deadline = time.monotonic() + lease.total_seconds()
    pause = 0.05
    while True:
        try:
            return _settle_sent(new_uow, claim, worker=worker, now=clock())
        except Exception as error:
            if not is_database_unavailable(error) or time.monotonic() + pause >= deadline:
                raise
            log.warning(
                "message %s sent; database unavailable (%s), recording it again",
                claim.outbox_id,
                described(error),
            )
            time.sleep(pause)
            pause = min(pause * 2, SETTLE_PAUSE_LIMIT_SECONDS)


def deliver_due(
    *,
    new_uow: Callable[[], UnitOfWork],
    transport: Transport,
    policy: RetryPolicy,
    worker: str,
    config: EngineConfig,
    clock: Clock = utc_now,
    stop: threading.Event | None = None,
) -> list[Delivery]:
    """Deliver until nothing is due (or ``stop`` is set); each message is tried at most once here."""
    done: list[Delivery] = []
    tried: set[int] = set()
    while stop is None or not stop.is_set():
        delivery = deliver_next(
            new_uow=new_uow, transport=transport, policy=policy, worker=worker, config=config, clock=clock
        )
        if delivery is None or delivery.outbox_id in tried:
            break
        tried.add(delivery.outbox_id)
        done.append(delivery)
    return done


def run_worker(
    *,
    new_uow: Callable[[], UnitOfWork],
    transport: Transport,
    policy: RetryPolicy,
    poll_seconds: float,
    stop: threading.Event,
    config: EngineConfig,
    worker: str | None = None,
    clock: Clock = utc_now,
) -> None:
    """Deliver due messages until ``stop`` is set, pausing ``poll_seconds`` when there are none.

    A database that cannot be reached is waited out like an idle queue: whatever was claimed stays
    claimed until its lease ends, and is then sent again, so nothing is lost by the outage."""
    name = worker or worker_name()
    log.info("mail worker %s started", name)
    while not stop.is_set():
        try:
            delivered = deliver_due(
                new_uow=new_uow,
                transport=transport,
                policy=policy,
                worker=name,
                config=config,
                clock=clock,
                stop=stop,
            )
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            log.warning("mail worker %s: database unavailable (%s); waiting", name, described(error))
            delivered = []
        if not delivered:
            stop.wait(poll_seconds)
    log.info("mail worker %s stopped", name)


def _claim(
    new_uow: Callable[[], UnitOfWork], *, policy: RetryPolicy, worker: str, now: datetime
) -> _Claim | None:
    moment = naive_utc(now)
    with new_uow() as uow:
        row = uow.session.scalars(
            select(OutboxMessageRow)
            .where(
                or_(
                    and_(
                        OutboxMessageRow.status == Status.QUEUED.value,
                        OutboxMessageRow.next_attempt_at <= moment,
                    ),
                    and_(
                        OutboxMessageRow.status == Status.SENDING.value,
                        OutboxMessageRow.claimed_until <= moment,
                    ),
                )
            )
            .order_by(OutboxMessageRow.next_attempt_at, OutboxMessageRow.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        # Its lease ran out on the last allowed attempt: failed (by deliver_next), not sent once more.
        exhausted = row.status == Status.SENDING.value and row.attempts >= policy.max_attempts
        if row.status == Status.SENDING.value:
            then = "no attempts left, failing it" if exhausted else "sending again"
            log.warning("message %s: lease of %s ran out; %s", row.id, row.worker, then)
        token = uuid.uuid4().hex
        row.status = Status.SENDING.value
        row.claim_token = token
        row.claimed_until = moment + policy.lease
        row.worker = worker
        if not exhausted:
            row.attempts += 1
        claim = _Claim(
            outbox_id=row.id,
            token=token,
            envelope_from=row.envelope_from,
            envelope_to=row.envelope_to,
            raw=row.raw,
            attempts=row.attempts,
            exhausted=exhausted,
        )
        uow.commit()
    return claim


def _settle_sent(new_uow: Callable[[], UnitOfWork], claim: _Claim, *, worker: str, now: datetime) -> Delivery:
    with new_uow() as uow:
        row = _locked(uow, claim.outbox_id)
        if row.status == Status.SENT.value:  # another worker, after our lease ran out, got there first
            return Delivery(outbox_id=row.id, result=Result.SENT, attempts=row.attempts)
        row.status = Status.SENT.value
        row.sent_at = naive_utc(now)
        row.worker = worker
        row.claim_token = None
        row.claimed_until = None
        row.last_error = None
        uow.audit.record(
            actor=WORKER_ACTOR,
            event="mail:message:deliver",
            case_id=row.case_id,
            entity=f"message:{row.id}",
            change={"message_id": row.message_id, "attempts": row.attempts, "worker": worker},
        )
        uow.commit()
        log.info("message %s delivered (attempt %s)", row.id, row.attempts)
        return Delivery(outbox_id=row.id, result=Result.SENT, attempts=row.attempts)


def _settle_failure(
    new_uow: Callable[[], UnitOfWork],
    claim: _Claim,
    *,
    error: str,
    permanent: bool,
    policy: RetryPolicy,
    now: datetime,
) -> Delivery:
    with new_uow() as uow:
        row = _locked(uow, claim.outbox_id)
        if row.claim_token != claim.token:  # our lease ran out and another worker owns it now
            return Delivery(outbox_id=row.id, result=Result.DEFERRED, attempts=row.attempts)
        row.claim_token = None
        row.claimed_until = None
        row.last_error = error[:1000]
        give_up = permanent or row.attempts >= policy.max_attempts
        if give_up:
            row.status = Status.FAILED.value
            row.failed_at = naive_utc(now)
            if not permanent:
                row.last_error = f"gave up after {row.attempts} attempts; last: {row.last_error}"
        else:
            row.status = Status.QUEUED.value
            row.next_attempt_at = naive_utc(now) + policy.backoff(row.attempts)
        uow.audit.record(
            actor=WORKER_ACTOR,
            event="mail:message:fail" if give_up else "mail:message:defer",
            case_id=row.case_id,
            entity=f"message:{row.id}",
            change={"attempts": row.attempts, "error": row.last_error},
        )
        if give_up:
            undone = _undo_what_it_carried(uow, row)
            _tell_leads(
                uow,
                row,
                f"was not delivered: {_kind(row.last_error)}. Check the address or the mail settings, "
                f"then try it again, or send it as a new message if it must be tagged or sent from "
                f"another address now.{undone}",
                now,
            )
        uow.commit()
        if give_up:
            log.error("message %s failed after %s attempt(s): %s", row.id, row.attempts, _kind(error))
            return Delivery(outbox_id=row.id, result=Result.FAILED, attempts=row.attempts)
        log.warning("message %s deferred to %s: %s", row.id, row.next_attempt_at.isoformat(), _kind(error))
        return Delivery(outbox_id=row.id, result=Result.DEFERRED, attempts=row.attempts)


def _tell_leads(uow: UnitOfWork, row: OutboxMessageRow, what: str, now: datetime) -> None:
    """On the leads' dashboard at once: a referral or disclosure that did not go must be noticed."""
    uow.session.add(
        NotificationRow(
            recipient_role=Role.PREVENT_LEAD.value,
            case_id=row.case_id,
            message=f"Secure email {row.id} (case {row.case_id}) {what}",
            created_at=naive_utc(now),
        )
    )


def _undo_what_it_carried(uow: UnitOfWork, row: OutboxMessageRow) -> str:
    """A message failed for good delivered nothing: in the same transaction its disclosure is marked
    undelivered and the partner request it answered opens again (services/request_answers.py), dated
    today in England by the records' clock, as every record is. What changed, as a sentence for the
    leads (ids and dates only), or nothing."""
    undone = settle_undelivered(uow, row, actor=WORKER_ACTOR, on=uow.today())
    if undone is None:
        return ""
    if undone.request_id is not None:
        log.warning(
            "message %s: disclosure %s not delivered; request %s %s",
            row.id,
            undone.disclosure_id,
            undone.request_id,
            "open again" if undone.answered_by_instead is None else "answered by another disclosure",
        )
    return undone.notice()


def _locked(uow: UnitOfWork, outbox_id: int, *, lock: bool = True) -> OutboxMessageRow:
    row = uow.session.get(OutboxMessageRow, outbox_id, with_for_update=lock)
    if row is None:  # rows are never deleted; this would be a bug or tampering
        raise NotFoundError(f"outbox message {outbox_id} has disappeared")
    return row


def _kind(error: str) -> str:
    """The log gets the first words of the error only (codes and reasons, never addresses)."""
    return error.split(":", 1)[0]


def _withheld_because(
    new_uow: Callable[[], UnitOfWork], outbox_id: int, *, config: EngineConfig, on: date
) -> str | None:
    """Asked after the claim and before the send, so a message that lost its authority while it waited
    (a newer decision, consent withdrawn), or that was queued without [secure] to a domain no longer
    accredited on ``on``, never leaves, whoever claims it. The same questions as ``mail retry``
    (outbox.requeue_message), with the register read as it stands now."""
    with new_uow().reading() as uow:
        row = _locked(uow, outbox_id, lock=False)
        if (unauthorised := why_not_sendable(uow, row)) is not None:
            return unauthorised
        return why_not_untagged(row, config=with_registered_domains(uow, config), on=on)


def _settle_withheld(
    new_uow: Callable[[], UnitOfWork], claim: _Claim, *, reason: str, now: datetime
) -> Delivery:
    """Fail the message for good, with the reason, and tell the leads: it is not theirs to retry while
    the reason holds (requeue_message asks the same questions); the reason names what may be done."""
    with new_uow() as uow:
        row = _locked(uow, claim.outbox_id)
        if row.claim_token != claim.token:  # our lease ran out and another worker owns it now
            return Delivery(outbox_id=row.id, result=Result.DEFERRED, attempts=row.attempts)
        row.claim_token = None
        row.claimed_until = None
        row.status = Status.FAILED.value
        row.failed_at = naive_utc(now)
        row.last_error = f"{WITHHELD}: {reason}"[:1000]
        uow.audit.record(
            actor=WORKER_ACTOR,
            event="mail:message:withhold",
            case_id=row.case_id,
            entity=f"message:{row.id}",
            change={"attempts": row.attempts, "error": row.last_error},
        )
        undone = _undo_what_it_carried(uow, row)
        _tell_leads(uow, row, f"was not sent: {reason}.{undone}", now)
        uow.commit()
        log.warning("message %s withheld: it may no longer go as queued", row.id)
        return Delivery(outbox_id=row.id, result=Result.FAILED, attempts=row.attempts)
