"""Small value types the steps of the engine hand to each other."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from prevent_ig.domain.law.decision import Missing, Reason
from prevent_ig.domain.law.vocabulary import Decisive, MissingCode, Outcome, ReasonCode

# Reasons and missing entries are immutable and few in kind, so each distinct one is built once and
# shared: a partner scripting thousands of assessments then pays for validation once, not per line.


def reason(code: ReasonCode, text: str, provisions: Sequence[str], section: str) -> Reason:
    return _reason(code, text, tuple(provisions), section)


@lru_cache(maxsize=1024)
def _reason(code: ReasonCode, text: str, provisions: tuple[str, ...], section: str) -> Reason:
    return Reason(code=code, text=text, provisions=list(provisions), guidance_section=section)


@lru_cache(maxsize=1024)
def missing(code: MissingCode, text: str) -> Missing:
    return Missing(code=code, text=text)


@dataclass(frozen=True, slots=True)
class Stop:
    """A finding that ends the decision (a step "sets the outcome")."""

    outcome: Outcome
    decisive: Decisive
    reason: Reason
    missing: list[Missing] = field(default_factory=list)


class Route(Enum):
    """How the common law duty of confidentiality is met or set aside (rules step 4)."""

    LAW = "law"
    CONSENT = "consent"
    WITHOUT_CONSENT = "without_consent"


@dataclass(frozen=True, slots=True)
class RouteFinding:
    route: Route
    article6: str
    confidentiality: str
    reason: Reason


@dataclass(frozen=True, slots=True)
class SensitiveConditions:
    """Conditions for special category (Art 9) and criminal offence (Art 10) data on a route.

    ``available`` is false when no condition is met and every sensitive item must be withheld.
    """

    available: bool
    article9: str | None = None
    article10_condition: str | None = None
    dpa_condition: str | None = None
