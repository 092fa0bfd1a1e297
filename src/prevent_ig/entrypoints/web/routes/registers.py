"""Journey 8: the governance registers — data sharing agreements (signed by the SIRO, expiring ones
flagged), contacts, accredited secure email domains (by hand or from NHS England's CSV), and the
Caldicott log of IG advice (read here; written through the adviser's queue or the CLI).

Everyone with the register permission reads them; the IG team and administrators edit them; only
the SIRO signs agreements.
"""

from datetime import date
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from prevent_ig.domain.access import Permission
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.form_dates import date_in_form
from prevent_ig.entrypoints.web.interview import ADVISER, option_labels
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.caldicott_log import read_log
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.governance import NewAgreement, record_agreement
from prevent_ig.services.registers import (
    EXPIRY_WARNING_DAYS,
    MAX_IMPORT_BYTES,
    REQUIRED_CONTACTS,
    ContactRole,
    DomainFileError,
    NewContact,
    NewDomain,
    add_contact,
    add_domain,
    get_agreement,
    get_contact,
    import_domains,
    list_agreements,
    list_contacts,
    list_domains,
    parse_domain_csv,
    remove_domain,
    sign_as_siro,
    update_contact,
)

REVIEW_DATE_ORDER = "The review date must be on or after the start date and on or before the expiry date"
router = PermissionRouter()
NOT_FOUND = 404
CONTACT_ROLES = [
    (ContactRole.PREVENT_LEAD.value, "Prevent lead"),
    (ContactRole.DPO.value, "Data Protection Officer"),
    (ContactRole.CALDICOTT_GUARDIAN.value, "Caldicott guardian"),
    (ContactRole.SIRO.value, "Senior Information Risk Owner (SIRO)"),
    (ContactRole.IG_TEAM.value, "Information governance team"),
]
SAVED = {
    "agreement": "The data sharing agreement has been added.",
    "signed": "You have signed the data sharing agreement.",
    "contact": "The contact has been saved.",
}
Errors = dict[str, dict[str, str]]


def _page(
    request: Request,
    template: str,
    *,
    errors: Errors | None = None,
    order: tuple[str, ...] = (),
    **context: Any,
) -> Response:
    """Render a form page: the error summary lists problems in the order of the form's fields."""
    errors = errors or {}
    ordered = [errors[k] for k in order if k in errors] + [v for k, v in errors.items() if k not in order]
    return render(
        request,
        template,
        status_code=400 if errors else 200,
        errors=ordered,
        field_errors=errors,
        **context,
    )


def _date_fields(name: str) -> tuple[str, ...]:
    return (f"{name}[day]", f"{name}[month]", f"{name}[year]")


PAGE_DIGITS = 6
"""A page number longer than this is not one (a million pages of fifty entries)."""


# The registers page ----------------------------------------------------------------------------


@router.page("/registers", permission=Permission.REGISTER_VIEW)
async def registers(request: Request, saved: str = "") -> Response:
    today = records_of(request).today()
    with records_of(request).new_unit_of_work() as uow:
        agreements = list_agreements(uow=uow, today=today)
        contacts = list_contacts(uow=uow)
        domains = list_domains(uow=uow, today=today)
    present = {c.role for c in contacts}
    labels = dict(CONTACT_ROLES)
    return render(
        request,
        "registers/index.html",
        saved=SAVED.get(saved),
        agreements=agreements,
        contacts=contacts,
        missing_contacts=[labels[r.value] for r in REQUIRED_CONTACTS if r.value not in present],
        role_labels=labels,
        domain_count=len(domains),
        domains_expiring=sum(1 for d in domains if d.expiring),
        domains_expired=sum(1 for d in domains if d.expired),
        warning_days=EXPIRY_WARNING_DAYS,
    )


