"""Injection strings in every free-text field are kept as the text they are, and come back escaped.

One case is built through the API, the web forms and the use cases, with every free-text field holding
the same attack string (SQL, an HTML element with an event handler, a script, a template expression)
behind a tag of its own. Then every page, document and export that shows case data is read back. Each
must show the strings of the fields it shows whole and as text: a page's text as a browser parses it,
a PDF's extracted text, an export in its own format. No page may carry an element or attribute that the
attacker wrote. The audit trail must carry none of the strings: it records ids, never free text.

Which fields each output shows is written down below, so a field that stops showing, or a string that
comes back cut or changed, fails here.
"""

import csv
import html.parser
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from prevent_ig.adapters.records.tables import (
    AccreditedDomainRow,
    AssessmentRow,
    CaldicottLogRow,
    ContactRow,
    DataSharingAgreementRow,
    DisclosureRow,
    ReferralAnswersRow,
)
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.cli.app import app as cli
from prevent_ig.services.documents import save_referral_answers
from tests.api.conftest import Tokens
from tests.builders import REQUEST_COMPLETE, input_data
from tests.documents.builders import pdf_pages
from tests.fixtures_db import Db

ATTACK = (
    "<script>alert('x')</script> \"><img src=x onerror=alert(1)> {{ 7*7 }} ' OR '1'='1'; DROP TABLE cases;--"
)

FIELDS = {
    "S1": "subject's given name",
    "S2": "subject's family name",
    "S3": "subject's address",
    "C1": "concern",
    "C2": "case owner",
    "R1": "partner request: organisation",
    "R2": "partner request: person",
    "R3": "partner request: role",
    "R4": "partner request: item asked for",
    "A1": "referral decision: recipient's name",
    "A2": "referral decision: rationale",
    "A3": "referral decision: item's description",
    "A4": "referral decision: item's justification",
    "A5": "referral decision: the lead's reason",
    "Q1": "request decision: recipient's name",
    "Q2": "request decision: rationale",
    "Q3": "request decision: item's description",
    "Q4": "request decision: item's justification",
    "D1": "disclosed item's content",
    "F1": "referral form answer: source contact",
    "F2": "referral form answer: vulnerabilities",
    "F3": "referral form answer: other agencies",
    "G1": "IG adviser's name",
    "G2": "IG advice",
}


def attack(tag: str) -> str:
    return f"{tag}# {ATTACK}"


@dataclass(frozen=True)
class Made:
    case_id: int
    complete_request_id: int
    open_request_id: int
    referral_id: int
    """The decision to refer."""
    share_id: int
    """The decision to share with the partner whose request was complete."""
    clarify_id: int
    """The decision on the incomplete request, which also waited for IG advice."""
    advice_pages: dict[str, str]
    """The IG adviser's queue and form as they were before the advice was given."""


LACKING = {"proforma": False, "consent_position_stated": False, "specific": False}
"""The checklist answers (guidance section 5) that make a partner request incomplete."""


def request_body(**checklist: bool) -> dict[str, Any]:
    """A partner request for the API: the builders' complete checklist, less any answers given."""
    answers = {name: value for name, value in REQUEST_COMPLETE.items() if name != "received"}
    return {
        "organisation": attack("R1"),
        "person": attack("R2"),
        "role": attack("R3"),
        "email": "channel@northshire.gov.uk",
        "recipient_type": "channel_panel",
        "purpose": "channel_information_gathering",
        "received_on": REQUEST_COMPLETE["received"],
        "items_requested": [attack("R4")],
        **answers,
        **checklist,
    }


def answer_to(request: dict[str, Any], *, ig_advice: dict[str, Any] | None = None) -> dict[str, Any]:
    return input_data(
        kind="request_response",
        purpose="channel_information_gathering",
        recipient={
            "name": attack("Q1"),
            "type": "channel_panel",
            "competent_authority": False,
            "email": "channel@northshire.gov.uk",
            "dsa_in_place": True,
        },
        request=request,
        grounds={"rationale": attack("Q2")},
        items=[
            {
                "id": "mental-health",
                "description": attack("Q3"),
                "category": "health",
                "relevant": True,
                "justification": attack("Q4"),
            }
        ],
        ig_advice=ig_advice,
    )


