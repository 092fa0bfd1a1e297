"""The engine's configuration: given explicitly to every call, never read from the environment.

Two things vary between organisations and over time: the DCB1596-accredited secure domains (each
accreditation lasts a year) and one-off changes to the bank holidays. Both are data an administrator
keeps; the engine only reads them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.transmit.secure_email import parse_address


@dataclass(frozen=True, slots=True)
class AccreditedDomain:
    """A domain accredited to the NHS secure email standard (DCB1596) until ``expires`` inclusive."""

    domain: str
    expires: date

    def __post_init__(self) -> None:
        # Normalised here so that however the configuration is built, matching is exact.
        object.__setattr__(self, "domain", normalise_domain(self.domain))

    def valid_on(self, day: date) -> bool:
        return day <= self.expires


@dataclass(frozen=True)
class EngineConfig:
    accredited_domains: tuple[AccreditedDomain, ...] = ()
    holidays_added: frozenset[date] = field(default_factory=frozenset)
    holidays_removed: frozenset[date] = field(default_factory=frozenset)

    @cached_property
    def calendar(self) -> WorkingDayCalendar:
        """Built once per configuration, then reused for every decision."""
        return WorkingDayCalendar(added=self.holidays_added, removed=self.holidays_removed)

    def accredited_on(self, day: date) -> tuple[str, ...]:
        return tuple(d.domain for d in self.accredited_domains if d.valid_on(day))


def normalise_domain(domain: str) -> str:
    """Put a configured domain in the form addresses are matched in (lower case, IDNA, no dot)."""
    return parse_address(f"postmaster@{domain.strip()}").domain


def make_engine_config(
    *,
    accredited_domains: Iterable[tuple[str, date]] = (),
    holidays_added: Iterable[date] = (),
    holidays_removed: Iterable[date] = (),
) -> EngineConfig:
    return EngineConfig(
        accredited_domains=tuple(
            AccreditedDomain(domain=name, expires=expires) for name, expires in accredited_domains
        ),
        holidays_added=frozenset(holidays_added),
        holidays_removed=frozenset(holidays_removed),
    )
