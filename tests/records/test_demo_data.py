"""The demo shows every part of the service working, including a question waiting for IG advice."""

from prevent_ig.services.advice import awaiting_advice
from prevent_ig.services.demo import PATHS, load_demo_data
from tests.fixtures_db import TODAY, Db


def test_the_demo_has_a_decision_waiting_for_the_caldicott_guardian(db: Db) -> None:
    loaded = load_demo_data(uow_factory=db.uow, config=db.config, today=TODAY)

    not_yet_referred = [
        case_id for case_id, (_, moves, _) in zip(loaded.case_ids, PATHS, strict=True) if not moves
    ]
    assert not_yet_referred  # the demo keeps a case at the start of the pathway
    with db.uow() as uow:
        waiting = awaiting_advice(uow)
        assert [(row.case_id, row.input["ig_advice"]["adviser_role"]) for row in waiting] == [
            (case_id, "caldicott_guardian") for case_id in not_yet_referred
        ]
