"""Keeping the garbage collector's full passes short in a served process.

Once started, a worker holds about 140,000 objects that live as long as it does (routes, pydantic
models, the SQLAlchemy metadata, templates, the provisions catalogue), and its first requests add some
thousands more (compiled statements, serialisers). CPython's full collection walks every one of them:
under load one came round every few seconds and stopped the worker for about 45 ms, with every request
in flight waiting, which showed in the tail latency of bench/load.py. Nothing is gained by walking
objects that never die, so ``gc.freeze`` moves them to a permanent generation that collections skip.

Freezing happens at start-up, and again at the end of each of the first few full collections after it:
a full collection has just freed everything unreachable, so what it leaves is what the warm-up built to
keep. After that, full collections walk only what requests leave behind: their pauses fell from about
45 ms to 0.1-0.2 ms (bench/gc_pauses.py). Only the served app does this (``app_from_environment``), not
the tests, which build many short-lived apps in one process.
"""

import gc
from collections.abc import Callable
from typing import Any, TypeVar

Built = TypeVar("Built")

OLDEST_GENERATION = 2
REFREEZES = 3
"""Full collections after start-up whose survivors are frozen too. The few objects of requests in
flight at those moments are frozen with them; those that later become garbage in a reference cycle
are never freed, a few kilobytes at most for the worker's life. After the last, nothing more is
frozen. (On a CPython whose collector is incremental, as planned for 3.14, automatic passes may never
report the oldest generation: the refreezes then never happen, and only the start-up freeze helps.)"""


def freeze_long_lived_objects(*, refreezes: int = REFREEZES) -> None:
    """Collect what start-up left as garbage, exempt everything still alive from later collections,
    and do the same at the end of the next ``refreezes`` full collections."""
    gc.collect()
    gc.freeze()
    left = [refreezes]

    def after_full_collection(phase: str, info: dict[str, Any]) -> None:
        # Once done it stays registered, inert: CPython walks ``gc.callbacks`` by index while calling
        # them, so removing itself here would make the callback after it miss this call.
        if left[0] <= 0 or phase != "stop" or info["generation"] != OLDEST_GENERATION:
            return
        gc.freeze()
        left[0] -= 1

    if refreezes > 0:
        gc.callbacks.append(after_full_collection)


def built_then_frozen(build: Callable[[], Built]) -> Built:
    """What ``build`` makes, with everything it left alive frozen: how a served app starts, so that the
    app, the bare baseline and the floor of bench/load.py all start alike."""
    built = build()
    freeze_long_lived_objects()
    return built
