"""Governance registers: data sharing agreements, contacts and accredited secure email domains.

Each write is one use case in one transaction with its audit event (``governance:...``). Reads of
the registers hold no case data and are not audited.

The accredited-domain register is what every decision's engine configuration reads, beside the
configuration file (``with_registered_domains``: web, API and CLI alike), so a domain added, imported
or removed here changes whether an address is treated as secure from the next decision on (the CLI's
file-only tools, ``assess`` and ``check-email``, excepted). NHS England publishes the list of
DCB1596-accredited domains as CSV; ``parse_domain_csv`` reads it, and ``import_domains`` applies the
whole file or nothing.
"""

import csv
import io
import re
from dataclasses import asdict, dataclass, replace
from datetime import date
from enum import StrEnum
from functools import cache

from publicsuffixlist import PublicSuffixList
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from prevent_ig.adapters.records.tables import AccreditedDomainRow, ContactRow, DataSharingAgreementRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.config import AccreditedDomain, EngineConfig, normalise_domain
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, parse_address
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError, ServiceError
from prevent_ig.services.governance import same_words, sign_agreement

EXPIRY_WARNING_DAYS = 60
"""Agreements and domains expiring within this many days are flagged."""
MAX_IMPORT_BYTES = 1024 * 1024
MAX_LENGTH = 200
MAX_PHONE = 64


# Data sharing agreements ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementView:
    id: int
    partner: str
    purpose: str
    references_prevent: bool
    signed_by_siro: str | None
    signed_on: date | None
    starts_on: date
    review_on: date
    expires_on: date
    days_left: int
    """Calendar days until expiry (negative once expired)."""
    started: bool = True
    """Its start date has come: signed or not, an agreement is not in force before it."""

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def expiring(self) -> bool:
        """Expires within ``EXPIRY_WARNING_DAYS`` days and has not expired yet."""
        return 0 <= self.days_left <= EXPIRY_WARNING_DAYS

    @property
    def signable(self) -> bool:
        return self.signed_on is None and self.references_prevent and not self.expired

    @property
    def needs_attention(self) -> bool:
        return self.expired or self.expiring or not self.references_prevent or self.signed_on is None


def list_agreements(*, uow: UnitOfWork, today: date) -> list[AgreementView]:
    """Every agreement, soonest expiry first."""
    rows = uow.session.scalars(
        select(DataSharingAgreementRow).order_by(
            DataSharingAgreementRow.expires_on, DataSharingAgreementRow.id
        )
    )
    return [_agreement(row, today) for row in rows]


def get_agreement(*, uow: UnitOfWork, agreement_id: int, today: date) -> AgreementView:
    row = uow.session.get(DataSharingAgreementRow, agreement_id)
    if row is None:
        raise NotFoundError(f"data sharing agreement {agreement_id} does not exist")
    return _agreement(row, today)


def sign_as_siro(*, uow: UnitOfWork, actor: str, agreement_id: int, siro: str, on: date) -> None:
    """The SIRO signs an agreement that refers to Prevent and is still in force."""
    row = uow.session.get(DataSharingAgreementRow, agreement_id, with_for_update=True)
    if row is not None and row.expires_on < on:
        raise RefusedError(
            f"agreement {agreement_id} expired on {row.expires_on:%-d %B %Y}: record a new agreement instead"
        )
    sign_agreement(uow=uow, actor=actor, agreement_id=agreement_id, siro=siro, on=on)


def _agreement(row: DataSharingAgreementRow, today: date) -> AgreementView:
    return AgreementView(
        id=row.id,
        partner=row.partner,
        purpose=row.purpose,
        references_prevent=row.references_prevent,
        signed_by_siro=row.signed_by_siro,
        signed_on=row.signed_on,
        starts_on=row.starts_on,
        review_on=row.review_on,
        expires_on=row.expires_on,
        days_left=(row.expires_on - today).days,
        started=row.starts_on <= today,
    )


# Contacts ---------------------------------------------------------------------------------------


class ContactRole(StrEnum):
    PREVENT_LEAD = "prevent_lead"
    DPO = "dpo"
    CALDICOTT_GUARDIAN = "caldicott_guardian"
    SIRO = "siro"
    IG_TEAM = "ig_team"