def created(response: Any) -> int:
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def made(api: TestClient, auth: Tokens, db: Db, as_role: Any) -> Made:
    lead = auth(Role.PREVENT_LEAD)
    subject = {
        "role": "patient",
        "given_name": attack("S1"),
        "family_name": attack("S2"),
        "date_of_birth": "1990-05-17",
        "address": attack("S3"),
        "nhs_number": "999 000 0018",
    }
    case = {"subject": subject, "concern": attack("C1"), "owner": attack("C2")}
    case_id = created(api.post("/api/v1/cases", json=case, headers=lead))
    on_case = f"/api/v1/cases/{case_id}"
    complete = created(api.post(f"{on_case}/requests", json=request_body(), headers=lead))
    incomplete = created(api.post(f"{on_case}/requests", json=request_body(**LACKING), headers=lead))

    item = {
        "id": "identity",
        "description": attack("A3"),
        "category": "identity",
        "relevant": True,
        "justification": attack("A4"),
    }
    # The address is contact detail (referral form v2): released, it is on the form for the proof to read.
    contact = {
        "id": "contact",
        "description": "Home address",
        "category": "contact",
        "relevant": True,
        "justification": "The police must be able to find the person",
    }
    referral = input_data(
        recipient={"name": attack("A1")}, grounds={"rationale": attack("A2")}, items=[item, contact]
    )
    referral_id = created(
        api.post(
            f"{on_case}/decisions",
            json={"assessment": referral, "lead_decision": "follow", "lead_reason": attack("A5")},
            headers=lead,
        )
    )
    share_id = created(
        api.post(
            f"{on_case}/decisions",
            json={
                "assessment": answer_to(REQUEST_COMPLETE),
                "lead_decision": "follow",
                "request_id": complete,
            },
            headers=lead,
        )
    )
    created(
        api.post(
            f"/api/v1/decisions/{share_id}/disclosures",
            json={"items": [{"id": "mental-health", "content": attack("D1")}], "method": "secure_email"},
            headers=lead,
        )
    )
    awaiting = {"adviser_role": "caldicott_guardian", "supports_sharing": None}
    clarify_id = created(
        api.post(
            f"{on_case}/decisions",
            json={
                "assessment": answer_to({**REQUEST_COMPLETE, **LACKING}, ig_advice=awaiting),
                "lead_decision": "follow",
                "request_id": incomplete,
            },
            headers=lead,
        )
    )
    with db.uow() as uow:  # the use case behind `prevent-ig documents answers`
        save_referral_answers(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            answers={
                "referrer_name": "Synthetic Lead",
                "referrer_email": "prevent.lead@example-trust.nhs.uk",
                "referrer_organisation": "Example NHS Trust (synthetic)",
                "source_contact": attack("F1"),
                "vulnerabilities": attack("F2"),
                "other_agencies": attack("F3"),
            },
        )
    adviser = as_role(Role.IG_ADVISER, "ig.attack")
    advice = {
        "supports": "yes",
        "adviser_role": "caldicott_guardian",
        "adviser": attack("G1"),
        "advice": attack("G2"),
    }
    # Read before answering: once answered, the decision leaves the adviser's queue.
    advice_pages = {}
    for path in ("/advice", "/advice/{clarify}"):
        page = adviser.client.get(path.format(clarify=clarify_id))
        assert page.status_code == 200, path
        advice_pages[path] = page.text
    assert adviser.post_form(f"/advice/{clarify_id}", advice).status_code == 303
    return Made(
        case_id=case_id,
        complete_request_id=complete,
        open_request_id=incomplete,
        referral_id=referral_id,
        share_id=share_id,
        clarify_id=clarify_id,
        advice_pages=advice_pages,
    )


# --- What is stored -------------------------------------------------------------------------------


