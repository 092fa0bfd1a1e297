"""Journeys 7, 8 and 9 in Chromium, with axe on every page: the IG adviser's queue and the Caldicott
log, the SIRO signing an agreement, importing NHS England's domain list, and the auditor's pages (the
audit chain and trail, and the report on partner requests answered on time)."""

from datetime import timedelta

from playwright.sync_api import Page

from prevent_ig.domain.access import Role
from prevent_ig.domain.law.vocabulary import Purpose, RecipientType
from prevent_ig.services.api_tokens import create_token
from prevent_ig.services.governance import NewAgreement, record_agreement
from prevent_ig.services.requests import NewPartnerRequest, record_partner_request
from tests.e2e.conftest import LiveApp, check_accessibility, decided, new_case, screenshot, sign_in


def awaiting_advice(app: LiveApp, case_id: int) -> int:
    return decided(app, case_id, ig_advice={"adviser_role": "caldicott_guardian", "supports_sharing": None})


def test_journey_7_the_ig_adviser_records_advice(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.adviser", Role.IG_ADVISER)
    case_id = new_case(live_app)
    assessment_id = awaiting_advice(live_app, case_id)
    sign_in(page, live_app, "e2e.adviser")
    page.goto(f"{live_app.url}/advice")
    check_accessibility(page)
    assert "Sampleton" not in page.content()
    screenshot(page, "advice-queue")
    page.click(f"text=Give advice on assessment {assessment_id}")
    check_accessibility(page)
    page.click("button:has-text('Record the advice')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)
    page.check('input[name="supports"][value="yes"]')
    page.fill("#advice", "Share the listed items: DPA 2018 Sch 1 para 10 applies.")
    page.click("button:has-text('Record the advice')")
    assert f"Your advice on assessment {assessment_id} is in the Caldicott log" in page.content()
    assert f'href="/advice/{assessment_id}"' not in page.content()
    check_accessibility(page)
    page.goto(f"{live_app.url}/registers")
    page.click("text=The Caldicott log of IG advice")
    assert "Share the listed items: DPA 2018 Sch 1 para 10 applies." in page.content()
    check_accessibility(page)
    screenshot(page, "caldicott-log")

    # The Prevent lead reads the advice on the case page, beside the assessment it answers.
    live_app.add_user("e2e.lead.advised", Role.PREVENT_LEAD)
    page.context.clear_cookies()
    sign_in(page, live_app, "e2e.lead.advised")
    page.goto(f"{live_app.url}/cases/{case_id}")
    advice = page.locator(".nhsuk-inset-text", has_text=f"On assessment {assessment_id}")
    assert "Share the listed items: DPA 2018 Sch 1 para 10 applies." in advice.inner_text()
    check_accessibility(page)


def test_journey_8_the_siro_signs_an_agreement(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.siro", Role.SIRO)
    today = live_app.records.today()
    with live_app.uow() as uow:
        for partner, expires, prevent in (
            ("Synthetic County Council", today + timedelta(days=40), True),
            ("Synthetic Police", today + timedelta(days=500), True),
            ("Synthetic Charity", today + timedelta(days=300), False),
        ):
            record_agreement(
                uow=uow,
                actor="e2e.ig",
                agreement=NewAgreement(
                    partner=partner,
                    purpose="Prevent and Channel information sharing",
                    references_prevent=prevent,
                    starts_on=today - timedelta(days=200),
                    review_on=expires - timedelta(days=30),
                    expires_on=expires,
                ),
            )
    sign_in(page, live_app, "e2e.siro")
    page.goto(f"{live_app.url}/registers")
    check_accessibility(page)
    assert "Expires in 40 days" in page.content() and "Does not refer to Prevent" in page.content()
    screenshot(page, "registers")
    page.click("a:has-text('Sign the agreement with Synthetic County Council')")
    check_accessibility(page)
    page.click("button:has-text('Sign the agreement')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)
    page.check('input[name="declaration"]')
    page.click("button:has-text('Sign the agreement')")
    assert "You have signed the data sharing agreement" in page.content()
    check_accessibility(page)


def test_a_double_click_on_a_forms_button_submits_it_once(page: Page, live_app: LiveApp) -> None:
    # Double-clicking "Save the contact" used to post the form twice and add the contact twice.
    live_app.add_user("e2e.ig.contacts", Role.IG_ADVISER)
    sign_in(page, live_app, "e2e.ig.contacts")
    page.goto(f"{live_app.url}/registers/contacts/new")
    page.evaluate(
        """() => {
            window.submits = 0;
            const save = [...document.querySelectorAll("button")].find((b) => b.textContent.includes("Save"));
            save.form.addEventListener("submit", (event) => { window.submits += 1; event.preventDefault(); });
        }"""
    )
    page.dblclick("button:has-text('Save the contact')")
    assert page.evaluate("window.submits") == 1


def test_journey_8_domains_are_imported_from_the_csv(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.ig", Role.IG_ADVISER)
    sign_in(page, live_app, "e2e.ig")
    page.goto(f"{live_app.url}/registers/domains/import")
    check_accessibility(page)
    bad = b"Domain,Expiry Date\nsynthetic-trust.nhs.uk,31/13/2027\n"
    page.set_input_files(
        'input[name="file"]', files=[{"name": "domains.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.click("button:has-text('Upload and import')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert "Row 2: the expiry date" in page.content()
    check_accessibility(page)
    soon = (live_app.records.today() + timedelta(days=30)).strftime("%d/%m/%Y")
    good = f"Organisation,Domain,Expiry Date\nSynthetic Trust,synthetic-trust.nhs.uk,{soon}\n,council.example.gov.uk,2030-01-31\n"
    page.set_input_files(
        'input[name="file"]', files=[{"name": "domains.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    page.click("button:has-text('Upload and import')")
    assert "2 domains added" in page.content()
    assert "synthetic-trust.nhs.uk" in page.content() and "Expires in 30 days" in page.content()
    check_accessibility(page)
    page.goto(f"{live_app.url}/registers/domains/new")
    check_accessibility(page)
    page.click("button:has-text('Add the domain')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)
    page.goto(f"{live_app.url}/registers/contacts/new")
    check_accessibility(page)
    page.goto(f"{live_app.url}/registers/agreements/new")
    page.click("button:has-text('Add the agreement')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)


def test_journey_9_the_auditor_verifies_the_chain_and_reads_a_case_trail(
    page: Page, live_app: LiveApp
) -> None:
    live_app.add_user("e2e.auditor", Role.AUDITOR)
    case_id = new_case(live_app)
    sign_in(page, live_app, "e2e.auditor")
    page.goto(f"{live_app.url}/audit")
    check_accessibility(page)
    assert "Intact" in page.content()
    page.fill("#anchor", "not-an-anchor")
    page.click("button:has-text('Check the anchor')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)
    page.fill("#case_id", str(case_id))
    page.click("button:has-text('Show the trail')")
    assert f"Audit trail of case {case_id}" in page.content()
    assert "case:record:create" in page.content() and "Sampleton" not in page.content()
    check_accessibility(page)
    screenshot(page, "audit-trail")

    # Proof of timeliness: the partner requests of a period, each judged on time or late.
    with live_app.uow() as uow:
        record_partner_request(
            uow=uow,
            actor="e2e.lead",
            case_id=case_id,
            calendar=live_app.records.engine_config.calendar,
            today=live_app.records.today(),
            request=NewPartnerRequest(
                organisation="Synthetic County Council",
                person="A Coordinator",
                role="Channel coordinator",
                email="channel@synthetic.gov.uk",
                recipient_type=RecipientType.LOCAL_AUTHORITY,
                purpose=Purpose.CHANNEL_INFORMATION_GATHERING,
                received_on=live_app.records.today(),
                items_requested=["GP contact"],
                proforma=True,
                secure_channel=True,
                consent_position_stated=True,
                reason_given=True,
                specific=True,
            ),
        )
    page.click("nav >> text=Reports")
    assert "1 request received from" in page.content()
    check_accessibility(page)
    page.fill("#from", "2026-12-31")
    page.fill("#to", "2026-01-01")
    page.click("button:has-text('Show the report')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)


def test_the_administrator_revokes_an_api_token(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.admin", Role.ADMINISTRATOR)
    with live_app.uow() as uow:  # tokens are made on the server (prevent-ig tokens create)
        token_id, _ = create_token(uow=uow, actor="cli", service="Synthetic EHR", role=Role.AUDITOR, days=30)
    sign_in(page, live_app, "e2e.admin")
    page.click("nav >> text=API tokens")
    assert "Synthetic EHR" in page.locator("main").inner_text()
    check_accessibility(page)
    page.click(f"button:has-text('Revoke token {token_id}')")
    assert f"Token {token_id} is revoked" in page.locator("main").inner_text()
    check_accessibility(page)


def test_the_administrator_disables_a_leavers_account_and_lets_it_back_in(
    page: Page, live_app: LiveApp
) -> None:
    live_app.add_user("e2e.admin.accounts", Role.ADMINISTRATOR)
    live_app.add_user("e2e.leaver", Role.PRACTITIONER)
    sign_in(page, live_app, "e2e.admin.accounts")
    page.locator("nav").get_by_role("link", name="Accounts", exact=True).click()
    page.wait_for_url("**/admin/users")
    assert "e2e.leaver" in page.locator("main").inner_text()
    check_accessibility(page)
    screenshot(page, "accounts")
    page.click("button:has-text('Disable e2e.leaver')")
    assert "e2e.leaver is disabled" in page.locator("main").inner_text()
    check_accessibility(page)
    page.click("button:has-text('Enable e2e.leaver')")
    assert "e2e.leaver can sign in again" in page.locator("main").inner_text()
    check_accessibility(page)
