"""Journeys 2, 3, 4 and 6, consent, the two-factor sign-in and a disclosure never delivered, in Chromium,
with axe on every page.

The sharing assessment is completed with the keyboard alone: Tab to reach each control, arrow keys
and Space to choose, typing to answer, Enter to submit.
"""

from playwright.sync_api import Page

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.domain.access import Role
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.delivery import Result, RetryPolicy, deliver_due
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.outbox import send_disclosure
from prevent_ig.services.pathway import advance_case
from tests.builders import item
from tests.e2e.conftest import LiveApp, check_accessibility, decided, new_case, screenshot, sign_in
from tests.mail.fakes import RefusingServer

MAX_TABS = 80


def focused_matches(page: Page, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector))


def tab_to(page: Page, selector: str) -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused_matches(page, selector):
            return
    raise AssertionError(f"could not reach {selector} with the Tab key")


def choose(page: Page, name: str, value: str) -> None:
    """Reach a radio group with Tab and select an option with the arrow keys and Space."""
    tab_to(page, f'input[name="{name}"]')
    for _ in range(12):
        if focused_matches(page, f'input[name="{name}"][value="{value}"]'):
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"option {value} of {name} not reachable with arrow keys")


def tick(page: Page, name: str, value: str) -> None:
    tab_to(page, f'input[name="{name}"][value="{value}"]')
    page.keyboard.press("Space")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def tab_to_button(page: Page, label: str) -> None:
    script = "l => { const e = document.activeElement; return !!e && e.tagName === 'BUTTON' && e.textContent.trim() === l; }"
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(script, label):
            return
    raise AssertionError(f"could not reach the {label} button with the Tab key")


def submit(page: Page, label: str = "Continue") -> None:
    tab_to_button(page, label)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_accessibility(page)


