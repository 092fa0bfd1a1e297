"""`prevent-ig mail …` end to end: queue from the command line, deliver with the worker, watch the
outbox, and the demonstration sink that keeps what was "sent" for the app to show."""

import json
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prevent_ig.adapters.mail.sink import DemoMailSink, SinkError, list_sink_messages, read_sink_message
from prevent_ig.adapters.mail.worker_lock import WorkerLockError, single_worker
from prevent_ig.entrypoints.cli.documents import mail_app
from prevent_ig.services.registers import NewDomain, add_domain, remove_domain
from tests.documents.builders import POLICE, pdf_pages, referral
from tests.fixtures_db import Db
from tests.mail.smtp_server import SmtpServer
from tests.ports import free_port

runner = CliRunner()


@pytest.fixture
def env(db: Db, smtp: SmtpServer, tmp_path: Path) -> dict[str, str | None]:
    return {**db.cli_env(tmp_path / "data"), **smtp.env()}


def test_send_then_deliver_then_status_from_the_command_line(
    db: Db, smtp: SmtpServer, env: dict[str, str | None]
) -> None:
    made = referral(db)
    queued = runner.invoke(mail_app, ["send-referral", str(made.case_id), "--to", POLICE], env=env)
    assert queued.exit_code == 0, queued.output
    assert queued.stdout.startswith("queued message 1 (PIG-REF-")
    status = json.loads(runner.invoke(mail_app, ["status", "--json"], env=env).stdout)
    assert status["counts"]["queued"] == 1 and status["waiting"][0]["case_id"] == made.case_id

    delivered = runner.invoke(mail_app, ["worker", "--once"], env=env)
    assert delivered.exit_code == 0, delivered.output
    assert "1 sent, 0 deferred, 0 failed" in delivered.stdout
    assert len(smtp.handler.received) == 1
    status = json.loads(runner.invoke(mail_app, ["status", "--json"], env=env).stdout)
    assert status["counts"]["sent"] == 1 and status["waiting"] == []


def test_the_command_line_reads_the_accredited_domain_register_as_the_web_does(
    db: Db, smtp: SmtpServer, env: dict[str, str | None]
) -> None:
    # A domain only the register holds is secure from every way in: no [secure] tag on the subject.
    address = "prevent@register-only.example.org.uk"
    made = referral(db, recipient={"email": address})
    with db.uow() as uow:
        add_domain(
            uow=uow,
            actor="ig.officer",
            domain=NewDomain(
                domain="register-only.example.org.uk", organisation="Synthetic", expires_on=date(2027, 3, 31)
            ),
            on=db.clock.moment.date(),
        )
    queued = runner.invoke(mail_app, ["send-referral", str(made.case_id), "--to", address], env=env)
    assert queued.exit_code == 0, queued.output
    assert runner.invoke(mail_app, ["worker", "--once"], env=env).exit_code == 0

    [received] = smtp.handler.received
    assert received.rcpt_tos == [address]
    assert "[secure]" not in received.message["Subject"]