@router.page("/registers/caldicott", permission=Permission.CALDICOTT_LOG_VIEW)
async def caldicott(request: Request, page: str = "1") -> Response:
    text = page.strip()
    try:
        if not (text.isascii() and text.isdigit()) or len(text) > PAGE_DIGITS:
            raise InvalidFieldError("page", "must be a page number, like 2")
        with records_of(request).new_unit_of_work().reading() as uow:
            shown = read_log(uow=uow, actor=user_of(request).username, page=int(text))
    except InvalidFieldError as error:
        return render(
            request,
            "message.html",
            status_code=400,
            heading="There is no such page of the Caldicott log",
            paragraphs=[f"The page {error.message}."],
            link={"href": "/registers/caldicott", "text": "Go to the newest entries"},
        )
    return render(
        request,
        "registers/caldicott.html",
        log=shown,
        adviser_labels=option_labels(ADVISER),
    )


# Data sharing agreements ----------------------------------------------------------------------

AGREEMENT_FIELDS = ("partner", "purpose", "references_prevent", "starts_on", "review_on", "expires_on")


@router.page("/registers/agreements/new", permission=Permission.REGISTER_EDIT)
async def new_agreement(request: Request) -> Response:
    return _page(request, "registers/agreement_new.html", values={})


@router.page("/registers/agreements/new", permission=Permission.REGISTER_EDIT, methods=("POST",))
async def add_agreement(request: Request) -> Response:
    form = await request.form()
    dated = ("starts_on", "review_on", "expires_on")
    keys = ("partner", "purpose", "references_prevent", *(f for name in dated for f in _date_fields(name)))
    values = {key: str(form.get(key) or "").strip() for key in keys}
    errors: Errors = {}
    if not values["partner"]:
        errors["partner"] = {"text": "Enter the partner organisation", "href": "#partner"}
    if not values["purpose"]:
        errors["purpose"] = {"text": "Enter what the agreement is for", "href": "#purpose"}
    if values["references_prevent"] not in ("yes", "no"):
        errors["references_prevent"] = {
            "text": "Select whether the agreement refers to Prevent",
            "href": "#references_prevent",
        }
    dates: dict[str, date] = {}
    for name, words in (
        ("starts_on", "starts"),
        ("review_on", "is due for review"),
        ("expires_on", "expires"),
    ):
        found = date_in_form(values, name)
        if found is None:
            errors[name] = {
                "text": f"Enter the date the agreement {words}, for example 31 3 2027",
                "href": f"#{name}-day",
            }
        else:
            dates[name] = found
    if not errors:
        try:
            with records_of(request).new_unit_of_work() as uow:
                record_agreement(
                    uow=uow,
                    actor=user_of(request).username,
                    agreement=NewAgreement(
                        partner=values["partner"],
                        purpose=values["purpose"],
                        references_prevent=values["references_prevent"] == "yes",
                        starts_on=dates["starts_on"],
                        review_on=dates["review_on"],
                        expires_on=dates["expires_on"],
                    ),
                )
        except InvalidFieldError as error:
            if error.field == "partner":
                errors["partner"] = {"text": as_sentence(error.message), "href": "#partner"}
            else:
                errors["review_on"] = {"text": REVIEW_DATE_ORDER, "href": "#review_on-day"}
    if errors:
        return _page(
            request, "registers/agreement_new.html", errors=errors, order=AGREEMENT_FIELDS, values=values
        )
    return RedirectResponse("/registers?saved=agreement", status_code=303)


@router.page("/registers/agreements/{agreement_id}/sign", permission=Permission.DSA_SIGN)
async def sign_page(request: Request, agreement_id: RecordId) -> Response:
    return _sign_page(request, agreement_id)


def _sign_page(request: Request, agreement_id: int, errors: Errors | None = None) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            agreement = get_agreement(uow=uow, agreement_id=agreement_id, today=records_of(request).today())
    except NotFoundError:
        raise HTTPException(NOT_FOUND) from None
    return _page(
        request,
        "registers/agreement_sign.html",
        errors=errors,
        agreement=agreement,
        warning_days=EXPIRY_WARNING_DAYS,
    )


