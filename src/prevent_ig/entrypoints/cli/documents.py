"""Commands for documents, secure email and request emails: ``documents``, ``mail`` and ``requests``.

Like every command, bad input exits 2 with the field named on standard error and no traceback.
Documents are written with owner-only permissions and never over an existing file: they hold
personal data, and a document once issued should not be silently replaced.
"""

import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, BinaryIO, NoReturn

import typer
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.mail.inbound import MAX_EMAIL_BYTES
from prevent_ig.adapters.mail.settings import MailSettingsError, OutboxSettings, SmtpSettings
from prevent_ig.adapters.mail.sink import DemoMailSink, SinkError, list_sink_messages
from prevent_ig.adapters.mail.smtp import SmtpTransport
from prevent_ig.adapters.mail.worker_lock import WorkerLockError, single_worker
from prevent_ig.adapters.records.tables import MAX_ID
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.bootstrap import Records
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.documents.letters import CaldicottDraft
from prevent_ig.domain.documents.referral_form import load_referral_form
from prevent_ig.domain.law.vocabulary import AdviserRole, Purpose, RecipientType
from prevent_ig.domain.records.stored_text import text_problem
from prevent_ig.entrypoints.cli.common import (
    CLI_ACTOR,
    AssessmentIdArgument,
    CaseIdArgument,
    JsonOption,
    OutboxIdArgument,
    date_option,
    day_or_today,
    fail,
    open_records,
)
from prevent_ig.services import delivery, outbox
from prevent_ig.services import documents as document_service
from prevent_ig.services import request_import as drafts
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.documents import IssuedDocument
from prevent_ig.services.errors import ServiceError
from prevent_ig.services.governance import CaldicottEntry, log_caldicott_advice
from prevent_ig.services.registers import with_registered_domains
from prevent_ig.services.transactions import enlisted
from prevent_ig.settings import WebSettings

DEFAULT_SINK = Path("data/mail-sink")

documents_app = typer.Typer(
    help="Referral forms, disclosure packs, letters and record notes.", no_args_is_help=True
)
mail_app = typer.Typer(help="Secure email: queue, deliver and watch the outbox.", no_args_is_help=True)
requests_app = typer.Typer(help="Partner requests that arrive by email.", no_args_is_help=True)

TodayOption = Annotated[
    datetime | None,
    date_option(help="The date to issue on (YYYY-MM-DD); default today."),
]
OutOption = Annotated[Path, typer.Option("--out", help="Where to write the PDF (must not exist yet).")]
ItemsOption = Annotated[
    Path | None,
    typer.Option(
        "--items",
        help="YAML or JSON mapping each released item's id to the content being released. "
        "Omit to reuse the content recorded for this assessment's last disclosure.",
    ),
]


def _check_out(path: Path) -> None:
    if path.exists():
        _fail_taken(path)
    if not path.parent.is_dir():
        fail(f"--out: folder {path.parent} does not exist")


def _fail_taken(path: Path) -> NoReturn:
    fail(f"--out: {path} exists; choose a new name so no issued document is overwritten")