def test_the_worker_withholds_an_untagged_message_whose_domain_left_the_register_and_resend_sends_it(
    db: Db, smtp: SmtpServer, env: dict[str, str | None]
) -> None:
    # Queued without [secure] while the register held the domain; the domain was removed before the
    # worker ran. `mail worker` must read the register as `mail retry` does, and not send it unchanged.
    address = "prevent@register-only.example.org.uk"
    made = referral(db, recipient={"email": address})
    with db.uow() as uow:
        domain_id = add_domain(
            uow=uow,
            actor="ig.officer",
            domain=NewDomain(
                domain="register-only.example.org.uk", organisation="Synthetic", expires_on=date(2027, 3, 31)
            ),
            on=db.clock.moment.date(),
        )
    queued = runner.invoke(mail_app, ["send-referral", str(made.case_id), "--to", address], env=env)
    assert queued.exit_code == 0, queued.output
    assert "subject: OFFICIAL-SENSITIVE" in queued.stdout and "[secure]" not in queued.stdout
    with db.uow() as uow:
        remove_domain(uow=uow, actor="ig.officer", domain_id=domain_id)

    worked = runner.invoke(mail_app, ["worker", "--once"], env=env)

    assert worked.exit_code == 0, worked.output
    assert "0 sent, 0 deferred, 1 failed" in worked.stdout and smtp.handler.received == []
    status = runner.invoke(mail_app, ["status"], env=env).stdout
    assert "FAILED       1" in status and "withheld: its recipient's domain is no longer accredited" in status
    assert "(prevent-ig mail resend 1, or 'Send as a new message' on the Secure email page)" in status
    resent = runner.invoke(mail_app, ["resend", "1"], env=env)
    assert resent.exit_code == 0, resent.output
    assert "1 sent" in runner.invoke(mail_app, ["worker", "--once"], env=env).stdout
    [received] = smtp.handler.received
    assert received.rcpt_tos == [address] and received.message["Subject"].endswith("[secure]")


def test_mail_commands_refuse_bad_input_with_exit_2(db: Db, env: dict[str, str | None]) -> None:
    made = referral(db)
    wrong = runner.invoke(
        mail_app, ["send-referral", str(made.case_id), "--to", "prevent@southshire.pnn.police.uk"], env=env
    )
    assert wrong.exit_code == 2 and "to: is not the recipient assessed" in wrong.stderr
    no_sender = runner.invoke(
        mail_app,
        ["send-referral", str(made.case_id), "--to", POLICE],
        env={**env, "PREVENT_IG_SMTP_FROM_ADDRESS": None},
    )
    assert no_sender.exit_code == 2 and "PREVENT_IG_SMTP_FROM_ADDRESS is not set" in no_sender.stderr
    retry = runner.invoke(mail_app, ["retry", "12"], env=env)
    assert retry.exit_code == 2 and "outbox message 12 does not exist" in retry.stderr
    for result in (wrong, no_sender, retry):
        assert "Traceback" not in result.output


def test_demo_mode_delivers_to_a_local_sink_the_app_can_show(
    db: Db, env: dict[str, str | None], tmp_path: Path
) -> None:
    made = referral(db)
    assert (
        runner.invoke(mail_app, ["send-referral", str(made.case_id), "--to", POLICE], env=env).exit_code == 0
    )
    sink_dir = tmp_path / "sink"
    refused = runner.invoke(mail_app, ["worker", "--once", "--demo-sink", str(tmp_path / "sink")], env=env)
    assert refused.exit_code == 2 and "only in demo mode" in refused.stderr  # never swallow real mail
    demo_env = {**env, "PREVENT_IG_SMTP_HOST": None, "PREVENT_IG_WEB_DEMO_MODE": "true"}  # no server needed
    result = runner.invoke(
        mail_app,
        ["worker", "--once", "--demo-sink", str(sink_dir), "--sink-port", str(free_port())],
        env=demo_env,
    )
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.stdout
    [kept] = list_sink_messages(sink_dir)
    assert kept.envelope_to == POLICE and kept.subject.startswith("OFFICIAL-SENSITIVE: Prevent referral")
    assert kept.attachments == (f"{kept.subject.split('(')[1].rstrip(')')}.pdf",)
    assert (sink_dir / kept.filename).stat().st_mode & 0o777 == 0o600  # it holds personal data
    raw = read_sink_message(sink_dir, kept.filename)
    assert b"%PDF" not in raw  # base64 inside the message, read back below
    listed = json.loads(runner.invoke(mail_app, ["sink-list", "--dir", str(sink_dir), "--json"]).stdout)
    assert listed[0]["message_id"] == kept.message_id
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    [attachment] = list(parsed.iter_attachments())
    assert "Alex Testperson" in " ".join(pdf_pages(attachment.get_content()))
    with pytest.raises(SinkError):
        read_sink_message(sink_dir, "../escape.eml")


