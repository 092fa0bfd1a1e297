"""The served app keeps its long-lived objects out of the garbage collector's full passes.

Why it matters and what it bought: src/prevent_ig/entrypoints/web/memory.py and bench/gc_pauses.py.
"""

import gc
import json
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from prevent_ig.entrypoints.web.memory import freeze_long_lived_objects

FROZEN_AFTER_BUILDING = """
import gc, json, sys
from prevent_ig.entrypoints.web import app
built = app.app_from_environment() if sys.argv[1] == "served" else app.create_app(
    records=app.build_records(), web=app.WebSettings()
)
print(json.dumps({"frozen": gc.get_freeze_count(), "callbacks": len(gc.callbacks)}))
"""


def _built(how: str, tmp_path: Path) -> dict[str, int]:
    environment = {
        **os.environ,
        "PREVENT_IG_DATABASE_URL": f"sqlite:///{tmp_path / 'memory.sqlite3'}",
        "PREVENT_IG_DATA_DIR": str(tmp_path),
        "PREVENT_IG_AUDIT_KEY": "memory-test-key-memory-test-key-memory-test",
    }
    out = subprocess.run(
        [sys.executable, "-c", FROZEN_AFTER_BUILDING, how],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found: dict[str, int] = json.loads(out)
    return found


def test_the_app_as_served_freezes_what_start_up_left_alive_and_the_app_as_tests_build_it_does_not(
    tmp_path: Path,
) -> None:
    served, plain = _built("served", tmp_path), _built("plain", tmp_path)
    assert plain["frozen"] == 0
    assert served["frozen"] > 50_000  # the app, its models, tables and templates: about 140,000 objects
    assert served["callbacks"] == plain["callbacks"] + 1  # waiting to freeze the warm-up's survivors


@pytest.fixture
def restored_collector() -> Iterator[list[object]]:
    """This test process's collector as it was: nothing left frozen, no callback left behind."""
    callbacks = list(gc.callbacks)
    try:
        yield callbacks
    finally:
        gc.callbacks[:] = callbacks
        gc.unfreeze()


class _Node:
    def __init__(self) -> None:
        self.partner: _Node | None = None


def _garbage_cycle() -> "weakref.ref[_Node]":
    """Two objects that point at each other and at nothing else: only a collection can free them."""
    first, second = _Node(), _Node()
    first.partner, second.partner = second, first
    return weakref.ref(first)


def test_survivors_of_the_first_full_collections_are_frozen_and_garbage_never_is(
    restored_collector: list[object],
) -> None:
    freeze_long_lived_objects(refreezes=2)
    assert len(gc.callbacks) == len(restored_collector) + 1

    kept = [[] for _ in range(1_000)]  # built after start-up and kept, as a warm-up's caches are
    dropped = _garbage_cycle()
    before = gc.get_freeze_count()
    gc.collect()
    assert dropped() is None  # the full collection freed the cycle before freezing what was left
    assert gc.get_freeze_count() >= before + len(kept)

    gc.collect()  # the second and last refreeze

    later = [[] for _ in range(1_000)]
    settled = gc.get_freeze_count()
    gc.collect()
    assert gc.get_freeze_count() == settled  # from now on, full collections freeze nothing
    del kept, later  # alive until here, so that the collections above found them reachable


def test_a_refreeze_waits_for_a_full_collection(restored_collector: list[object]) -> None:
    freeze_long_lived_objects(refreezes=1)
    kept = [[] for _ in range(1_000)]
    before = gc.get_freeze_count()
    gc.collect(generation=0)
    gc.collect(generation=1)
    assert gc.get_freeze_count() == before  # young collections leave the young alone
    gc.collect()
    assert gc.get_freeze_count() >= before + len(kept)


def test_a_finished_refreeze_leaves_the_other_callbacks_every_call(restored_collector: list[object]) -> None:
    """The collector calls its callbacks by index: one that removed itself mid-call would make the
    next one miss that call, and a tool pairing each "start" with a "stop" would lose count."""
    freeze_long_lived_objects(refreezes=1)
    phases: list[str] = []
    gc.callbacks.append(lambda phase, _info: phases.append(phase))
    for _ in range(3):
        gc.collect()
    assert phases == ["start", "stop"] * 3
