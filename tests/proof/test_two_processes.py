"""Two app processes against one PostgreSQL making conflicting changes at the same moment:
no lost update (one move wins, the other gets 409), no duplicate disclosure (one wins, the other 409),
and the audit chain stays one unbroken line."""

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import CaseEventRow, CaseRow, DisclosureRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.bootstrap import utc_now
from prevent_ig.domain.access import Role
from prevent_ig.services import audit as audit_service
from prevent_ig.services.api_tokens import create_token
from tests.builders import input_data
from tests.fixtures_db import AUDIT_KEY, Db
from tests.ports import free_port
from tests.records.helpers import assess_case, open_case

ROOT = Path(__file__).parents[2]
RACES = 8


@pytest.fixture
def two_apps(db: Db, tmp_path: Path):  # type: ignore[no-untyped-def]
    if db.backend != "postgresql":
        pytest.skip("many app processes share one database only on PostgreSQL")
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "prevent_ig", "serve"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={
                **os.environ,
                "PREVENT_IG_DATABASE_URL": db.url,
                "PREVENT_IG_WEB_PORT": str(port),
                "PREVENT_IG_DATA_DIR": str(tmp_path),
                "PREVENT_IG_AUDIT_KEY": AUDIT_KEY.decode(),
            },
        )
        for port in ports
    ]
    deadline = time.monotonic() + 60
    for port in ports:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    yield [f"http://127.0.0.1:{port}/api/v1" for port in ports]
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def test_conflicting_moves_and_disclosures_from_two_processes(db: Db, two_apps: list[str]) -> None:
    # On the real clock, as the two served apps check it (the test clock is fixed on 26 November 2026,
    # so a token made on it would expire on the real calendar however many days it were given).
    with UnitOfWork(db.factory, audit_key=AUDIT_KEY, now=utc_now, writer_gate=db.gate) as uow:
        _, token = create_token(uow=uow, actor="test", service="race", role=Role.PREVENT_LEAD, days=1)
    headers = {"Authorization": f"Bearer {token}"}
    cases = []
    for _ in range(RACES):
        case_id = open_case(db)
        cases.append((case_id, assess_case(db, case_id)))
    outcomes = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for case_id, decision_id in cases:
            moves = [
                pool.submit(
                    httpx.post,
                    f"{base}/cases/{case_id}/transitions",
                    json={"move": "refer", "version": 1},
                    headers=headers,
                    timeout=30,
                )
                for base in two_apps
            ]
            sends = [
                pool.submit(
                    httpx.post,
                    f"{base}/decisions/{decision_id}/disclosures",
                    json={"items": [{"id": "demographics", "content": "snapshot"}], "method": "secure_email"},
                    headers=headers,
                    timeout=30,
                )
                for base in two_apps
            ]
            outcomes.append(
                (
                    case_id,
                    sorted(f.result().status_code for f in moves),
                    sorted(f.result().status_code for f in sends),
                )
            )
    for case_id, moved, sent in outcomes:
        assert moved == [200, 409], (case_id, moved)
        assert sent == [201, 409], (case_id, sent)
    with db.uow() as uow:
        for case_id, _ in cases:
            assert uow.session.get(CaseRow, case_id).version == 2  # type: ignore[union-attr]
            changes = uow.session.scalar(
                select(func.count())
                .select_from(CaseEventRow)
                .where(CaseEventRow.case_id == case_id, CaseEventRow.kind == "stage_change")
            )
            assert changes == 1
        assert uow.session.scalar(select(func.count()).select_from(DisclosureRow)) == RACES
        assert audit_service.verify(uow=uow).ok
    assert input_data()  # the decisions above were made from the standard synthetic input