def test_the_demo_sink_listens_on_loopback_only(tmp_path: Path) -> None:
    with pytest.raises(SinkError, match="loopback only"):
        DemoMailSink(tmp_path, host="0.0.0.0")


def test_one_worker_per_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    # the second worker fails to start while the first holds the lock
    with single_worker(url), pytest.raises(WorkerLockError, match="another mail worker"), single_worker(url):
        pass
    with single_worker(url):  # free again once the first worker has gone
        pass
    postgresql = "postgresql+psycopg://postgres@127.0.0.1/x"
    with single_worker(postgresql), single_worker(postgresql):  # PostgreSQL: workers share the outbox
        pass


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        # A raw FileNotFoundError traceback before.
        (
            "PREVENT_IG_SMTP_CA_FILE",
            "/missing/ca.pem",
            "PREVENT_IG_SMTP_CA_FILE: cannot read /missing/ca.pem",
        ),
        ("PREVENT_IG_SMTP_CA_FILE", __file__, "holds no certificate authority in PEM form"),
        # smtplib cannot send it: every message failed for good, blaming its address.
        (
            "PREVENT_IG_SMTP_PASSWORD",
            "synthetic-£-password",
            "PREVENT_IG_SMTP_PASSWORD: must be written in ASCII",
        ),
        (
            "PREVENT_IG_SMTP_USERNAME",
            "léad@example-trust.nhs.uk",
            "PREVENT_IG_SMTP_USERNAME: must be written",
        ),
    ],
)
def test_the_worker_refuses_to_start_with_a_setting_it_cannot_use(
    db: Db, smtp: SmtpServer, env: dict[str, str | None], variable: str, value: str, says: str
) -> None:
    queue = runner.invoke(mail_app, ["send-referral", str(referral(db).case_id), "--to", POLICE], env=env)
    assert queue.exit_code == 0, queue.output
    refused = runner.invoke(mail_app, ["worker", "--once"], env={**env, variable: value})
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith(f"error: {variable}") and says in refused.stderr
    assert "synthetic-£-password" not in refused.output and "Traceback" not in refused.output
    assert smtp.handler.received == []
    status = json.loads(runner.invoke(mail_app, ["status", "--json"], env=env).stdout)
    assert status["counts"]["queued"] == 1  # nothing was tried, so nothing failed


def test_a_from_address_outside_ascii_is_refused_naming_the_setting(
    db: Db, env: dict[str, str | None]
) -> None:
    made = referral(db)
    refused = runner.invoke(
        mail_app,
        ["send-referral", str(made.case_id), "--to", POLICE],
        env={**env, "PREVENT_IG_SMTP_FROM_ADDRESS": "prevent.léad@example-trust.nhs.uk"},
    )
    assert refused.exit_code == 2, refused.output  # was a UnicodeEncodeError traceback, at every send
    assert refused.stderr.startswith("error: PREVENT_IG_SMTP_FROM_ADDRESS: must be written in ASCII letters")
    assert "Traceback" not in refused.output
    status = json.loads(runner.invoke(mail_app, ["status", "--json"], env=env).stdout)
    assert sum(status["counts"].values()) == 0


def test_a_from_address_in_an_internationalised_domain_goes_in_its_xn_form(
    db: Db, smtp: SmtpServer, env: dict[str, str | None]
) -> None:
    sender = "prevent.lead@xn--trst-0ra.example.nhs.uk"  # the form the refusal asks for
    made = referral(db)
    queued = runner.invoke(
        mail_app,
        ["send-referral", str(made.case_id), "--to", POLICE],
        env={**env, "PREVENT_IG_SMTP_FROM_ADDRESS": sender},
    )
    assert queued.exit_code == 0, queued.output
    assert runner.invoke(mail_app, ["worker", "--once"], env=env).exit_code == 0
    [received] = smtp.handler.received
    assert received.mail_from == sender and received.message["From"] == sender