@router.page("/registers/agreements/{agreement_id}/sign", permission=Permission.DSA_SIGN, methods=("POST",))
async def sign(request: Request, agreement_id: RecordId) -> Response:
    form = await request.form()
    if form.get("declaration") != "yes":
        return _sign_page(
            request,
            agreement_id,
            {
                "declaration": {
                    "text": "Confirm that you have read the agreement and sign it for the organisation",
                    "href": "#declaration",
                }
            },
        )
    user = user_of(request)
    try:
        with records_of(request).new_unit_of_work() as uow:
            sign_as_siro(
                uow=uow,
                actor=user.username,
                agreement_id=agreement_id,
                siro=user.display_name,
                on=records_of(request).today(),
            )
    except NotFoundError:
        raise HTTPException(NOT_FOUND) from None
    except RefusedError as error:
        return _sign_page(
            request, agreement_id, {"declaration": {"text": as_sentence(str(error)), "href": "#declaration"}}
        )
    return RedirectResponse("/registers?saved=signed", status_code=303)


# Contacts -------------------------------------------------------------------------------------

CONTACT_FIELDS = ("role", "name", "email", "phone")


@router.page("/registers/contacts/new", permission=Permission.REGISTER_EDIT)
async def new_contact(request: Request) -> Response:
    return _contact_page(request, None, {})


@router.page("/registers/contacts/new", permission=Permission.REGISTER_EDIT, methods=("POST",))
async def create_contact(request: Request) -> Response:
    return await _save_contact(request, None)


@router.page("/registers/contacts/{contact_id}/edit", permission=Permission.REGISTER_EDIT)
async def edit_contact(request: Request, contact_id: RecordId) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            contact = get_contact(uow=uow, contact_id=contact_id)
    except NotFoundError:
        raise HTTPException(NOT_FOUND) from None
    values = {
        "role": contact.role,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone or "",
    }
    return _contact_page(request, contact_id, values)


@router.page("/registers/contacts/{contact_id}/edit", permission=Permission.REGISTER_EDIT, methods=("POST",))
async def change_contact(request: Request, contact_id: RecordId) -> Response:
    return await _save_contact(request, contact_id)


def _contact_page(
    request: Request, contact_id: int | None, values: dict[str, str], errors: Errors | None = None
) -> Response:
    return _page(
        request,
        "registers/contact.html",
        errors=errors,
        order=CONTACT_FIELDS,
        values=values,
        contact_id=contact_id,
        roles=CONTACT_ROLES,
    )


async def _save_contact(request: Request, contact_id: int | None) -> Response:
    form = await request.form()
    values = {key: str(form.get(key) or "").strip() for key in CONTACT_FIELDS}
    errors: Errors = {}
    if values["role"] not in {r.value for r in ContactRole}:
        errors["role"] = {"text": "Select the contact's role", "href": "#role"}
    if not values["name"]:
        errors["name"] = {"text": "Enter their name", "href": "#name"}
    if not values["email"]:
        errors["email"] = {"text": "Enter their email address", "href": "#email"}
    if not errors:
        contact = NewContact(
            role=ContactRole(values["role"]),
            name=values["name"],
            email=values["email"],
            phone=values["phone"] or None,
        )
        actor = user_of(request).username
        try:
            with records_of(request).new_unit_of_work() as uow:
                if contact_id is None:
                    add_contact(uow=uow, actor=actor, contact=contact)
                else:
                    update_contact(uow=uow, actor=actor, contact_id=contact_id, contact=contact)
        except NotFoundError:
            raise HTTPException(NOT_FOUND) from None
        except InvalidFieldError as error:
            field = error.field if error.field in values else "name"
            errors[field] = {"text": as_sentence(error.message), "href": f"#{field}"}
    if errors:
        return _contact_page(request, contact_id, values, errors)
    return RedirectResponse("/registers?saved=contact#contacts", status_code=303)


# Accredited secure email domains --------------------------------------------------------------

DOMAIN_FIELDS = ("domain", "organisation", "expires_on")