def test_every_free_text_field_is_stored_exactly_as_written(
    api: TestClient, auth: Tokens, db: Db, made: Made
) -> None:
    detail = api.get(f"/api/v1/cases/{made.case_id}", headers=auth(Role.PREVENT_LEAD)).json()
    stored: dict[str, Any] = {
        "S1": detail["subject"]["given_name"],
        "S2": detail["subject"]["family_name"],
        "S3": detail["subject"]["address"],
        "C1": detail["concern"],
        "C2": detail["owner"],
    }
    requests = detail["requests"]
    assert len(requests) == 2
    for request in requests:  # the complete one and the incomplete one hold the same strings
        texts = [request["organisation"], request["person"], request["role"], *request["items_requested"]]
        assert texts == [attack(tag) for tag in ("R1", "R2", "R3", "R4")]
    stored |= dict(zip(("R1", "R2", "R3", "R4"), texts, strict=True))
    stored["A5"] = {d["id"]: d for d in detail["assessments"]}[made.referral_id]["lead_reason"]
    with db.uow() as uow:
        for prefix, decision_id in (("A", made.referral_id), ("Q", made.share_id)):
            facts = uow.session.get_one(AssessmentRow, decision_id).input
            stored[f"{prefix}1"] = facts["recipient"]["name"]
            stored[f"{prefix}2"] = facts["grounds"]["rationale"]
            stored[f"{prefix}3"] = facts["items"][0]["description"]
            stored[f"{prefix}4"] = facts["items"][0]["justification"]
        disclosure = uow.session.scalars(
            select(DisclosureRow).where(DisclosureRow.assessment_id == made.share_id)
        ).one()
        stored["D1"] = disclosure.items[0]["content"]
        answers = uow.session.scalars(select(ReferralAnswersRow)).one().answers
        stored |= {
            "F1": answers["source_contact"],
            "F2": answers["vulnerabilities"],
            "F3": answers["other_agencies"],
        }
        logged = uow.session.scalars(select(CaldicottLogRow)).one()
        stored |= {"G1": logged.adviser, "G2": logged.advice}
    assert stored == {tag: attack(tag) for tag in FIELDS}


# --- Pages ----------------------------------------------------------------------------------------


@dataclass
class ParsedPage(html.parser.HTMLParser):
    """A page as a browser builds it: the text it shows, and the elements and attributes it creates."""

    text: list[str] = field(default_factory=list)
    elements: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def shown_on_page(where: str, body: str, fields: dict[str, str] = FIELDS) -> set[str]:
    """The fields whose strings the page shows whole as text, after checking it holds no attacker markup."""
    page = ParsedPage()
    page.feed(body)
    page.close()
    for tag, attrs in page.elements:
        assert not (tag == "script" and not attrs.get("src")), f"{where}: an inline script"
        assert not (tag == "img" and attrs.get("src") == "x"), f"{where}: the injected image"
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"{where}: event handler attributes {handlers}"
    text = "".join(page.text)
    return {tag for tag in fields if attack(tag) in text}


LEAD_PAGES = {
    "/cases": {"C2"},
    "/cases/{case}": {"S1", "S2", "S3", "C1", "C2", "R1", "Q1", "A2", "A5", "Q2", "G1", "G2"},
    "/cases/{case}/referral": set(),
    "/cases/{case}/assess": set(),
    "/requests": {"R1"},
    "/requests/{complete_request}": {"R1", "R2", "R3", "R4"},
    "/requests/{open_request}": {"R1", "R2", "R3", "R4"},
    "/dashboard": set(),
    "/mail": set(),
    "/registers/caldicott": {"Q1", "Q3", "G1", "G2"},
    "/oversight?from=2026-01-01&to=2026-12-31": {"R1"},
}
"""Each page the Prevent lead reads about the case, and the fields it shows."""
ADVISER_PAGES = {"/advice": {"Q1", "Q3"}, "/advice/{clarify}": {"Q1", "Q3"}}
"""What the IG adviser sees: the question only, never the subject's details (services/advice.py)."""


def path_of(template: str, made: Made) -> str:
    return template.format(
        case=made.case_id,
        complete_request=made.complete_request_id,
        open_request=made.open_request_id,
        referral=made.referral_id,
        share=made.share_id,
        clarify=made.clarify_id,
    )


POSTED = {"/decisions/{clarify}/clarification-letter.pdf"}
"""Documents issued by a form, since issuing them changes a record (the letter stops the request's clock)."""


def fetched(browser: Any, templates: dict[str, set[str]], made: Made) -> dict[str, Any]:
    """Each page or document of ``templates`` for this case, as the browser gets it; each must be there."""
    responses = {
        template: browser.post_form(path_of(template, made), {}, form_page=f"/cases/{made.case_id}")
        if template in POSTED
        else browser.client.get(path_of(template, made))
        for template in templates
    }
    for template, response in responses.items():
        assert response.status_code == 200, template
    return responses


