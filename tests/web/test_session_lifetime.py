"""A session ends after a spell without activity, and in any case a fixed time after signing in, so a
browser left signed in on a shared ward computer does not stay signed in for days."""

from datetime import timedelta

from prevent_ig.domain.access import Role
from tests.fixtures_db import Db
from tests.web.conftest import add_user, make_client, sign_in


def signed_in(db: Db, username: str):  # type: ignore[no-untyped-def]
    client = make_client(db)
    sign_in(client, username, add_user(db, username, Role.PREVENT_LEAD), db)
    return client


def sent_to_sign_in(client) -> bool:  # type: ignore[no-untyped-def]
    response = client.get("/dashboard", follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_a_session_left_alone_for_the_idle_timeout_ends(db: Db) -> None:
    client = signed_in(db, "lead.idle")  # the tests' app: WebSettings' defaults, 30 minutes idle
    db.clock.moment += timedelta(minutes=29)
    assert not sent_to_sign_in(client)  # activity moves the idle clock on
    db.clock.moment += timedelta(minutes=29)
    assert not sent_to_sign_in(client)
    db.clock.moment += timedelta(minutes=31)
    assert sent_to_sign_in(client)


def test_a_busy_session_still_ends_twelve_hours_after_signing_in(db: Db) -> None:
    client = signed_in(db, "lead.busy")
    for minutes in [20] * 35 + [19]:  # a page every 20 minutes, the last 11 h 59 min after signing in
        db.clock.moment += timedelta(minutes=minutes)
        assert not sent_to_sign_in(client)
    db.clock.moment += timedelta(minutes=2)  # 12 h 1 min, and only 2 minutes since the last page
    assert sent_to_sign_in(client)
    assert sent_to_sign_in(client)  # and the session is gone, not only refused once
