"""Crash safety: a writer making many acknowledged writes is killed with SIGKILL at random points;
after each kill every acknowledged write is there and the audit chain still verifies.

"Acknowledged" means the writer printed the id, which it does only after the commit returned."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select

from prevent_ig.adapters.records.tables import CaseRow
from prevent_ig.services import audit as audit_service
from tests.fixtures_db import Db

ROOT = Path(__file__).parents[2]
KILLS = 4


def run_and_kill(url: str, seconds: float) -> list[int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.proof.writer", url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acknowledged: list[int] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            acknowledged.append(int(line))

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    reader.join(timeout=30)
    return acknowledged


def test_acknowledged_writes_survive_sigkill_and_the_chain_verifies(db: Db) -> None:
    rng = random.Random(20261126)
    acknowledged: list[int] = []
    for _ in range(KILLS):
        acknowledged += run_and_kill(db.url, rng.uniform(1.5, 3.0))
        with db.uow() as uow:
            stored = set(uow.session.scalars(select(CaseRow.id)))
            result = audit_service.verify(uow=uow)
        assert set(acknowledged) <= stored, "an acknowledged write was lost"
        assert result.ok, result.problem
    assert len(acknowledged) > 10, "the writer made too few writes to prove anything"
