"""Worker processes against a real SMTP server: a worker killed mid-send loses nothing (the message
goes again with the same Message-ID), and two workers sharing one PostgreSQL never claim the same
message (``FOR UPDATE SKIP LOCKED``)."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from prevent_ig.adapters.mail.mime import build_mime, new_message_id
from prevent_ig.adapters.records.tables import AuditEventRow, OutboxMessageRow
from prevent_ig.domain.documents.messages import PDF, Addressing, Attachment, compose_message
from prevent_ig.services.delivery import RetryPolicy, deliver_next
from tests.fixtures_db import AUDIT_KEY, Db
from tests.mail.smtp_server import FROM_ADDRESS, SmtpServer
from tests.mail.test_delivery import queue_referral

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0


def worker_env(db: Db, smtp: SmtpServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVENT_IG_")}
    env.update(
        PREVENT_IG_DATABASE_URL=db.url,
        PREVENT_IG_AUDIT_KEY=AUDIT_KEY.decode(),
        PREVENT_IG_DATA_DIR=str(tmp_path / "data"),
        PREVENT_IG_OUTBOX_POLL_SECONDS="0.1",
        **smtp.env(),
        **extra,
    )
    return env


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.mail.worker_main", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Every worker a test starts is killed and reaped at the end, whatever happened."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=WAIT)


def rows(db: Db) -> list[OutboxMessageRow]:
    with db.uow() as uow:
        found = list(uow.session.scalars(select(OutboxMessageRow).order_by(OutboxMessageRow.id)))
        uow.session.expunge_all()
        return found


def test_a_worker_killed_mid_send_loses_nothing_and_the_repeat_has_the_same_message_id(
    db: Db, smtp: SmtpServer, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    queued = queue_referral(db)
    smtp.handler.hold = threading.Event()  # the server takes the message, then does not answer
    env = worker_env(db, smtp, tmp_path, PREVENT_IG_OUTBOX_LEASE_SECONDS="1")
    first = start_worker(env, "--once")
    processes.append(first)
    assert smtp.handler.arrived.wait(WAIT), first.stderr.read() if first.stderr else ""
    first.send_signal(signal.SIGKILL)  # dies after the server has the message, before it is recorded as sent
    first.wait(WAIT)

    [row] = rows(db)
    assert (row.status, row.attempts) == ("sending", 1)
    assert row.claimed_until is not None
    smtp.handler.hold.set()
    while datetime.now(UTC).replace(tzinfo=None) <= row.claimed_until:  # the dead worker's lease runs out
        time.sleep(0.05)

    second = start_worker(env, "--once")
    processes.append(second)
    out, err = second.communicate(timeout=WAIT)
    assert second.returncode == 0, err
    assert "1 sent" in out

    assert smtp.message_ids() == [
        queued.message_id,
        queued.message_id,
    ]  # at least once; same id to deduplicate
    [row] = rows(db)
    assert (row.status, row.attempts) == ("sent", 2)
    with db.uow() as uow:
        delivered = uow.session.scalars(
            select(AuditEventRow.event).where(AuditEventRow.event == "mail:message:deliver")
        ).all()
    assert len(delivered) == 1


def queue_raw(db: Db, count: int) -> list[str]:
    """Messages straight into the outbox (no documents to render): the claim is what is under test."""
    ids = []
    with db.uow() as uow:
        now = datetime(2026, 11, 26, 9, 0)
        for number in range(count):
            message = compose_message(
                Addressing(to=f"channel{number}@northshire.gov.uk", secure_domain=True),
                title="Disclosure of information for Prevent",
                reference=f"PIG-DIS-{number:06d}",
                attachment=Attachment(
                    filename="synthetic.pdf", media_type=PDF, content=b"%PDF-1.7 synthetic"
                ),
            )
            message_id = new_message_id(FROM_ADDRESS)
            ids.append(message_id)
            uow.session.add(
                OutboxMessageRow(
                    message_id=message_id,
                    kind="disclosure",
                    envelope_from=FROM_ADDRESS,
                    envelope_to=message.to,
                    subject=message.subject,
                    raw=build_mime(
                        message,
                        from_address=FROM_ADDRESS,
                        message_id=message_id,
                        sent_at=now.replace(tzinfo=UTC),
                    ),
                    status="queued",
                    attempts=0,
                    next_attempt_at=now,
                    queued_at=now,
                    queued_by="test",
                )
            )
        uow.commit()
    return ids


def test_skip_locked_a_claimed_message_is_passed_over_by_another_worker(db: Db) -> None:
    if db.backend != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite runs one worker")
    first, second = queue_raw(db, 2)
    sent: list[bytes] = []

    class Recording:
        def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
            sent.append(raw)

    with db.uow() as holder:  # another worker, mid-claim, holds the first message's row lock
        locked = holder.session.scalars(
            select(OutboxMessageRow).order_by(OutboxMessageRow.id).limit(1).with_for_update(skip_locked=True)
        ).one()
        assert locked.message_id == first
        locked_id = locked.id
        delivery = deliver_next(
            new_uow=db.uow,
            transport=Recording(),
            policy=RetryPolicy(),
            worker="w2",
            config=db.config,
            clock=lambda: datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
        )
    assert delivery is not None and delivery.outbox_id != locked_id
    assert len(sent) == 1 and second.encode() in sent[0]


def test_two_worker_processes_on_one_postgresql_deliver_each_message_once(
    db: Db, smtp: SmtpServer, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    if db.backend != "postgresql":
        pytest.skip("several workers share PostgreSQL; SQLite runs one worker")
    message_ids = queue_raw(db, 40)
    smtp.handler.delay = 0.05  # long enough for the two workers to overlap
    env = worker_env(db, smtp, tmp_path)
    processes.extend(start_worker(env) for _ in range(2))
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and any(r.status != "sent" for r in rows(db)):
        time.sleep(0.2)
    for process in processes:  # a stop request lets each finish its message and leave
        process.send_signal(signal.SIGTERM)
    for process in processes:
        _, err = process.communicate(timeout=WAIT)
        assert process.returncode == 0, err

    received = Counter(smtp.message_ids())
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}  # every message once: never claimed by both
    found = rows(db)
    assert {(r.status, r.attempts) for r in found} == {("sent", 1)}
    by_worker = Counter(r.worker for r in found)
    assert len(by_worker) == 2, by_worker  # both workers took part


def test_the_worker_refuses_to_start_without_its_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVENT_IG_")}
    env["PREVENT_IG_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tests.mail.worker_main", "worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 2
    assert "PREVENT_IG_SMTP_HOST is not set" in done.stderr
    assert "Traceback" not in done.stderr