@contextmanager
def _reserved(path: Path) -> Iterator[BinaryIO]:
    """The output file, made before the document is issued: owner-only, and never over an existing
    file or link (O_EXCL). A path that cannot be written (a dangling link, a folder not ours) is then
    refused before anything is recorded as issued; a file left empty because issuing failed is
    removed again."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # also a link to nowhere, which exists() does not see
        _fail_taken(path)
    except OSError as error:
        fail(f"--out: {path} cannot be written ({error.strerror})")
    handle = os.fdopen(descriptor, "wb")
    written = False
    try:
        yield handle  # the caller writes it through _write_issued, which flushes and names a failure
        written = True
    finally:
        handle.close()
        if not written:
            path.unlink(missing_ok=True)


def _read_mapping(path: Path, option: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        fail(f"{option}: cannot read {path} ({error.strerror})")
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        fail(f"{option}: {path} is not valid YAML or JSON ({error})")
    if not isinstance(data, dict):
        fail(f"{option}: {path} must hold a mapping of names to values")
    return data


def _items(path: Path | None) -> list[ReleasedItem] | None:
    if path is None:
        return None
    mapping = _read_mapping(path, "--items")
    bad = [str(k) for k, v in mapping.items() if not isinstance(v, str)]
    if bad:
        fail(f"items.{bad[0]}: give the released content as text")
    # Content that no record can hold is refused by name in the use case (disclosures.content_problem),
    # before anything is written.
    return [ReleasedItem(id=str(k), content=v) for k, v in mapping.items()]


# --- documents ----------------------------------------------------------------------------------------


@documents_app.command("form")
def form_command(as_json: JsonOption = False) -> None:
    """The referral form's questions, and which of them the lead answers."""
    form = load_referral_form()
    if as_json:
        typer.echo(form.model_dump_json(indent=2))
        return
    typer.echo(f"{form.title} ({form.name})")
    for section in form.sections:
        typer.echo(f"\n{section.title}")
        for field in section.fields:
            how = "answer" if field.answerable else "from the records"
            extra = " (required)" if field.required else ""
            if field.categories:
                # So the lead sees which kind of item must be released for the question to be printed.
                kinds = " or ".join(sorted(c.value.replace("_", " ") for c in field.categories))
                extra += f"; printed only if the decision releases {kinds} information"
            typer.echo(f"  {field.id:<24} {field.label}: {how}{extra}")


@documents_app.command("answers")
def answers_command(
    case_id: CaseIdArgument,
    file: Annotated[Path, typer.Argument(help="YAML or JSON: question id to answer (see `documents form`).")],
) -> None:
    """Keep the lead's answers to the referral form's questions for a case."""
    answers = _read_mapping(file, "FILE")
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            saved = document_service.save_referral_answers(
                uow=uow, actor=CLI_ACTOR, case_id=case_id, answers=answers
            )
    except ServiceError as error:
        fail(str(error))
    typer.echo(f"case {case_id}: {len(saved)} answer(s) kept for the referral form")


def _issue_to(out: Path, what: str, issue: Callable[[UnitOfWork], IssuedDocument]) -> None:
    """Issue one document in its own transaction and write it, readable by the owner only."""
    records = open_records()
    with _reserved(out) as handle:
        try:
            with records.new_unit_of_work() as uow:
                issued = issue(uow)
        except ServiceError as error:
            fail(str(error))
        _write_issued(handle, out, issued)
    typer.echo(f"{issued.reference}: {what} written to {out}")


def _write_issued(handle: BinaryIO, out: Path, issued: IssuedDocument) -> None:
    try:
        handle.write(issued.content)
        handle.flush()
    except OSError as error:  # the disk filled up after the file was made
        fail(
            f"--out: {out} could not be written ({error.strerror}); {issued.reference} is recorded as issued"
        )


@documents_app.command("referral")
def referral_command(case_id: CaseIdArgument, out: OutOption, today: TodayOption = None) -> None:
    """The national Prevent referral form for the case's decision to refer, as PDF."""
    _check_out(out)
    _issue_to(
        out,
        f"referral form for case {case_id}",
        lambda uow: document_service.issue_referral(
            uow=uow, actor=CLI_ACTOR, case_id=case_id, on=day_or_today(today), renderer=PdfRenderer()
        ),
    )


@documents_app.command("disclosure")
def disclosure_command(
    assessment_id: AssessmentIdArgument, out: OutOption, items: ItemsOption = None, today: TodayOption = None
) -> None:
    """The disclosure pack for a decision to share: cover sheet and released items only, as PDF."""
    _check_out(out)
    released = _items(items)
    _issue_to(
        out,
        f"disclosure pack for assessment {assessment_id}",
        lambda uow: document_service.issue_disclosure_pack(
            uow=uow,
            actor=CLI_ACTOR,
            assessment_id=assessment_id,
            on=day_or_today(today),
            renderer=PdfRenderer(),
            items=released,
        ),
    )