REQUIRED_CONTACTS = (ContactRole.PREVENT_LEAD, ContactRole.DPO, ContactRole.CALDICOTT_GUARDIAN)
"""The guidance expects every organisation to name these three."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewContact:
    role: ContactRole
    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactView:
    id: int
    role: str
    name: str
    email: str
    phone: str | None


def list_contacts(*, uow: UnitOfWork) -> list[ContactView]:
    order = {role.value: index for index, role in enumerate(ContactRole)}
    rows = uow.session.scalars(select(ContactRow).order_by(ContactRow.id))
    return sorted((_contact(row) for row in rows), key=lambda c: (order.get(c.role, len(order)), c.id))


def get_contact(*, uow: UnitOfWork, contact_id: int) -> ContactView:
    row = uow.session.get(ContactRow, contact_id)
    if row is None:
        raise NotFoundError(f"contact {contact_id} does not exist")
    return _contact(row)


def add_contact(*, uow: UnitOfWork, actor: str, contact: NewContact) -> int:
    checked = _checked_contact(contact)
    uow.audit.serialise()
    # Mail systems ignore the case of an address, so DPO@ and dpo@ are one person's.
    same_address = select(ContactRow).where(
        ContactRow.role == checked.role.value, func.lower(ContactRow.email) == checked.email.lower()
    )
    for earlier in uow.session.scalars(same_address):
        if same_words(earlier.name, checked.name):
            # The form posted twice (a double click, or Back and Save again): one contact, not two.
            raise InvalidFieldError(
                "email", f"this contact is already in the register (contact {earlier.id})"
            )
    row = ContactRow(**_contact_fields(checked))
    uow.session.add(row)
    uow.session.flush()
    uow.audit.record(
        actor=actor, event="governance:contact:create", entity=f"contact:{row.id}", change=asdict(checked)
    )
    uow.commit()
    return row.id


def update_contact(*, uow: UnitOfWork, actor: str, contact_id: int, contact: NewContact) -> None:
    row = uow.session.get(ContactRow, contact_id)
    if row is None:
        raise NotFoundError(f"contact {contact_id} does not exist")
    checked = _checked_contact(contact)
    for name, value in _contact_fields(checked).items():
        setattr(row, name, value)
    uow.audit.record(
        actor=actor, event="governance:contact:update", entity=f"contact:{row.id}", change=asdict(checked)
    )
    uow.commit()


def _checked_contact(contact: NewContact) -> NewContact:
    name = contact.name.strip()
    if not name:
        raise InvalidFieldError("name", "enter their name")
    if len(name) > MAX_LENGTH:
        raise InvalidFieldError("name", f"must be {MAX_LENGTH} characters or fewer")
    if not contact.email.strip():
        raise InvalidFieldError("email", "enter their email address")
    try:
        # In the xn-- form of an internationalised domain, the form the referral form can be sent to.
        email = parse_address(contact.email.strip()).idna_address
    except MalformedAddressError:
        raise InvalidFieldError(
            "email", "enter an email address in the correct format, like name@example.nhs.net"
        ) from None
    phone = (contact.phone or "").strip() or None
    if phone is not None and (len(phone) > MAX_PHONE or not re.fullmatch(r"[0-9 +()-]+", phone)):
        raise InvalidFieldError("phone", "enter a telephone number, like 0113 496 0000")
    return NewContact(role=ContactRole(contact.role), name=name, email=email, phone=phone)


def _contact_fields(contact: NewContact) -> dict[str, str | None]:
    return {"role": contact.role.value, "name": contact.name, "email": contact.email, "phone": contact.phone}


def _contact(row: ContactRow) -> ContactView:
    return ContactView(id=row.id, role=row.role, name=row.name, email=row.email, phone=row.phone)


# Accredited secure email domains ----------------------------------------------------------------


class DomainSource(StrEnum):
    MANUAL = "manual"
    NHSE_CSV = "nhse_csv"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewDomain:
    domain: str
    organisation: str
    expires_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainView:
    id: int
    domain: str
    organisation: str
    expires_on: date
    source: str
    added_on: date
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def expiring(self) -> bool:
        return 0 <= self.days_left <= EXPIRY_WARNING_DAYS


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    added: int
    updated: int
    removed: int


class DomainFileError(ServiceError):
    """The file cannot be imported; ``problems`` says why, one message per bad row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def with_registered_domains(uow: UnitOfWork, base: EngineConfig) -> EngineConfig:
    """``base`` (the configuration file) with the register's domains added. Every way in decides with
    this, so the web, the API and the CLI agree on whether an address needs ``[secure]``: a message
    queued from one and retried from another is judged the same."""
    registered = tuple(
        AccreditedDomain(domain=row.domain, expires=row.expires_on)
        for row in uow.session.scalars(select(AccreditedDomainRow))
    )
    return replace(base, accredited_domains=(*base.accredited_domains, *registered)) if registered else base


def list_domains(*, uow: UnitOfWork, today: date) -> list[DomainView]:
    rows = uow.session.scalars(select(AccreditedDomainRow).order_by(AccreditedDomainRow.domain))
    return [_domain(row, today) for row in rows]


