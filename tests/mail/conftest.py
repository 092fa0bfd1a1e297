"""Fixtures for mail tests: a certificate made for the session, and a real SMTP server.

(The ``db`` fixture, SQLite and PostgreSQL, comes from the suite-wide plugin tests/fixtures_db.py.)"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mail.smtp_server import SmtpServer, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A running SMTP server (STARTTLS and login required); stopped, and its port freed, after the test."""
    server = SmtpServer(*certificate)
    server.start()
    yield server
    if server.handler.hold is not None:
        server.handler.hold.set()
    server.stop()
