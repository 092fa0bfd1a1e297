"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright, against the real app
served by uvicorn on loopback over a real SQLite database. Every page visited is checked with axe-core.

Never run `playwright install`: it would download its own browser. With PREVENT_IG_REQUIRE_BROWSER=1
(CI sets it) a missing Chromium fails the run instead of skipping.
"""

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from prevent_ig.adapters.records import migrate
from prevent_ig.adapters.records.database import make_engine, make_session_factory
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.bootstrap import Records, utc_now
from prevent_ig.domain.access import Role
from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.law.vocabulary import SubjectRole
from prevent_ig.entrypoints.web.app import create_app
from prevent_ig.services.accounts import create_user
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.cases import NewSubject, age_on, get_case_row, raise_concern
from prevent_ig.settings import WebSettings
from tests.builders import input_data
from tests.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
SCRATCH_SCREENSHOTS = Path(tempfile.gettempdir()) / "prevent-ig-screenshots"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AUDIT_KEY = b"e2e-audit-key-0123456789abcdef-0123456789"


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("PREVENT_IG_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class LiveApp:
    url: str
    records: Records
    secrets: dict[str, str]

    def uow(self) -> UnitOfWork:
        return self.records.new_unit_of_work()

    def add_user(self, username: str, role: Role) -> None:
        with self.uow() as uow:
            account = create_user(
                uow=uow,
                actor="e2e",
                username=username,
                display_name=f"{username} (e2e)",
                role=role,
                password=PASSWORD,
            )
        self.secrets[username] = account.totp_secret


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    _require_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    records = Records(
        engine=engine,
        engine_config=EngineConfig(),
        url=url,
        new_unit_of_work=lambda: UnitOfWork(factory, audit_key=AUDIT_KEY, now=utc_now),
    )
    port = free_port()
    app = create_app(records=records, web=WebSettings(demo_mode=True, secure_cookies=True))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    yield LiveApp(url=f"http://127.0.0.1:{port}", records=records, secrets={})
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require_browser()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


_axe = Axe()


def check_accessibility(page: Page) -> None:
    """Zero axe-core violations at WCAG 2.2 AA on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    violations = results.response["violations"]
    detail = "; ".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})" for v in violations
    )
    assert results.violations_count == 0, f"{page.url}: {detail}"


def screenshot(page: Page, name: str) -> None:
    """Render the page to a PNG: into docs/screenshots under `make screenshots`, else a temporary
    directory, so an ordinary test run never leaves the committed pictures changed."""
    folder = SCREENSHOTS if os.environ.get("PREVENT_IG_SCREENSHOTS") == "1" else SCRATCH_SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(page: Page, app: LiveApp, username: str) -> None:
    page.goto(f"{app.url}/sign-in")
    check_accessibility(page)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/sign-in/code**")
    check_accessibility(page)
    page.fill("#code", pyotp.TOTP(app.secrets[username]).now())
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{app.url}/")


def new_case(app: LiveApp) -> int:
    """A synthetic concern raised by a clinician, owned by the e2e lead."""
    with app.uow() as uow:
        return raise_concern(
            uow=uow,
            actor="e2e.clinician",
            owner="e2e.lead",
            on=app.records.today(),
            concern="Synthetic e2e concern: remarks about extremist videos.",
            subject=NewSubject(
                role=SubjectRole.PATIENT,
                given_name="Sam",
                family_name="Sampleton",
                date_of_birth=date(1990, 5, 17),
                address="2 Synthetic Road",
                nhs_number="999 000 0018",
            ),
        )


def decided(app: LiveApp, case_id: int, **overrides: Any) -> int:
    """A sharing decision on the case, the lead following the engine: the builders' input, with
    ``overrides`` (``ig_advice=...``, say), recorded through the use case as the browser would."""
    with app.uow() as uow:
        # By the real clock: the age the recorded date of birth gives today, as the use case requires.
        born = get_case_row(uow, case_id).subject.date_of_birth
        subject = {"age": age_on(born, app.records.today()), **overrides.pop("subject", {})}
        return record_assessment(
            uow=uow,
            actor="e2e.lead",
            case_id=case_id,
            assessment_json=json.dumps(input_data(subject=subject, **overrides)),
            config=app.records.engine_config,
            today=app.records.today(),
            lead_decision=LeadDecision.FOLLOW,
        )