def add_domain(*, uow: UnitOfWork, actor: str, domain: NewDomain, on: date) -> int:
    """Add one domain by hand; a domain already in the register is refused, not overwritten."""
    name = _normalised(domain.domain, field="domain")
    organisation = domain.organisation.strip()
    if not organisation:
        raise InvalidFieldError("organisation", "enter the organisation the domain belongs to")
    if len(organisation) > MAX_LENGTH:
        raise InvalidFieldError("organisation", f"must be {MAX_LENGTH} characters or fewer")
    if uow.session.scalar(select(AccreditedDomainRow.id).where(AccreditedDomainRow.domain == name)):
        raise InvalidFieldError("domain", f"{name} is already in the register")
    row = AccreditedDomainRow(
        domain=name,
        organisation=organisation,
        expires_on=domain.expires_on,
        source=DomainSource.MANUAL.value,
        added_on=on,
    )
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:  # another administrator added it a moment ago; the unique index held
        raise InvalidFieldError("domain", f"{name} is already in the register") from None
    uow.audit.record(
        actor=actor,
        event="governance:domain:create",
        entity=f"domain:{row.id}",
        change={"domain": name, "organisation": organisation, "expires_on": domain.expires_on},
    )
    uow.commit()
    return row.id


def remove_domain(*, uow: UnitOfWork, actor: str, domain_id: int) -> str:
    """Remove a domain from the register; returns its name."""
    row = uow.session.get(AccreditedDomainRow, domain_id)
    if row is None:
        raise NotFoundError(f"domain {domain_id} is not in the register")
    name = row.domain
    uow.audit.record(
        actor=actor,
        event="governance:domain:delete",
        entity=f"domain:{row.id}",
        change={"domain": name, "expires_on": row.expires_on},
    )
    uow.session.delete(row)
    uow.commit()
    return name


def import_domains(*, uow: UnitOfWork, actor: str, domains: list[NewDomain], on: date) -> ImportResult:
    """Apply NHS England's published list: the whole file, in one transaction.

    Domains in the file are added, or have their expiry and organisation updated (a domain added by
    hand becomes an imported one). Domains imported earlier that the list no longer contains have
    lost their accreditation and are removed; domains added by hand and not in the file stay.
    """
    if not domains:
        raise DomainFileError(["The file has no domains in it"])
    wanted = {d.domain: d for d in domains}
    existing = {row.domain: row for row in uow.session.scalars(select(AccreditedDomainRow))}
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = []
    for name, old in existing.items():
        if name not in wanted and old.source == DomainSource.NHSE_CSV.value:
            uow.session.delete(old)
            removed.append(name)
    uow.session.flush()
    for name, new in wanted.items():
        row = existing.get(name)
        if row is None:
            uow.session.add(
                AccreditedDomainRow(
                    domain=name,
                    organisation=new.organisation,
                    expires_on=new.expires_on,
                    source=DomainSource.NHSE_CSV.value,
                    added_on=on,
                )
            )
            added.append(name)
        else:
            fields = {
                "expires_on": new.expires_on,
                "organisation": new.organisation or row.organisation,
                "source": DomainSource.NHSE_CSV.value,
            }
            changed = any(getattr(row, key) != value for key, value in fields.items())
            for key, value in fields.items():
                setattr(row, key, value)
            if changed:
                updated.append(name)
    uow.session.flush()
    uow.audit.record(
        actor=actor,
        event="governance:domain:import",
        entity="domains",
        change={
            "added": sorted(added),
            "updated": sorted(updated),
            "removed": sorted(removed),
            "file": sorted((d.domain, d.expires_on.isoformat()) for d in domains),
        },
    )
    uow.commit()
    return ImportResult(added=len(added), updated=len(updated), removed=len(removed))


DOMAIN_HEADERS = frozenset({"domain", "domain name", "email domain", "secure domain"})
EXPIRY_HEADERS = frozenset(
    {"expiry date", "expiry", "expires", "expires on", "expiry date of accreditation", "accreditation expiry"}
)
ORGANISATION_HEADERS = frozenset({"organisation", "organisation name", "organization", "organization name"})
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
MAX_PROBLEMS = 50


