"""Whether a piece of text can be kept in the records at all, before anything is written.

Text read from a JSON or YAML file can hold what no record can: a lone UTF-16 surrogate (JSON's
``"\\ud800"``, which both ``json`` and PyYAML accept) has no UTF-8 form, so the audit digest of the
change cannot be computed and PostgreSQL cannot store it; and PostgreSQL refuses NUL in text. Found
only when the record is written, either one is a traceback; checked here, it is an error naming the
field. Over HTTP most of this is refused before a route runs (the web app's body guard refuses NUL,
the API's JSON parser refuses lone surrogates); this check is for the command line, whose files
reach the services as Python text, and for any caller that does not pass through those doors.
"""


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be kept as text, or None if it can. Never quotes the text: it may be
    personal data, and the message may end up in a log."""
    if "\x00" in value:
        return "contains a NUL character, which no field accepts"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        # UTF-8 can encode every code point except the surrogates (U+D800 to U+DFFF).
        return (
            f"is not valid Unicode text: character {error.start + 1} is a lone surrogate "
            f"(U+{ord(value[error.start]):04X}), which has no UTF-8 form"
        )
    return None
