"""Review dates after closure: 6 and 12 calendar months on (guidance Diagram 1).

Same day of the month, or the month's last day when that day does not exist (closed 31 August,
reviewed 28 or 29 February), so a review never slips into the following month.
"""

import calendar
from datetime import date

MONTHS_IN_YEAR = 12


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // MONTHS_IN_YEAR, index % MONTHS_IN_YEAR + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def review_dates(closed_on: date) -> tuple[date, date]:
    return add_months(closed_on, 6), add_months(closed_on, 12)