@documents_app.command("clarification")
def clarification_command(
    assessment_id: AssessmentIdArgument, out: OutOption, today: TodayOption = None
) -> None:
    """A letter asking the requestor for what their request lacks, as PDF; an open request then awaits
    their answer, its clock stopped (docs/documents.md)."""
    _check_out(out)
    _issue_to(
        out,
        f"clarification letter for assessment {assessment_id}",
        lambda uow: document_service.issue_clarification_letter(
            uow=uow,
            actor=CLI_ACTOR,
            assessment_id=assessment_id,
            on=day_or_today(today),
            renderer=PdfRenderer(),
        ),
    )


@documents_app.command("note")
def note_command(
    assessment_id: AssessmentIdArgument,
    out: Annotated[Path | None, typer.Option("--out", help="Also write it as PDF.")] = None,
    today: TodayOption = None,
) -> None:
    """The note for the patient, service user or staff record, printed for pasting."""
    if out is not None:
        _check_out(out)
    records = open_records()
    with _reserved(out) if out is not None else nullcontext() as handle:
        try:
            with records.new_unit_of_work() as uow:
                issued = document_service.issue_record_note(
                    uow=uow,
                    actor=CLI_ACTOR,
                    assessment_id=assessment_id,
                    on=day_or_today(today),
                    renderer=PdfRenderer() if out else None,
                )
        except ServiceError as error:
            fail(str(error))
        if handle is not None and out is not None:
            _write_issued(handle, out, issued)
    typer.echo(issued.text, nl=False)


@documents_app.command("caldicott")
def caldicott_command(
    assessment_id: AssessmentIdArgument,
    as_json: JsonOption = False,
    adviser: Annotated[str | None, typer.Option(help="The adviser's name, to log the entry.")] = None,
    log: Annotated[
        bool, typer.Option("--log", help="Enter it in the Caldicott log (needs --adviser).")
    ] = False,
    today: TodayOption = None,
) -> None:
    """The Caldicott log entry drafted from the decision; with --log --adviser, logged."""
    if log and not (adviser and adviser.strip()):
        fail("--adviser: give the adviser's name to log the entry")
    records = open_records()
    logged = None
    try:
        # One transaction: an entry that cannot be logged leaves no drafted document behind either.
        with records.new_unit_of_work() as uow:
            draft, issued = document_service.draft_caldicott_entry(
                uow=enlisted(uow), actor=CLI_ACTOR, assessment_id=assessment_id, on=day_or_today(today)
            )
            if log and adviser:
                logged = log_caldicott_advice(
                    uow=enlisted(uow),
                    actor=CLI_ACTOR,
                    on=day_or_today(today),
                    entry=CaldicottEntry(
                        question=draft.question,
                        adviser=adviser,
                        adviser_role=AdviserRole(draft.adviser_role),
                        advice=draft.advice,
                        decision=draft.decision,
                        case_id=draft.case_id,
                        assessment_id=assessment_id,
                    ),
                )
            uow.commit()
    except ServiceError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps({"reference": issued.reference, "logged_id": logged, **_draft_dict(draft)}))
        return
    typer.echo(issued.text, nl=False)
    if logged is not None:
        typer.echo(f"logged as Caldicott log entry {logged}")


def _draft_dict(draft: CaldicottDraft) -> dict[str, Any]:
    return {
        "case_id": draft.case_id,
        "question": draft.question,
        "adviser_role": draft.adviser_role,
        "advice": draft.advice,
        "decision": draft.decision,
    }


# --- mail ---------------------------------------------------------------------------------------------


def _from_address() -> str:
    try:
        return SmtpSettings().checked_from_address()
    except MailSettingsError as error:
        fail(str(error))


@mail_app.command("send-referral")
def send_referral_command(
    case_id: CaseIdArgument,
    to: Annotated[str, typer.Option("--to", help="The police Prevent team's address, as assessed.")],
    today: TodayOption = None,
) -> None:
    """Queue the referral form to the recipient its decision assessed; the worker delivers it."""
    sender = _from_address()
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            queued = outbox.send_referral(
                uow=uow,
                actor=CLI_ACTOR,
                case_id=case_id,
                to=to,
                on=day_or_today(today),
                renderer=PdfRenderer(),
                from_address=sender,
                config=with_registered_domains(uow, records.engine_config),
            )
    except ServiceError as error:
        fail(str(error))
    _report_queued(queued)