def test_pages_show_each_string_as_text_and_none_as_markup(as_role: Any, made: Made) -> None:
    lead = as_role(Role.PREVENT_LEAD, "lead.attack")
    pages = fetched(lead, LEAD_PAGES, made)
    shown = {template: shown_on_page(template, response.text) for template, response in pages.items()}
    assert shown == LEAD_PAGES
    advised = {template: shown_on_page(template, body) for template, body in made.advice_pages.items()}
    assert advised == ADVISER_PAGES


def test_the_oversight_spreadsheet_carries_the_organisation_as_written(as_role: Any, made: Made) -> None:
    lead = as_role(Role.PREVENT_LEAD, "lead.attack")
    response = lead.client.get("/oversight/requests.csv?from=2026-01-01&to=2026-12-31")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["request_id"] for row in rows] == [str(made.complete_request_id), str(made.open_request_id)]
    assert {row["organisation"] for row in rows} == {attack("R1")}
    assert not any(attack(tag) in response.text for tag in FIELDS if tag != "R1")


def test_the_audit_trail_page_shows_none_of_the_free_text(as_role: Any, made: Made) -> None:
    auditor = as_role(Role.AUDITOR, "auditor.attack")
    response = auditor.client.get(f"/audit/trail?case_id={made.case_id}")
    assert response.status_code == 200
    assert f"case:{made.case_id}" in response.text  # the trail is there, and holds the case's events
    assert shown_on_page("audit trail", response.text) == set()
    assert "DROP TABLE" not in response.text and "alert(" not in response.text


# --- Documents ------------------------------------------------------------------------------------


def squeezed(text: str) -> str:
    """Without whitespace: a PDF or a terminal table breaks long text across lines where it likes."""
    return re.sub(r"\s+", "", text)


def shown_in_pdf(content: bytes) -> set[str]:
    text = squeezed("".join(pdf_pages(content)))
    return {tag for tag in FIELDS if squeezed(attack(tag)) in text}


DOCUMENTS = {
    "/cases/{case}/referral-form.pdf": {"S1", "S2", "S3", "C1", "F1", "F3"},
    "/decisions/{referral}/record-note.pdf": {"A1", "A2", "A3", "A5"},
    "/decisions/{share}/record-note.pdf": {"Q1", "Q2", "Q3"},
    "/decisions/{clarify}/record-note.pdf": {"Q1", "Q2"},
    "/decisions/{clarify}/clarification-letter.pdf": {"R1", "R2"},
}
"""Each document the web app issues for the case, and the fields it carries. The referral form leaves
out the vulnerabilities answer (F2) because the decision to refer released no health information."""


def test_documents_carry_each_string_as_written(as_role: Any, made: Made) -> None:
    lead = as_role(Role.PREVENT_LEAD, "lead.attack")
    documents = fetched(lead, DOCUMENTS, made)
    assert {response.headers["content-type"] for response in documents.values()} == {"application/pdf"}
    assert {template: shown_in_pdf(response.content) for template, response in documents.items()} == DOCUMENTS


# --- Exports: the command line --------------------------------------------------------------------


@pytest.fixture
def env(db: Db, tmp_path: Path) -> dict[str, str | None]:
    return db.cli_env(tmp_path / "data")


