"""CSV for spreadsheets, with free text that cannot turn into a formula.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some programs also a tab
or carriage return) as a formula, so a partner's name typed as ``=HYPERLINK(...)`` would run on the
auditor's machine. Such text is written with a leading apostrophe, which spreadsheets show as plain
text; everything else is written exactly as stored.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: a header row, then one row per record, every field quoted where CSV needs it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()