@mail_app.command("send-disclosure")
def send_disclosure_command(
    assessment_id: AssessmentIdArgument,
    to: Annotated[str, typer.Option("--to", help="The recipient's address, as assessed.")],
    items: ItemsOption = None,
    today: TodayOption = None,
) -> None:
    """Queue the disclosure pack to the recipient its decision assessed; the worker delivers it."""
    released = _items(items)
    sender = _from_address()
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            queued = outbox.send_disclosure(
                uow=uow,
                actor=CLI_ACTOR,
                assessment_id=assessment_id,
                to=to,
                items=released,
                on=day_or_today(today),
                renderer=PdfRenderer(),
                from_address=sender,
                config=with_registered_domains(uow, records.engine_config),
            )
    except ServiceError as error:
        fail(str(error))
    _report_queued(queued)


def _report_queued(queued: outbox.QueuedMessage) -> None:
    typer.echo(
        f"queued message {queued.outbox_id} ({queued.document_reference}, disclosure {queued.disclosure_id}) "
        f"to {queued.to}; subject: {queued.subject}"
    )


@mail_app.command("worker")
def worker_command(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then stop.")] = False,
    demo_sink: Annotated[
        Path | None,
        typer.Option(
            "--demo-sink",
            help="Demonstration only: start a local mail sink keeping messages in this folder, and send "
            "there instead of the configured server.",
        ),
    ] = None,
    sink_port: Annotated[int, typer.Option(help="The demo sink's port on 127.0.0.1.")] = 8025,
) -> None:
    """Deliver queued messages over SMTP with STARTTLS, retrying with backoff until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    limits = OutboxSettings()  # a setting it cannot use stops the command by name (cli.app.main)
    smtp = SmtpSettings()
    records = open_records()
    sink = None
    if demo_sink is not None and not WebSettings().demo_mode:
        fail("--demo-sink: only in demo mode (PREVENT_IG_WEB_DEMO_MODE=true); real mail goes to its server")
    try:
        if demo_sink is not None:
            sink = DemoMailSink(demo_sink, port=sink_port)
            smtp = sink.start()
            typer.echo(
                f"demo mode: messages go to the local sink in {demo_sink}, never to a real mailbox", err=True
            )
        transport = SmtpTransport(smtp)
    except (SinkError, MailSettingsError) as error:
        fail(str(error))
    policy = delivery.RetryPolicy(
        lease=_seconds(limits.lease_seconds),
        base=_seconds(limits.retry_base_seconds),
        cap=_seconds(limits.retry_max_seconds),
        max_attempts=limits.max_attempts,
    )
    stop = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, request_stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        with single_worker(records.url):
            _work(records, transport, policy, once=once, poll_seconds=limits.poll_seconds, stop=stop)
    except WorkerLockError as error:
        fail(str(error))
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if sink is not None:
            sink.stop()


def _work(
    records: Records,
    transport: SmtpTransport,
    policy: delivery.RetryPolicy,
    *,
    once: bool,
    poll_seconds: float,
    stop: threading.Event,
) -> None:
    if once:
        done = delivery.deliver_due(
            new_uow=records.new_unit_of_work,
            transport=transport,
            policy=policy,
            worker=delivery.worker_name(),
            config=records.engine_config,
            stop=stop,
        )
        counts = {r.value: sum(1 for d in done if d.result is r) for r in delivery.Result}
        typer.echo(", ".join(f"{n} {word}" for word, n in counts.items()))
        return
    delivery.run_worker(
        new_uow=records.new_unit_of_work,
        transport=transport,
        policy=policy,
        poll_seconds=poll_seconds,
        stop=stop,
        config=records.engine_config,
    )


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


@mail_app.command("status")
def status_command(as_json: JsonOption = False) -> None:
    """How many messages wait, went or failed; each failed one with its error."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        overview = outbox.outbox_overview(uow=uow, actor=CLI_ACTOR)
    if as_json:
        typer.echo(overview.model_dump_json())
        return
    typer.echo(", ".join(f"{n} {status}" for status, n in overview.counts.items()))
    for m in overview.waiting:
        typer.echo(
            f"waiting  {m.id:>5} case {m.case_id} attempts {m.attempts} "
            f"next {m.next_attempt_at:%Y-%m-%d %H:%M} UTC"
        )
    for m in overview.failed:
        typer.echo(f"FAILED   {m.id:>5} case {m.case_id} after {m.attempts} attempt(s): {m.last_error}")


