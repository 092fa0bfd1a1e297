"""A writer process for the crash tests: raises concerns one by one and prints each id only after
its transaction committed. The parent kills it with SIGKILL at a random moment."""

import sys
from datetime import UTC, date, datetime

from prevent_ig.adapters.records.database import make_engine, make_session_factory
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.law.vocabulary import SubjectRole
from prevent_ig.services.cases import NewSubject, raise_concern

KEY = b"crash-test-audit-key-0123456789abcdef-0123"


def main(url: str) -> None:
    factory = make_session_factory(make_engine(url))
    n = 0
    while True:
        n += 1
        with UnitOfWork(factory, audit_key=KEY, now=lambda: datetime.now(UTC)) as uow:
            case_id = raise_concern(
                uow=uow,
                actor="writer",
                owner="lead",
                on=date(2026, 11, 26),
                concern=f"Synthetic concern {n}",
                subject=NewSubject(
                    role=SubjectRole.PATIENT,
                    given_name="Crash",
                    family_name=f"Test{n}",
                    date_of_birth=date(1990, 1, 1),
                    address="Synthetic",
                ),
            )
        sys.stdout.write(f"{case_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