def run(env: dict[str, str | None], *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


TEXT_EXPORTS = {
    ("cases", "show", "{case}"): {
        "S1",
        "S2",
        "S3",
        "C1",
        "C2",
        "R1",
        "R2",
        "R3",
        "Q1",
        "A2",
        "A5",
        "Q2",
        "G1",
        "G2",
    },
    ("cases", "list"): {"C2"},
    ("documents", "note", "{referral}"): {"A1", "A2", "A3", "A5"},
    ("documents", "caldicott", "{clarify}"): {"Q1"},
}
JSON_EXPORTS = {
    ("cases", "show", "{case}", "--json"): {
        *("S1", "S2", "S3", "C1", "C2", "R1", "R2", "R3", "R4", "A2", "A5", "Q1", "Q2", "Q3", "G1", "G2"),
    },
    ("documents", "caldicott", "{clarify}", "--json"): {"Q1"},
}


def test_command_line_exports_carry_each_string_as_written(env: dict[str, str | None], made: Made) -> None:
    shown = {}
    for command in TEXT_EXPORTS:
        output = squeezed(run(env, *(path_of(part, made) for part in command)))
        shown[command] = {tag for tag in FIELDS if squeezed(attack(tag)) in output}
    assert shown == TEXT_EXPORTS
    shown = {}
    for command in JSON_EXPORTS:
        values = strings_in(json.loads(run(env, *(path_of(part, made) for part in command))))
        shown[command] = {tag for tag in FIELDS if any(attack(tag) in value for value in values)}
    assert shown == JSON_EXPORTS


def test_disclosure_pack_carries_the_disclosed_content_as_written(
    env: dict[str, str | None], made: Made, tmp_path: Path
) -> None:
    pack = tmp_path / "pack.pdf"
    run(env, "documents", "disclosure", str(made.share_id), "--out", str(pack))
    assert shown_in_pdf(pack.read_bytes()) == {"D1", "Q1", "Q3", "R2"}


def test_the_audit_export_holds_none_of_the_free_text(
    env: dict[str, str | None], made: Made, tmp_path: Path
) -> None:
    exported = tmp_path / "audit.jsonl"
    run(env, "audit", "export", str(exported))
    events = [json.loads(line) for line in exported.read_text().splitlines()]
    assert any(event["case_id"] == made.case_id for event in events)
    text = exported.read_text()
    assert "DROP TABLE" not in text and "alert(" not in text
    assert not [tag for tag in FIELDS if f"{tag}# " in text]


# --- Governance registers -------------------------------------------------------------------------


REGISTER_FIELDS = {
    "P1": "agreement: partner",
    "P2": "agreement: purpose",
    "K1": "contact: name",
    "M1": "accredited domain: organisation",
}
REGISTER_PAGES = {
    "/registers": {"P1", "P2", "K1"},
    "/registers/domains": {"M1"},
    "/registers/agreements/{agreement}/sign": {"P1", "P2"},
}


def test_register_entries_are_stored_as_written_and_shown_as_text(as_role: Any, db: Db) -> None:
    ig = as_role(Role.IG_ADVISER, "ig.registers")
    admin = as_role(Role.ADMINISTRATOR, "admin.registers")
    siro = as_role(Role.SIRO, "siro.registers")
    dates = {"starts_on": date(2026, 4, 1), "review_on": date(2027, 1, 1), "expires_on": date(2028, 3, 31)}
    added = ig.post_form(
        "/registers/agreements/new",
        {
            "partner": attack("P1"),
            "purpose": attack("P2"),
            "references_prevent": "yes",
            **{
                f"{name}[{part}]": str(getattr(day, part))
                for name, day in dates.items()
                for part in ("day", "month", "year")
            },
        },
    )
    assert added.status_code == 303, added.text
    contact = {"role": "dpo", "name": attack("K1"), "email": "dpo@example-trust.nhs.uk", "phone": ""}
    assert admin.post_form("/registers/contacts/new", contact).status_code == 303
    domain = {
        "domain": "synthetic-partner.gov.uk",
        "organisation": attack("M1"),
        **{f"expires_on[{part}]": str(getattr(date(2030, 1, 1), part)) for part in ("day", "month", "year")},
    }
    assert ig.post_form("/registers/domains/new", domain).status_code == 303
    with db.uow() as uow:
        agreement = uow.session.scalars(select(DataSharingAgreementRow)).one()
        agreement_id = agreement.id
        stored = {
            "P1": agreement.partner,
            "P2": agreement.purpose,
            "K1": uow.session.scalars(select(ContactRow)).one().name,
            "M1": uow.session.scalars(
                select(AccreditedDomainRow).where(AccreditedDomainRow.domain == "synthetic-partner.gov.uk")
            )
            .one()
            .organisation,
        }
    assert stored == {tag: attack(tag) for tag in REGISTER_FIELDS}
    shown = {}
    for template in REGISTER_PAGES:
        response = siro.client.get(template.format(agreement=agreement_id))
        assert response.status_code == 200, template
        shown[template] = shown_on_page(template, response.text, REGISTER_FIELDS)
    assert shown == REGISTER_PAGES