@mail_app.command("retry")
def retry_command(outbox_id: OutboxIdArgument) -> None:
    """Try a failed message again, unchanged (same bytes, same Message-ID), once its cause is fixed."""
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            config = with_registered_domains(uow, records.engine_config)
            outbox.requeue_message(uow=uow, actor=CLI_ACTOR, outbox_id=outbox_id, config=config)
    except ServiceError as error:
        fail(str(error))
    typer.echo(f"message {outbox_id} queued again")


@mail_app.command("resend")
def resend_command(outbox_id: OutboxIdArgument) -> None:
    """Send a failed message again as a new message in its place: the same document, with [secure] and
    the sender judged today and a new Message-ID. The failed message is marked replaced."""
    sender = _from_address()
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            config = with_registered_domains(uow, records.engine_config)
            queued = outbox.resend_message(
                uow=uow, actor=CLI_ACTOR, outbox_id=outbox_id, config=config, from_address=sender
            )
    except ServiceError as error:
        fail(str(error))
    typer.echo(f"message {outbox_id} replaced by a new message")
    _report_queued(queued)


@mail_app.command("sink-list")
def sink_list_command(
    directory: Annotated[Path, typer.Option("--dir", help="The demo sink's folder.")] = DEFAULT_SINK,
    as_json: JsonOption = False,
) -> None:
    """What the demo mail sink has received, newest first."""
    messages = list_sink_messages(directory)
    if as_json:
        typer.echo(json.dumps([asdict(m) for m in messages]))
        return
    for m in messages:
        typer.echo(f"{m.date}  to {m.envelope_to}: {m.subject} [{', '.join(m.attachments)}]")
    if not messages:
        typer.echo("the sink is empty")


# --- requests -----------------------------------------------------------------------------------------


@requests_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="The request email, saved as .eml.")],
    case: Annotated[
        int | None, typer.Option("--case", min=1, max=MAX_ID, help="The case it concerns, if known.")
    ] = None,
    as_json: JsonOption = False,
    today: TodayOption = None,
) -> None:
    """Read a partner's request email into a draft request for the lead to complete."""
    try:
        size = file.stat().st_size
    except OSError as error:
        fail(f"FILE: cannot read {file} ({error.strerror})")
    if size > MAX_EMAIL_BYTES:  # refused before reading, so a huge file never fills memory
        fail(f"file: is {size / 1048576:.1f} MB; emails over {MAX_EMAIL_BYTES / 1048576:.1f} MB are refused")
    raw = file.read_bytes()
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            draft = drafts.import_request_email(
                uow=uow,
                actor=CLI_ACTOR,
                raw=raw,
                on=day_or_today(today),
                config=with_registered_domains(uow, records.engine_config),
                case_id=case,
            )
    except ServiceError as error:
        fail(str(error))
    if as_json:
        typer.echo(draft.model_dump_json())
        return
    _print_draft(draft, records.engine_config.calendar, draft.imported_on)


DraftIdArgument = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The draft's number.")]
"""Checked at the door like every record id: past PostgreSQL's integer the database itself failed on it
(a traceback, not exit 2)."""


