"""Addresses in an internationalised domain are kept in the xn-- form, the form mail can be sent to.

The outgoing-message check refuses a domain spelled in Unicode (it asks for the xn-- form), so a
partner request, a register contact or an imported sender kept in Unicode could never be written
back to without the lead retyping it.
"""

from prevent_ig.adapters.records.tables import ContactRow, PartnerRequestRow
from prevent_ig.services.registers import ContactRole, NewContact, add_contact
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import open_case, partner_request

UNICODE = "Prevent@Türst.Example.NHS.uk"
XN = "Prevent@xn--trst-0ra.example.nhs.uk"


def test_a_partner_request_keeps_its_email_in_the_xn_form(db: Db) -> None:
    case_id = open_case(db)
    request_id = partner_request(db, case_id, TODAY, email=UNICODE)
    with db.uow() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        assert row is not None and row.email == XN


def test_a_register_contact_keeps_its_email_in_the_xn_form(db: Db) -> None:
    with db.uow() as uow:
        contact_id = add_contact(
            uow=uow,
            actor="admin.a",
            contact=NewContact(role=ContactRole.PREVENT_LEAD, name="A Lead", email=UNICODE),
        )
    with db.uow() as uow:
        row = uow.session.get(ContactRow, contact_id)
        assert row is not None and row.email == XN