def parse_domain_csv(data: bytes) -> list[NewDomain]:
    """Read the CSV NHS England publishes: a domain column and an expiry date column.

    Header names are matched case-insensitively ("Domain", "Expiry Date"); an organisation column is
    optional. Dates may be ISO (2027-03-31) or day/month/year (31/03/2027). Any bad row rejects the
    whole file, with one message per bad row naming its line in the file.
    """
    if not data.strip():
        raise DomainFileError(["The selected file is empty"])
    if len(data) > MAX_IMPORT_BYTES:
        raise DomainFileError(["The selected file must be smaller than 1 MB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainFileError(["The selected file must be a CSV file saved as UTF-8"]) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise DomainFileError(
            [f"The selected file is not a CSV file the import can read ({error})"]
        ) from None
    if not rows:  # only a byte-order mark, or only blank lines
        raise DomainFileError(["The selected file is empty"])
    header = [_header(cell) for cell in rows[0]]
    columns = {
        "domain": _column(header, DOMAIN_HEADERS),
        "expiry": _column(header, EXPIRY_HEADERS),
        "organisation": _column(header, ORGANISATION_HEADERS),
    }
    if columns["domain"] is None or columns["expiry"] is None:
        found = ", ".join(f'"{cell.strip()}"' for cell in rows[0] if cell.strip()) or "none"
        raise DomainFileError(
            [f'The first row must name a "Domain" column and an "Expiry date" column (found: {found})']
        )
    problems: list[str] = []
    seen: dict[str, int] = {}
    domains: list[NewDomain] = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        problem, domain = _row(cells, columns, line, seen)
        if problem is not None:
            problems.append(problem)
        elif domain is not None:
            domains.append(domain)
            seen[domain.domain] = line
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS]
        raise DomainFileError(shown + ([f"{extra} more rows have problems"] if extra > 0 else []))
    if not domains:
        raise DomainFileError(["The file has no domains in it, only a header row"])
    return domains


def _row(
    cells: list[str], columns: dict[str, int | None], line: int, seen: dict[str, int]
) -> tuple[str | None, NewDomain | None]:
    def cell(key: str) -> str:
        index = columns[key]
        return cells[index].strip() if index is not None and index < len(cells) else ""

    raw_domain, raw_expiry = cell("domain"), cell("expiry")
    if not raw_domain:
        return f"Row {line}: the domain is missing", None
    try:
        name = _normalised(raw_domain, field="domain")
    except PublicSuffixError as error:  # a domain name, but not one an organisation owns
        return f"Row {line}: {error.message}", None
    except InvalidFieldError:
        return f'Row {line}: "{raw_domain[:80]}" is not a domain name, like example-trust.nhs.uk', None
    if name in seen:
        return f"Row {line}: {name} is already on row {seen[name]}", None
    if not raw_expiry:
        return f"Row {line}: the expiry date for {name} is missing", None
    expires = parse_date(raw_expiry)
    if expires is None:
        return (
            f'Row {line}: the expiry date "{raw_expiry[:40]}" for {name} is not a real date '
            "in the form 2027-03-31 or 31/03/2027",
            None,
        )
    organisation = cell("organisation")
    if len(organisation) > MAX_LENGTH:
        return f"Row {line}: the organisation name is longer than {MAX_LENGTH} characters", None
    return None, NewDomain(domain=name, organisation=organisation, expires_on=expires)


def parse_date(text: str) -> date | None:
    """An ISO date (2027-03-31) or a day/month/year date (31/03/2027); None for anything else."""
    iso, uk = _ISO.fullmatch(text.strip()), _UK.fullmatch(text.strip())
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if uk:
            return date(int(uk.group(3)), int(uk.group(2)), int(uk.group(1)))
    except ValueError:
        return None
    return None


def _header(cell: str) -> str:
    return " ".join(cell.replace("_", " ").strip().lower().split())


def _column(header: list[str], names: frozenset[str]) -> int | None:
    for index, cell in enumerate(header):
        if cell in names:
            return index
    return None


def _normalised(text: str, *, field: str) -> str:
    candidate = text.strip().removeprefix("@")
    if not candidate:
        raise InvalidFieldError(field, "enter the domain, like example-trust.nhs.uk")
    try:
        name = normalise_domain(candidate)
    except MalformedAddressError:
        raise InvalidFieldError(field, "enter a domain name, like example-trust.nhs.uk") from None
    if len(name) > MAX_LENGTH:
        raise InvalidFieldError(field, f"must be {MAX_LENGTH} characters or fewer")
    if _public_suffixes().is_public(name):
        # Every domain under it would count as secure: nhs.uk would vouch for any trust's or GP's
        # mailbox, co.uk for anyone's.
        raise PublicSuffixError(
            field, f"{name} is a public suffix, under which anyone may register: enter the organisation's own"
        )
    return name


class PublicSuffixError(InvalidFieldError):
    """A well-formed domain that is a public suffix (nhs.uk, co.uk): refused for the register."""


@cache
def _public_suffixes() -> PublicSuffixList:
    """The public suffix list as installed (publicsuffixlist bundles it, updated with each release)."""
    return PublicSuffixList()


def _domain(row: AccreditedDomainRow, today: date) -> DomainView:
    return DomainView(
        id=row.id,
        domain=row.domain,
        organisation=row.organisation,
        expires_on=row.expires_on,
        source=row.source,
        added_on=row.added_on,
        days_left=(row.expires_on - today).days,
    )