@requests_app.command("drafts")
def drafts_command(
    every: Annotated[bool, typer.Option("--all", help="Completed and discarded drafts too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Imported request emails waiting for the lead."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        found = drafts.list_drafts(uow=uow, actor=CLI_ACTOR, status=None if every else drafts.DRAFT)
    if as_json:
        typer.echo(json.dumps([d.model_dump(mode="json") for d in found]))
        return
    for d in found:
        secure = "secure channel proposed" if d.proposed_secure_channel else "no secure channel"
        typer.echo(
            f"{d.id:>5} {d.status:<9} {d.imported_on} from {d.sender_domain}: {secure}, "
            f"{d.attachments} file(s)"
        )
    if not found:
        typer.echo("no drafts")


@requests_app.command("draft")
def draft_command(draft_id: DraftIdArgument, as_json: JsonOption = False) -> None:
    """One imported request email, with what prevent-ig proposes."""
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            draft = drafts.view_draft(uow=uow, actor=CLI_ACTOR, draft_id=draft_id)
    except ServiceError as error:
        fail(str(error))
    if as_json:
        typer.echo(draft.model_dump_json())
        return
    _print_draft(draft, records.engine_config.calendar, records.today())


def _print_draft(d: drafts.DraftView, calendar: WorkingDayCalendar, today: date) -> None:
    past_due_on = drafts.past_due_by_its_own_date(d.received_on, d.imported_on, calendar, today)
    typer.echo(f"Draft {d.id} ({d.status}) from {d.sender_name or ''} <{d.sender_address}>")
    typer.echo(f"Subject: {d.subject}")
    sent = d.sent_on.isoformat() if d.sent_on else "no usable date"
    if past_due_on is None:
        typer.echo(f"Sent: {sent} (the Date header, in England); received_on defaults to {d.received_on}")
    else:
        typer.echo(
            f"Sent: {sent} (the Date header, in England), which would make the request due on "
            f"{past_due_on}, already past: give received_on, the day it arrived"
        )
    typer.echo(d.explanation)
    for a in d.attachments:
        typer.echo(f"  attachment {a.id}: {a.filename} ({a.content_type}, {a.size} bytes)")
    typer.echo("")
    typer.echo(d.body)


def _storable(value: str) -> str:
    if (problem := text_problem(value)) is not None:
        # A custom error, so the message is the problem itself, without pydantic's "Value error, ".
        raise PydanticCustomError("stored_text", problem)
    return value


StoredText = Annotated[str, AfterValidator(_storable)]
"""Free text from the details file that becomes part of the partner request's record."""


class _Completion(BaseModel):
    """The details file for `requests complete`: the lead's judgements on the §5 checklist."""

    model_config = ConfigDict(extra="forbid")

    organisation: StoredText
    person: StoredText
    role: StoredText
    recipient_type: RecipientType
    purpose: Purpose
    items_requested: list[StoredText]
    proforma: bool
    secure_channel: bool
    consent_position_stated: bool
    reason_given: bool
    specific: bool
    legal_powers_cited: list[str] = []
    received_on: date | None = None


@requests_app.command("complete")
def complete_command(
    draft_id: DraftIdArgument,
    case: Annotated[int, typer.Option("--case", min=1, max=MAX_ID, help="The case the request concerns.")],
    details: Annotated[Path, typer.Option("--details", help="YAML with the lead's answers (docs/mail.md).")],
) -> None:
    """Record the partner request from a draft, with the lead's confirmed checklist answers."""
    mapping = _read_mapping(details, "--details")
    try:
        parsed = _Completion.model_validate(mapping)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        fail(f"{'.'.join(str(p) for p in first['loc']) or 'details'}: {first['msg']}")
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            request_id = drafts.complete_draft(
                uow=uow,
                actor=CLI_ACTOR,
                draft_id=draft_id,
                case_id=case,
                completion=drafts.DraftCompletion(**parsed.model_dump()),
                calendar=records.engine_config.calendar,
                today=records.today(),
            )
    except ServiceError as error:
        fail(str(error))
    typer.echo(f"draft {draft_id} recorded as partner request {request_id} on case {case}")


@requests_app.command("discard")
def discard_command(
    draft_id: DraftIdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why it is not a request to record.")],
) -> None:
    """Set a draft aside (spam, a duplicate, not a request)."""
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            drafts.discard_draft(uow=uow, actor=CLI_ACTOR, draft_id=draft_id, reason=reason)
    except ServiceError as error:
        fail(str(error))
    typer.echo(f"draft {draft_id} discarded")
