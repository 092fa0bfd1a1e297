"""The lead team's notifications stay on the dashboard until a lead dismisses them, one at a time or
all at once; each dismissal is audited, and the page says when there are more than it shows."""

import re

from sqlalchemy import select

from prevent_ig.adapters.records.tables import AuditEventRow, NotificationRow
from prevent_ig.domain.access import Role
from prevent_ig.services.dashboard import NOTIFICATIONS_SHOWN
from tests.fixtures_db import Db
from tests.records.helpers import open_case
from tests.web.conftest import Browser


def shown(page: str) -> list[str]:
    """The notifications' messages as the dashboard lists them, newest first."""
    section = page[page.index('<h2 id="notifications">') :]
    return re.findall(r'<a href="/cases/\d+">(New concern raised: case \d+\.)</a>', section)


def dismissals(db: Db) -> list[tuple[str, str | None]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.actor, AuditEventRow.entity)
            .where(AuditEventRow.event == "notification:dismiss")
            .order_by(AuditEventRow.seq)
        )
        return [(r.actor, r.entity) for r in rows]


def notification_of(db: Db, case_id: int) -> int:
    with db.uow() as uow:
        found = uow.session.scalar(select(NotificationRow.id).where(NotificationRow.case_id == case_id))
        assert found is not None
        return found


def test_a_lead_dismisses_one_notification_then_all(as_role) -> None:  # type: ignore[no-untyped-def]
    lead: Browser = as_role(Role.PREVENT_LEAD, "lead.inbox")
    other_lead: Browser = as_role(Role.PREVENT_LEAD, "lead.colleague")
    db = lead.db
    first, second, third = open_case(db), open_case(db), open_case(db)
    assert shown(lead.client.get("/dashboard").text) == [
        f"New concern raised: case {third}.",
        f"New concern raised: case {second}.",
        f"New concern raised: case {first}.",
    ]

    one = notification_of(db, second)
    done = lead.post_form(f"/dashboard/notifications/{one}/dismiss", {}, form_page="/dashboard")

    assert done.status_code == 303 and done.headers["location"] == "/dashboard#notifications"
    expected = [f"New concern raised: case {third}.", f"New concern raised: case {first}."]
    assert shown(lead.client.get("/dashboard").text) == expected
    assert shown(other_lead.client.get("/dashboard").text) == expected  # one inbox for the team
    again = other_lead.post_form(f"/dashboard/notifications/{one}/dismiss", {}, form_page="/dashboard")
    assert again.status_code == 303  # already dealt with: nothing to do, and no error
    assert dismissals(db) == [("lead.inbox", f"notification:{one}")]

    page = lead.client.get("/dashboard").text
    assert "Dismiss all 2 notifications" in page
    lead.post_form("/dashboard/notifications/dismiss", {}, form_page="/dashboard")

    page = lead.client.get("/dashboard").text
    assert shown(page) == [] and "No unread notifications." in page
    assert dismissals(db) == [("lead.inbox", f"notification:{one}"), ("lead.inbox", "notifications:all")]
    missing = lead.post_form("/dashboard/notifications/9999/dismiss", {}, form_page="/sign-out")
    assert missing.status_code == 404 and "Notification 9999 does not exist" in missing.text


def test_the_dashboard_says_when_there_are_more_notifications_than_it_shows(as_role) -> None:  # type: ignore[no-untyped-def]
    lead: Browser = as_role(Role.PREVENT_LEAD, "lead.busy.inbox")
    cases = [open_case(lead.db) for _ in range(NOTIFICATIONS_SHOWN + 2)]

    page = lead.client.get("/dashboard").text

    assert len(shown(page)) == NOTIFICATIONS_SHOWN
    assert shown(page)[0] == f"New concern raised: case {cases[-1]}."  # newest first
    assert f"The newest {NOTIFICATIONS_SHOWN} of {NOTIFICATIONS_SHOWN + 2} unread notifications." in page
    assert f"Dismiss all {NOTIFICATIONS_SHOWN + 2} notifications" in page