def test_sign_in_needs_the_second_factor(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.signin", Role.PREVENT_LEAD)
    page.goto(f"{live_app.url}/dashboard")
    assert "/sign-in" in page.url
    screenshot(page, "sign-in")
    page.fill("#username", "e2e.signin")
    page.fill("#password", "correct horse battery staple")
    page.click("button:has-text('Continue')")
    page.fill("#code", "000000")
    page.click("button:has-text('Sign in')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)
    sign_in(page, live_app, "e2e.signin")
    assert "e2e.signin (e2e)" in page.content()


def test_a_user_changes_their_own_password(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.changer", Role.PRACTITIONER)
    sign_in(page, live_app, "e2e.changer")
    page.get_by_role("link", name="Change password").click()
    page.wait_for_url("**/account/password")
    check_accessibility(page)
    page.fill("#current_password", "correct horse battery staple")
    page.fill("#new_password", "too short")
    page.click("button:has-text('Change password')")
    assert (
        "Enter a new password of at least 12 characters" in page.locator(".nhsuk-error-summary").inner_text()
    )
    check_accessibility(page)
    page.fill("#current_password", "correct horse battery staple")
    page.fill("#new_password", "four unrelated words here")
    page.fill("#confirm_password", "four unrelated words here")
    page.click("button:has-text('Change password')")
    assert "Your password is changed" in page.locator("main").inner_text()
    check_accessibility(page)


def test_journey_2_assessment_by_keyboard_alone(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.lead", Role.PREVENT_LEAD)
    case_id = new_case(live_app)
    sign_in(page, live_app, "e2e.lead")
    page.goto(f"{live_app.url}/cases/{case_id}")
    check_accessibility(page)
    screenshot(page, "case-page")
    tab_to(page, f'a[href="/cases/{case_id}/assess"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_accessibility(page)
    choose(page, "answer", "referral")
    submit(page)
    choose(page, "answer", "prevent_referral")
    submit(page)
    choose(page, "answer", "no")  # adult at risk?
    submit(page)
    choose(page, "answer", "no")  # any doubt about capacity?
    submit(page)
    choose(page, "answer", "not_sought")
    submit(page)
    choose(page, "answer", "prejudice_purpose")
    submit(page)
    choose(page, "answer", "police")
    submit(page)
    type_into(page, 'input[name="recipient_name"]', "Synthetic Police Prevent Team")
    type_into(page, 'input[name="recipient_email"]', "prevent@synthetic.pnn.police.uk")
    submit(page)
    choose(page, "answer", "yes")  # data sharing agreement
    submit(page)
    choose(page, "answer", "none")  # legal requirement
    submit(page)
    tick(page, "answer_list", "others")
    submit(page)
    choose(page, "answer", "yes")  # substantial public interest
    submit(page)
    choose(page, "answer", "yes")  # informing would prejudice
    submit(page)
    screenshot(page, "assessment-items")
    type_into(page, "#item_description", "Summary of current mental health treatment")
    tab_to(page, "#item_category")
    page.keyboard.type("Health")
    choose(page, "item_relevant", "yes")
    type_into(page, "#item_justification", "Explains the vulnerability behind the concern")
    submit(page, "Add this information")
    assert "Summary of current mental health treatment" in page.content()
    submit(page)
    choose(page, "answer", "none")  # IG advice
    submit(page)
    type_into(
        page, "#answer", "Synthetic rationale: risk to others outweighs privacy; telling would tip off."
    )
    submit(page)
    assert "Check your answers" in page.content()
    screenshot(page, "check-answers")
    submit(page, "See the decision")
    assert "You may share the information listed" in page.content()
    screenshot(page, "decision")
    choose(page, "lead_decision", "follow")
    submit(page, "Record decision")
    assert f"/cases/{case_id}" in page.url
    assert "engine said" in page.content() and "share" in page.content()


def test_a_refused_answer_is_named_by_its_question_and_its_link_reaches_the_answer(
    page: Page, live_app: LiveApp
) -> None:
    live_app.add_user("e2e.lead.words", Role.PREVENT_LEAD)
    case_id = new_case(live_app)
    sign_in(page, live_app, "e2e.lead.words")
    page.goto(f"{live_app.url}/cases/{case_id}/assess")

    def pick(value: str, name: str = "answer") -> None:
        page.check(f'input[name="{name}"][value="{value}"]')
        page.click("button:has-text('Continue')")

    for value in ("referral", "prevent_referral", "no", "no", "not_sought", "prejudice_purpose", "police"):
        pick(value)
    page.fill('input[name="recipient_name"]', "Synthetic Police Prevent Team")
    page.click("button:has-text('Continue')")
    for value in ("yes", "none"):  # data sharing agreement; legal requirement
        pick(value)
    pick("others", "answer_list")
    for value in ("yes", "yes"):  # substantial public interest; informing would prejudice
        pick(value)
    page.fill("#item_description", "Summary of current mental health treatment")
    page.select_option("#item_category", "health")
    page.check('input[name="item_relevant"][value="yes"]')
    page.click("button:has-text('Add this information')")
    page.click("button:has-text('Continue')")
    pick("none")  # IG advice
    page.click("button:has-text('Continue')")  # no reasoning written, though consent was not asked for
    assert "Check your answers" in page.content()
    page.click("button:has-text('See the decision')")

    summary = page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    check_accessibility(page)
    link = summary.get_by_role("link", name="Explain your reasoning: Must explain the reasoning unless")
    assert link.inner_text() == (
        "Explain your reasoning: Must explain the reasoning unless “Have they agreed to the sharing?” is"
        " “They (or someone entitled to) agreed”"
    )
    assert "grounds.rationale" not in summary.inner_text()
    link.click()
    assert page.url.endswith("#answer-rationale")
    assert page.locator("#answer-rationale").inner_text().startswith("Explain your reasoning")


def test_journey_3_referral_checks_the_address_and_records_it(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.lead3", Role.PREVENT_LEAD)
    case_id = new_case(live_app)
    sign_in(page, live_app, "e2e.lead3")
    page.goto(f"{live_app.url}/cases/{case_id}/referral")
    check_accessibility(page)
    assert "Assess first" in page.content()
    # A followed share decision, as journey 2 makes one in the browser, that held back a health item.
    withheld = {**item("gp-letter", "health", relevant=False), "description": "GP letter"}
    decided(live_app, case_id, items=[item("demographics"), withheld])
    page.goto(f"{live_app.url}/cases/{case_id}/referral")
    assert "GP letter (health: not relevant)" in page.locator("#left-out").inner_text()
    page.fill("#email", "prevent.lead@gov.uk.example.com")
    page.click("button:has-text('Check address')")
    assert "gov.uk.example.com is not secure" in page.content()
    check_accessibility(page)
    page.fill("#email", "prevent@northshire.pnn.police.uk")
    page.click("button:has-text('Check address')")
    assert "secure domain: no further action needed" in page.content()
    screenshot(page, "referral")
    page.click("button:has-text('Record the referral as made')")
    check_accessibility(page)
    assert "referred" in page.content()


def test_journey_4_partner_request_with_checklist_and_clarification(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.lead4", Role.PREVENT_LEAD)
    case_id = new_case(live_app)
    sign_in(page, live_app, "e2e.lead4")
    page.goto(f"{live_app.url}/cases/{case_id}/requests/new")
    check_accessibility(page)
    page.click("button:has-text('Save the request')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)
    page.fill("#organisation", "Synthetic County Council Channel Panel")
    page.check('input[name="recipient_type"][value="channel_panel"]')
    page.fill("#person", "A Coordinator")
    page.fill("#role", "Channel coordinator")
    page.fill("#email", "channel@synthetic.gov.uk")
    page.check('input[name="purpose"][value="channel_information_gathering"]')
    # Today: a request as it usually arrives (the deadline across Christmas is proven over HTTP, in
    # tests/web/test_journeys_http.py, where the app's clock can be set).
    today = live_app.records.today()
    page.fill("#received-day", str(today.day))
    page.fill("#received-month", str(today.month))
    page.fill("#received-year", str(today.year))
    page.fill("#items", "GP contact details\nCurrent mental health support")
    for check in ("proforma", "secure_channel", "consent_position_stated", "reason_given"):
        page.check(f'input[name="checks"][value="{check}"]')
    page.check('input[name="powers"][value="CTSA2015.s38"]')
    page.click("button:has-text('Save the request')")
    due = live_app.records.engine_config.calendar.add_working_days(today, 5)
    assert f"Due {due.strftime('%A %-d %B %Y')}" in page.content(), page.locator("main").inner_text()[:1500]
    assert "They said exactly what information they need" in page.content()
    check_accessibility(page)
    screenshot(page, "partner-request")
    page.click("button:has-text('Record the clarification request')")
    assert "The clock has stopped" in page.content()
    check_accessibility(page)


def test_journey_6_dashboard(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.lead6", Role.PREVENT_LEAD)
    new_case(live_app)
    sign_in(page, live_app, "e2e.lead6")
    page.goto(f"{live_app.url}/dashboard")
    check_accessibility(page)
    content = page.content()
    assert "Cases by stage" in content and "New concern raised" in content
    screenshot(page, "dashboard")
    notes = page.locator("#notifications ~ table tbody tr")
    before = notes.count()
    notes.first.get_by_role("button").click()  # the newest: this journey's own concern
    page.wait_for_url("**/dashboard#notifications")
    assert notes.count() == before - 1
    check_accessibility(page)
    page.goto(f"{live_app.url}/requests")
    check_accessibility(page)
    page.goto(f"{live_app.url}/cases")
    check_accessibility(page)


def test_consent_is_recorded_from_the_case_page_and_withdrawn_there(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.consent", Role.PREVENT_LEAD)
    case_id = new_case(live_app)
    sign_in(page, live_app, "e2e.consent")
    page.goto(f"{live_app.url}/cases/{case_id}")
    page.click("text=Record consent, to sharing or to Channel support")
    check_accessibility(page)
    page.click("button:has-text('Save the consent')")
    assert page.locator(".nhsuk-error-summary").is_visible()
    check_accessibility(page)
    page.check('input[name="scope"][value="channel_support"]')
    page.check('input[name="status"][value="given"]')
    page.check('input[name="given_by"][value="subject"]')
    page.fill("#sought_on-day", "2")
    page.fill("#sought_on-month", "11")
    page.fill("#sought_on-year", "2026")
    assert page.input_value("#sought_by")  # the signed-in lead, filled in
    page.check('input[name="has_capacity"][value="yes"]')
    page.click("button:has-text('Save the consent')")
    page.wait_for_url(f"**/cases/{case_id}?recorded=consent")
    assert "Consent to Channel support:" in page.locator("main").inner_text()
    check_accessibility(page)
    page.click("button:has-text('Record that this consent was withdrawn')")
    page.wait_for_url(f"**/cases/{case_id}?recorded=withdrawal**")
    assert "Consent withdrawn." in page.locator("main").inner_text()
    check_accessibility(page)


def test_a_case_that_may_leave_the_pathway_offers_the_exit_accessibly(page: Page, live_app: LiveApp) -> None:
    live_app.add_user("e2e.exit", Role.PREVENT_LEAD)
    case_id = new_case(live_app)
    decided(live_app, case_id)  # a followed referral decision, then referred and screened
    for move in (Move.REFER, Move.START_SCREENING):
        with live_app.uow() as uow:
            advance_case(
                uow=uow,
                actor="e2e.exit",
                case_id=case_id,
                move=move,
                on=live_app.records.today(),
                calendar=live_app.records.engine_config.calendar,
            )
    sign_in(page, live_app, "e2e.exit")
    page.goto(f"{live_app.url}/cases/{case_id}")
    check_accessibility(page)
    page.check('input[name="move"][value="exit"]')
    page.check('input[name="exit_reason"][value="signposted"]')
    check_accessibility(page)
    page.click("button:has-text('Update the case')")
    page.wait_for_url(f"**/cases/{case_id}**")
    assert "Left the pathway: signposted." in page.locator("main").inner_text()


def test_a_move_dated_too_early_is_refused_at_its_date_keeping_the_answers(
    page: Page, live_app: LiveApp
) -> None:
    live_app.add_user("e2e.dated", Role.PREVENT_LEAD)
    case_id = new_case(live_app)  # opened today
    decided(live_app, case_id)
    today = live_app.records.today()
    sign_in(page, live_app, "e2e.dated")
    page.goto(f"{live_app.url}/cases/{case_id}")
    page.check('input[name="move"][value="refer"]')
    page.fill('input[name="on[year]"]', str(today.year - 1))
    page.click("button:has-text('Update the case')")
    main = page.locator("main")
    assert (
        f"The date it happened cannot be before {today.day} {today:%B %Y}, when the case was opened"
        in main.inner_text()
    )
    assert page.is_checked('input[name="move"][value="refer"]')
    assert page.input_value('input[name="on[year]"]') == str(today.year - 1)
    check_accessibility(page)
    page.click('a[href="#on-day"]')  # the error summary leads to the date
    page.fill('input[name="on[year]"]', str(today.year))
    page.click("button:has-text('Update the case')")
    page.wait_for_url(f"**/cases/{case_id}?recorded=move")
    assert "referred" in main.inner_text()


def test_a_disclosure_whose_email_failed_for_good_is_shown_not_delivered(
    page: Page, live_app: LiveApp
) -> None:
    live_app.add_user("e2e.undelivered", Role.PREVENT_LEAD)
    case_id = new_case(live_app)
    assessment_id = decided(live_app, case_id, kind="disclosure", purpose="police_screening")
    with live_app.uow() as uow:
        queued = send_disclosure(
            uow=uow,
            actor="e2e.lead",
            assessment_id=assessment_id,
            to="prevent@northshire.pnn.police.uk",
            items=[ReleasedItem(id="demographics", content="Sam Sampleton, 2 Synthetic Road")],
            on=live_app.records.today(),
            renderer=PdfRenderer(),
            from_address="prevent.lead@demo-trust.nhs.uk",
            config=live_app.records.engine_config,
        )
    failed = deliver_due(
        new_uow=live_app.records.new_unit_of_work,
        transport=RefusingServer(),
        policy=RetryPolicy(),
        worker="e2e",
        config=live_app.records.engine_config,
    )
    # (Messages earlier journeys queued in this module's app fail too; none of them is looked at again.)
    assert (queued.outbox_id, Result.FAILED) in [(d.outbox_id, d.result) for d in failed]
    sign_in(page, live_app, "e2e.undelivered")
    page.goto(f"{live_app.url}/cases/{case_id}")
    check_accessibility(page)
    disclosure = page.locator("h2:has-text('Disclosures') + ul li")
    assert disclosure.locator(".nhsuk-tag").inner_text().strip() == "Not delivered"
    assert "the recipient did not receive it" in disclosure.inner_text()
