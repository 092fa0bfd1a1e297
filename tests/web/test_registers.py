"""Journey 8 over HTTP: data sharing agreements (the SIRO signs, expiring ones flagged), contacts,
and accredited secure email domains by hand and from NHS England's CSV."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from prevent_ig.adapters.records.tables import (
    AccreditedDomainRow,
    AuditEventRow,
    ContactRow,
    DataSharingAgreementRow,
)
from prevent_ig.domain.access import Role
from prevent_ig.services.errors import InvalidFieldError
from prevent_ig.services.governance import NewAgreement, record_agreement
from prevent_ig.services.registers import (
    MAX_IMPORT_BYTES,
    DomainFileError,
    NewDomain,
    add_domain,
    import_domains,
    parse_domain_csv,
)
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case
from tests.web.conftest import Browser


def agreement(db: Db, partner: str, *, expires_in: int, references_prevent: bool = True) -> int:
    expires = TODAY + timedelta(days=expires_in)
    with db.uow() as uow:
        return record_agreement(
            uow=uow,
            actor="ig.a",
            agreement=NewAgreement(
                partner=partner,
                purpose="Prevent and Channel information sharing",
                references_prevent=references_prevent,
                starts_on=expires - timedelta(days=700),
                review_on=expires - timedelta(days=30),
                expires_on=expires,
            ),
        )


def test_a_signed_agreement_is_not_shown_in_force_before_it_starts(as_role) -> None:  # type: ignore[no-untyped-def]
    siro = as_role(Role.SIRO, "siro.start")
    with siro.db.uow() as uow:
        starts = TODAY + timedelta(days=10)
        record_agreement(
            uow=uow,
            actor="ig.a",
            agreement=NewAgreement(
                partner="Future Council",
                purpose="Prevent and Channel information sharing",
                references_prevent=True,
                starts_on=starts,
                review_on=starts + timedelta(days=300),
                expires_on=starts + timedelta(days=365),
            ),
        )
        row = uow.session.scalars(select(DataSharingAgreementRow)).one()
        row.signed_by_siro, row.signed_on = "Synthetic SIRO", TODAY
        uow.commit()

    text = siro.client.get("/registers").text

    assert f"Starts {starts.day} {starts:%b %Y}" in text
    assert "In force" not in text


def audit_events(db: Db) -> list[tuple[str, str | None]]:
    with db.uow() as uow:
        return [
            (e.event, e.entity)
            for e in uow.session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq))
        ]


def date_fields(name: str, day: date) -> dict[str, str]:
    return {f"{name}[day]": str(day.day), f"{name}[month]": str(day.month), f"{name}[year]": str(day.year)}


def upload(browser: Browser, content: bytes, filename: str = "domains.csv"):  # type: ignore[no-untyped-def]
    token = browser.csrf("/registers/domains/import")
    return browser.client.post(
        "/registers/domains/import",
        data={"csrf_token": token},
        files={"file": (filename, content, "text/csv")},
        follow_redirects=False,
    )


# Data sharing agreements ------------------------------------------------------------------------


def test_the_registers_flag_expiring_expired_unsigned_and_non_prevent_agreements(as_role) -> None:  # type: ignore[no-untyped-def]
    siro = as_role(Role.SIRO, "siro.one")
    db = siro.db
    soon = agreement(db, "Soon Council", expires_in=45)
    agreement(db, "Lapsed Council", expires_in=-3)
    agreement(db, "Vague Council", expires_in=400, references_prevent=False)
    later = agreement(db, "Steady Council", expires_in=400)
    with db.uow() as uow:
        row = uow.session.get(DataSharingAgreementRow, later)
        assert row is not None
        row.signed_by_siro, row.signed_on = "Synthetic SIRO", TODAY
        uow.commit()

    page = siro.client.get("/registers")

    assert page.status_code == 200
    text = page.text
    assert "3 agreements need attention" in text
    assert "Soon Council: expires in 45 days, not signed by the SIRO" in text
    assert "Lapsed Council: expired on" in text
    assert "Vague Council: does not refer to Prevent, not signed by the SIRO" in text
    assert "Steady Council:" not in text  # signed, in force, far from expiry
    assert "Expires in 45 days" in text and "Expired" in text and "In force" in text
    assert text.index("Lapsed Council") < text.index("Soon Council") < text.index("Steady Council")
    assert f'href="/registers/agreements/{soon}/sign"' in text  # the SIRO may sign this one
    assert text.count('/sign"') == 1  # not the expired, non-Prevent or signed ones
    assert "Add a data sharing agreement" not in text  # the SIRO signs, the IG team records


def test_the_ig_team_adds_an_agreement_field_by_field(as_role) -> None:  # type: ignore[no-untyped-def]
    ig = as_role(Role.IG_ADVISER, "ig.one")
    bad = ig.post_form(
        "/registers/agreements/new",
        {
            "partner": "",
            "purpose": "Channel",
            "starts_on[day]": "31",
            "starts_on[month]": "2",
            "starts_on[year]": "2026",
        },
    )
    assert bad.status_code == 400
    for message, anchor in (
        ("Enter the partner organisation", "#partner"),
        ("Select whether the agreement refers to Prevent", "#references_prevent"),
        ("Enter the date the agreement starts", "#starts_on-day"),
        ("Enter the date the agreement expires", "#expires_on-day"),
    ):
        assert message in bad.text and f'href="{anchor}"' in bad.text
    assert 'value="Channel"' not in bad.text and ">Channel</textarea>" in bad.text  # kept what was typed

    out_of_order = ig.post_form(
        "/registers/agreements/new",
        {
            "partner": "Synthetic Council",
            "purpose": "Prevent information sharing",
            "references_prevent": "yes",
            **date_fields("starts_on", date(2026, 4, 1)),
            **date_fields("review_on", date(2028, 1, 1)),
            **date_fields("expires_on", date(2027, 3, 31)),
        },
    )
    assert out_of_order.status_code == 400
    assert "The review date must be on or after the start date" in out_of_order.text

    form = {
        "partner": "Synthetic Council",
        "purpose": "Prevent information sharing",
        "references_prevent": "yes",
        **date_fields("starts_on", date(2026, 4, 1)),
        **date_fields("review_on", date(2027, 3, 1)),
        **date_fields("expires_on", date(2027, 3, 31)),
    }
    done = ig.post_form("/registers/agreements/new", form)
    assert done.status_code == 303
    assert "has been added" in ig.client.get(done.headers["location"]).text
    again = ig.post_form("/registers/agreements/new", form)  # Back, then Add again
    assert again.status_code == 400
    assert "This agreement is already in the register (agreement" in again.text
    assert 'href="#partner"' in again.text
    with ig.db.uow() as uow:
        row = uow.session.scalars(select(DataSharingAgreementRow)).one()
        agreement_id = row.id
        assert (row.partner, row.references_prevent, row.expires_on) == (
            "Synthetic Council",
            True,
            date(2027, 3, 31),
        )
    assert ("governance:dsa:create", f"dsa:{agreement_id}") in audit_events(ig.db)
    assert ig.client.get("/registers/agreements/1/sign").status_code == 403  # only the SIRO signs


def test_the_siro_signs_after_the_declaration(as_role) -> None:  # type: ignore[no-untyped-def]
    siro = as_role(Role.SIRO, "siro.two")
    agreement_id = agreement(siro.db, "Synthetic Council", expires_in=300)
    page = siro.client.get(f"/registers/agreements/{agreement_id}/sign")
    assert page.status_code == 200 and "Sign the agreement with Synthetic Council" in page.text

    undeclared = siro.post_form(f"/registers/agreements/{agreement_id}/sign", {})
    assert undeclared.status_code == 400
    assert 'href="#declaration"' in undeclared.text and 'id="declaration-error"' in undeclared.text

    signed = siro.post_form(f"/registers/agreements/{agreement_id}/sign", {"declaration": "yes"})
    assert signed.status_code == 303
    assert "You have signed" in siro.client.get(signed.headers["location"]).text
    with siro.db.uow() as uow:
        row = uow.session.get(DataSharingAgreementRow, agreement_id)
        assert row is not None
        assert (row.signed_by_siro, row.signed_on) == ("siro.two (test)", TODAY)
    assert ("governance:dsa:sign", f"dsa:{agreement_id}") in audit_events(siro.db)
    again = siro.client.get(f"/registers/agreements/{agreement_id}/sign")
    assert "was signed by siro.two (test)" in again.text and "Sign the agreement</button>" not in again.text
    assert siro.client.get("/registers/agreements/999/sign").status_code == 404


@pytest.mark.parametrize(
    ("expires_in", "references_prevent", "message"),
    [(300, False, "must refer to Prevent"), (-1, True, "expired on")],
)
def test_the_siro_cannot_sign_an_agreement_without_prevent_or_past_expiry(
    as_role, expires_in: int, references_prevent: bool, message: str
) -> None:  # type: ignore[no-untyped-def]
    siro = as_role(Role.SIRO, "siro.three")
    agreement_id = agreement(
        siro.db, "Synthetic Council", expires_in=expires_in, references_prevent=references_prevent
    )
    page = siro.client.get(f"/registers/agreements/{agreement_id}/sign")
    assert "This agreement cannot be signed" in page.text and "Sign the agreement</button>" not in page.text
    token = siro.csrf("/sign-out")  # no form to sign on this page: any of the session's forms has the token
    refused = siro.client.post(
        f"/registers/agreements/{agreement_id}/sign", data={"declaration": "yes", "csrf_token": token}
    )
    assert refused.status_code == 400 and message in refused.text
    with siro.db.uow() as uow:
        row = uow.session.get(DataSharingAgreementRow, agreement_id)
        assert row is not None and row.signed_on is None


# Contacts ---------------------------------------------------------------------------------------


def test_contacts_are_added_and_changed_and_missing_roles_are_named(as_role) -> None:  # type: ignore[no-untyped-def]
    admin = as_role(Role.ADMINISTRATOR, "admin.one")
    page = admin.client.get("/registers")
    assert "Not recorded yet:</strong> Prevent lead, Data Protection Officer, Caldicott guardian" in page.text

    bad = admin.post_form(
        "/registers/contacts/new",
        {"role": "dpo", "name": "Synthetic DPO", "email": "not-an-address", "phone": "call me"},
    )
    assert bad.status_code == 400
    assert "Enter an email address in the correct format" in bad.text and 'href="#email"' in bad.text

    made = admin.post_form(
        "/registers/contacts/new",
        {
            "role": "dpo",
            "name": "Synthetic DPO",
            "email": "dpo@example-trust.nhs.uk",
            "phone": "0113 496 0000",
        },
    )
    assert made.status_code == 303
    again = admin.post_form(
        "/registers/contacts/new",
        {"role": "dpo", "name": "Synthetic DPO", "email": "DPO@example-trust.nhs.uk", "phone": ""},
    )
    assert again.status_code == 400
    assert "This contact is already in the register (contact" in again.text and 'href="#email"' in again.text
    with admin.db.uow() as uow:
        contact = uow.session.scalars(select(ContactRow)).one()
        contact_id = contact.id
    page = admin.client.get("/registers")
    assert (
        "Synthetic DPO" in page.text
        and "Not recorded yet:</strong> Prevent lead, Caldicott guardian" in page.text
    )

    form = admin.client.get(f"/registers/contacts/{contact_id}/edit")
    assert 'value="dpo@example-trust.nhs.uk"' in form.text and 'value="dpo" checked' in form.text
    changed = admin.post_form(
        f"/registers/contacts/{contact_id}/edit",
        {
            "role": "caldicott_guardian",
            "name": "Synthetic Guardian",
            "email": "cg@example-trust.nhs.uk",
            "phone": "",
        },
    )
    assert changed.status_code == 303
    with admin.db.uow() as uow:
        row = uow.session.get(ContactRow, contact_id)
        assert row is not None
        assert (row.role, row.name, row.email, row.phone) == (
            "caldicott_guardian",
            "Synthetic Guardian",
            "cg@example-trust.nhs.uk",
            None,
        )
    events = audit_events(admin.db)
    assert ("governance:contact:create", f"contact:{contact_id}") in events
    assert ("governance:contact:update", f"contact:{contact_id}") in events
    assert admin.client.get("/registers/contacts/999/edit").status_code == 404


def test_register_viewers_cannot_edit(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.reg")
    page = lead.client.get("/registers")
    assert page.status_code == 200
    assert "Add a contact" not in page.text and "/edit" not in page.text
    for path in ("/registers/contacts/new", "/registers/agreements/new", "/registers/domains/new"):
        assert lead.client.get(path).status_code == 403
    assert "Remove" not in lead.client.get("/registers/domains").text


# Accredited domains -----------------------------------------------------------------------------


def test_a_domain_added_by_hand_is_used_by_the_engine_and_can_be_removed(as_role) -> None:  # type: ignore[no-untyped-def]
    ig = as_role(Role.IG_ADVISER, "ig.two")
    lead = as_role(Role.PREVENT_LEAD, "lead.two")
    case_id = open_case(ig.db)
    assess_case(ig.db, case_id)  # the referral page checks addresses once a referral is assessed
    check = f"/cases/{case_id}/referral?email=prevent@synthetic-trust.nhs.uk"
    assert "is not secure" in lead.client.get(check).text

    bad = ig.post_form("/registers/domains/new", {"domain": "not a domain", "organisation": ""})
    assert bad.status_code == 400
    assert "Enter the organisation" in bad.text and "Enter the date the accreditation expires" in bad.text
    bad = ig.post_form(
        "/registers/domains/new",
        {"domain": "not a domain", "organisation": "X", **date_fields("expires_on", date(2030, 1, 1))},
    )
    assert "Enter a domain name, like example-trust.nhs.uk" in bad.text

    added = ig.post_form(
        "/registers/domains/new",
        {
            "domain": "@Synthetic-Trust.NHS.uk",
            "organisation": "Synthetic NHS Trust",
            **date_fields("expires_on", TODAY + timedelta(days=20)),
        },
    )
    assert added.status_code == 303
    listing = ig.client.get(added.headers["location"])
    assert "synthetic-trust.nhs.uk has been added to the register" in listing.text
    assert "Expires in 20 days" in listing.text
    assert 'Remove<span class="nhsuk-u-visually-hidden"> synthetic-trust.nhs.uk</span>' in listing.text
    assert "is a secure domain" in lead.client.get(check).text  # the engine configuration reads the register

    duplicate = ig.post_form(
        "/registers/domains/new",
        {
            "domain": "synthetic-trust.nhs.uk",
            "organisation": "Again",
            **date_fields("expires_on", date(2030, 1, 1)),
        },
    )
    assert duplicate.status_code == 400 and "is already in the register" in duplicate.text

    with ig.db.uow() as uow:
        domain_id = uow.session.scalars(select(AccreditedDomainRow.id)).one()
    removed = ig.post_form(f"/registers/domains/{domain_id}/remove", {}, form_page="/registers/domains")
    assert removed.status_code == 303
    assert "has been removed" in ig.client.get(removed.headers["location"]).text
    assert "is not secure" in lead.client.get(check).text
    events = audit_events(ig.db)
    assert ("governance:domain:create", f"domain:{domain_id}") in events
    assert ("governance:domain:delete", f"domain:{domain_id}") in events


GOOD_CSV = (
    "\ufeffOrganisation Name,DOMAIN,Expiry Date,Notes\r\n"
    "Synthetic Council,synthetic-council.gov.uk,31/03/2027,\r\n"
    "Synthetic Trust,Synthetic-Trust.nhs.uk,2027-06-30,renewed\r\n"
    ",,,\r\n"
    "Synthetic Hospice,hospice.example.org.uk,1/4/2027,\r\n"
).encode()


def test_the_nhs_england_csv_is_imported_whole(as_role) -> None:  # type: ignore[no-untyped-def]
    ig = as_role(Role.IG_ADVISER, "ig.three")
    done = upload(ig, GOOD_CSV)
    assert done.status_code == 303, done.text
    listing = ig.client.get(done.headers["location"])
    assert "3 domains added, 0 updated, 0 removed" in listing.text
    with ig.db.uow() as uow:
        rows = {
            r.domain: (r.organisation, r.expires_on, r.source)
            for r in uow.session.scalars(select(AccreditedDomainRow))
        }
    assert rows == {
        "synthetic-council.gov.uk": ("Synthetic Council", date(2027, 3, 31), "nhse_csv"),
        "synthetic-trust.nhs.uk": ("Synthetic Trust", date(2027, 6, 30), "nhse_csv"),
        "hospice.example.org.uk": ("Synthetic Hospice", date(2027, 4, 1), "nhse_csv"),
    }
    assert ("governance:domain:import", "domains") in audit_events(ig.db)


def test_one_bad_row_rejects_the_whole_file_with_a_message_per_row(as_role) -> None:  # type: ignore[no-untyped-def]
    ig = as_role(Role.IG_ADVISER, "ig.four")
    bad = (
        b"Domain,Expiry date\n"
        b"good.example.nhs.uk,2027-01-31\n"
        b"bad domain,2027-01-31\n"
        b"other.example.nhs.uk,31-01-2027\n"
        b"third.example.nhs.uk,\n"
        b"good.example.nhs.uk,2027-02-28\n"
        b"fourth.example.nhs.uk,30/02/2027\n"
    )
    refused = upload(ig, bad)
    assert refused.status_code == 400
    text = refused.text.replace("&#34;", '"').replace("&quot;", '"')
    for message in (
        'Row 3: "bad domain" is not a domain name',
        'Row 4: the expiry date "31-01-2027" for other.example.nhs.uk is not a real date',
        "Row 5: the expiry date for third.example.nhs.uk is missing",
        "Row 6: good.example.nhs.uk is already on row 2",
        'Row 7: the expiry date "30/02/2027"',
    ):
        assert message in text, message
        assert text.count(message) == 2  # in the error summary and beside the field
    assert "Row 2" not in text
    assert 'href="#file"' in text and 'id="file-error"' in text
    with ig.db.uow() as uow:
        assert uow.session.scalars(select(AccreditedDomainRow)).all() == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The selected file is empty"),
        (
            b"Name,Expires\nx.nhs.uk,2027-01-01\n",
            'The first row must name a "Domain" column and an "Expiry date" column',
        ),
        (b"Domain,Expiry Date\n", "only a header row"),
        (b"Domain,Expiry Date\n\xff\xfe,2027-01-01\n", "saved as UTF-8"),
        (
            b"Domain,Expiry Date\n" + b"a.nhs.uk,2027-01-01\n" * (MAX_IMPORT_BYTES // 20 + 1),
            "smaller than 1 MB",
        ),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(as_role, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    ig = as_role(Role.IG_ADVISER, "ig.five")
    refused = upload(ig, content)
    assert refused.status_code == 400
    assert message in refused.text.replace("&#34;", '"').replace("&quot;", '"')


def test_no_file_chosen(as_role) -> None:  # type: ignore[no-untyped-def]
    ig = as_role(Role.IG_ADVISER, "ig.six")
    token = ig.csrf("/registers/domains/import")
    refused = ig.client.post("/registers/domains/import", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 400 and "Select a CSV file" in refused.text


def test_a_new_list_replaces_imported_domains_and_keeps_those_added_by_hand(db: Db) -> None:
    with db.uow() as uow:
        import_domains(uow=uow, actor="ig.a", domains=parse_domain_csv(GOOD_CSV), on=TODAY)
    with db.uow() as uow:
        uow.session.add(
            AccreditedDomainRow(
                domain="manual.example.nhs.uk",
                organisation="By hand",
                expires_on=date(2027, 1, 1),
                source="manual",
                added_on=TODAY,
            )
        )
        uow.commit()
    newer = b"Domain,Expiry Date\nsynthetic-trust.nhs.uk,2028-06-30\nbrand-new.example.nhs.uk,2028-01-01\n"
    with db.uow() as uow:
        result = import_domains(uow=uow, actor="ig.a", domains=parse_domain_csv(newer), on=TODAY)
    assert (result.added, result.updated, result.removed) == (1, 1, 2)
    with db.uow() as uow:
        rows = {
            r.domain: (r.organisation, r.expires_on) for r in uow.session.scalars(select(AccreditedDomainRow))
        }
    assert rows == {
        "synthetic-trust.nhs.uk": ("Synthetic Trust", date(2028, 6, 30)),  # organisation kept
        "brand-new.example.nhs.uk": ("", date(2028, 1, 1)),
        "manual.example.nhs.uk": ("By hand", date(2027, 1, 1)),
    }


def test_the_csv_parser_reads_headers_case_insensitively_and_both_date_forms() -> None:
    domains = parse_domain_csv(b"EXPIRY_DATE,domain name\n2027-1-2,a.example.nhs.uk\n")
    assert domains == [NewDomain(domain="a.example.nhs.uk", organisation="", expires_on=date(2027, 1, 2))]
    with pytest.raises(DomainFileError) as caught:
        parse_domain_csv(b"Domain,Expiry Date\n" + b"bad domain,2027-01-01\n" * 60)
    assert len(caught.value.problems) == 51 and caught.value.problems[-1] == "10 more rows have problems"


def test_odd_ids_and_query_values_are_refused_cleanly(as_role) -> None:  # type: ignore[no-untyped-def]
    ig = as_role(Role.IG_ADVISER, "ig.seven")
    assert ig.client.get("/registers/contacts/99999999999/edit").status_code == 422
    for query in ({"added": "²"}, {"imported": "x-²-99999999999999"}, {"removed": "<b>"}):
        page = ig.client.get("/registers/domains", params=query)
        assert page.status_code == 200 and "<b>" not in page.text
    saved = ig.client.get("/registers", params={"saved": "<script>"})
    assert saved.status_code == 200 and "nhsuk-notification-banner" not in saved.text


@pytest.mark.parametrize("suffix", ["nhs.uk", "co.uk", "police.uk"])
def test_a_public_suffix_is_refused_by_hand_and_in_a_file(db: Db, suffix: str) -> None:
    # Accredited, it would make every address under it count as secure: any trust's, GP's or company's.
    with db.uow() as uow, pytest.raises(InvalidFieldError) as caught:
        add_domain(
            uow=uow,
            actor="ig.a",
            domain=NewDomain(domain=suffix, organisation="Synthetic", expires_on=date(2027, 6, 30)),
            on=TODAY,
        )
    assert caught.value.field == "domain" and "public suffix" in caught.value.message
    with pytest.raises(DomainFileError) as refused:
        parse_domain_csv(
            f"Domain,Expiry Date\nexample-trust.nhs.uk,2027-06-30\n{suffix},2027-06-30\n".encode()
        )
    assert refused.value.problems == [
        f"Row 3: {suffix} is a public suffix, under which anyone may register: enter the organisation's own"
    ]
    # Its own domains under it are fine.
    assert (
        parse_domain_csv(b"Domain,Expiry Date\nexample-trust.nhs.uk,2027-06-30\n")[0].domain
        == "example-trust.nhs.uk"
    )


def test_a_file_that_is_only_a_byte_order_mark_is_empty() -> None:
    with pytest.raises(DomainFileError) as caught:
        parse_domain_csv(b"\xef\xbb\xbf")
    assert caught.value.problems == ["The selected file is empty"]
