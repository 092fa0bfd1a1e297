"""Dates typed into the web forms: the three boxes of a date input, or an ISO date in a query.

One reading for every form, because each copy read them a little differently: a year of "90" or
"26" was taken as the year 90 or 26, so a date of birth made the subject nineteen centuries old and
a partner request received "26" was two thousand years overdue. The year must have four figures
(1900 to 2099), day and month one or two, all ASCII digits (Python's ``int`` would also take Arabic-
Indic digits and surrounding spaces).
"""

import re
from collections.abc import Mapping
from datetime import date

from prevent_ig.domain.calendar.england_date import year_problem

_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
_YEAR = re.compile(r"[0-9]{4}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def date_from_parts(day: object, month: object, year: object) -> date | None:
    """The date the three boxes give, or ``None`` if they give no real date with a four-figure year."""
    day, month, year = (str(part if part is not None else "").strip() for part in (day, month, year))
    if not (_DAY_OR_MONTH.fullmatch(day) and _DAY_OR_MONTH.fullmatch(month) and _YEAR.fullmatch(year)):
        return None
    try:
        found = date(int(year), int(month), int(day))
    except ValueError:  # 31 June, 29 February in a common year, month 13
        return None
    return found if year_problem(found) is None else None


def date_in_form(values: Mapping[str, object], name: str) -> date | None:
    """The date of the nhsuk date input named ``name`` (fields ``name[day]``, ``name[month]``,
    ``name[year]``), or ``None``."""
    return date_from_parts(
        values.get(f"{name}[day]"), values.get(f"{name}[month]"), values.get(f"{name}[year]")
    )


def iso_date(text: str) -> date | None:
    """A date written YYYY-MM-DD, or ``None``: not the other forms ``date.fromisoformat`` accepts
    (``20261127``, ``2026-W48-5``), which no one types into a report's address on purpose."""
    text = text.strip()
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        found = date.fromisoformat(text)
    except ValueError:
        return None
    return found if year_problem(found) is None else None


def past_date_problem(found: date | None, what: str, today: date) -> str | None:
    """What is wrong with the date of something that has happened (``what``: "it happened", "the
    request arrived"), as every form says it, or ``None``: a step dated ahead would start its deadlines
    from a day not yet come."""
    if found is None:
        return f"Enter the date {what}, for example 22 12 2026"
    if found > today:
        return f"The date {what} must be today or earlier"
    return None
