"""Reading a record id typed by a person: into a form, or into the address of a page or API call.

One reading for every door, so none of them can pass on what the database cannot take: ASCII digits
only (``"²"`` is a digit to ``str.isdigit`` but not to ``int``), and no larger than an id can be
(PostgreSQL's integer, ``MAX_ID``).
"""

from prevent_ig.adapters.records.tables import MAX_ID

DIGITS_ONLY = "Enter a case number using digits only, like 12"
IN_RANGE = f"Enter a case number from 1 to {MAX_ID}"


def is_record_id(value: object) -> bool:
    # The length first: int() refuses a string of thousands of digits with a ValueError.
    return (
        isinstance(value, str)
        and 0 < len(value) <= len(str(MAX_ID))
        and value.isascii()
        and value.isdigit()
        and 1 <= int(value) <= MAX_ID
    )


def case_number(text: str, *, missing: str) -> int | str:
    """The case number typed in a form, or what to tell the person: ``missing`` when nothing was."""
    if not text:
        return missing
    if not (text.isascii() and text.isdigit()):
        return DIGITS_ONLY
    if not is_record_id(text):
        return IN_RANGE
    return int(text)