@router.page("/registers/domains", permission=Permission.REGISTER_VIEW)
async def domains(request: Request, added: str = "", removed: str = "", imported: str = "") -> Response:
    """The register; after a change, a banner says what changed (ids and counts only in the query)."""
    with records_of(request).new_unit_of_work() as uow:
        rows = list_domains(uow=uow, today=records_of(request).today())
    banner = None
    if _number(added) is not None:
        name = next((d.domain for d in rows if d.id == _number(added)), None)
        banner = f"{name} has been added to the register." if name else None
    elif removed == "1":
        banner = "The domain has been removed from the register."
    elif imported:
        counts = [_number(n) or 0 for n in imported.split("-")]
        if len(counts) == 3:
            banner = (
                f"The file has been imported: {counts[0]} domains added, {counts[1]} updated, "
                f"{counts[2]} removed because they are no longer on the list."
            )
    return render(
        request,
        "registers/domains.html",
        domains=rows,
        banner=banner,
        expiring=sum(1 for d in rows if d.expiring),
        expired=sum(1 for d in rows if d.expired),
        warning_days=EXPIRY_WARNING_DAYS,
    )


@router.page("/registers/domains/new", permission=Permission.REGISTER_EDIT)
async def new_domain(request: Request) -> Response:
    return _page(request, "registers/domain_new.html", values={})


@router.page("/registers/domains/new", permission=Permission.REGISTER_EDIT, methods=("POST",))
async def create_domain(request: Request) -> Response:
    form = await request.form()
    keys = ("domain", "organisation", *_date_fields("expires_on"))
    values = {key: str(form.get(key) or "").strip() for key in keys}
    errors: Errors = {}
    if not values["domain"]:
        errors["domain"] = {"text": "Enter the domain, like example-trust.nhs.uk", "href": "#domain"}
    if not values["organisation"]:
        errors["organisation"] = {
            "text": "Enter the organisation the domain belongs to",
            "href": "#organisation",
        }
    expires = date_in_form(values, "expires_on")
    if expires is None:
        errors["expires_on"] = {
            "text": "Enter the date the accreditation expires, for example 31 3 2027",
            "href": "#expires_on-day",
        }
    if not errors and expires is not None:
        try:
            with records_of(request).new_unit_of_work() as uow:
                domain_id = add_domain(
                    uow=uow,
                    actor=user_of(request).username,
                    on=records_of(request).today(),
                    domain=NewDomain(
                        domain=values["domain"], organisation=values["organisation"], expires_on=expires
                    ),
                )
            return RedirectResponse(f"/registers/domains?added={domain_id}", status_code=303)
        except InvalidFieldError as error:
            field = error.field if error.field in values else "domain"
            errors[field] = {"text": as_sentence(error.message), "href": f"#{field}"}
    return _page(request, "registers/domain_new.html", errors=errors, order=DOMAIN_FIELDS, values=values)


@router.page("/registers/domains/{domain_id}/remove", permission=Permission.REGISTER_EDIT, methods=("POST",))
async def delete_domain(request: Request, domain_id: RecordId) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            remove_domain(uow=uow, actor=user_of(request).username, domain_id=domain_id)
    except NotFoundError:
        raise HTTPException(NOT_FOUND) from None
    return RedirectResponse("/registers/domains?removed=1", status_code=303)


@router.page("/registers/domains/import", permission=Permission.REGISTER_EDIT)
async def import_page(request: Request) -> Response:
    return render(request, "registers/domain_import.html", problems=[], warning_days=EXPIRY_WARNING_DAYS)


@router.page("/registers/domains/import", permission=Permission.REGISTER_EDIT, methods=("POST",))
async def import_file(request: Request) -> Response:
    """The whole file or nothing: any bad row rejects it, with one message per bad row."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_problems(request, ["Select a CSV file"])
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    try:
        lines = parse_domain_csv(data)
        with records_of(request).new_unit_of_work() as uow:
            result = import_domains(
                uow=uow, actor=user_of(request).username, domains=lines, on=records_of(request).today()
            )
    except DomainFileError as error:
        return _import_problems(request, error.problems)
    counts = f"{result.added}-{result.updated}-{result.removed}"
    return RedirectResponse(f"/registers/domains?imported={counts}", status_code=303)


def _import_problems(request: Request, problems: list[str]) -> Response:
    return render(
        request,
        "registers/domain_import.html",
        status_code=400,
        errors=[{"text": text, "href": "#file"} for text in problems],
        problems=problems,
        warning_days=EXPIRY_WARNING_DAYS,
    )


def _number(text: str) -> int | None:
    """A whole number from the query string (only ever ids and counts); None for anything else."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
