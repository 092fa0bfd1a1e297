"""NHS number validation (the Modulus 11 check digit).

A mistyped NHS number attaches a Prevent concern to the wrong person, so numbers are checked when
given. Numbers starting 999 are the range reserved for testing and are what the demo data uses.
"""

NHS_NUMBER_LENGTH = 10
WEIGHTS = range(10, 1, -1)
INVALID_CHECK = 10


class InvalidNhsNumberError(ValueError):
    """The text is not a valid NHS number; the message says why."""


def normalise_nhs_number(text: str) -> str:
    """Return the ten digits (spaces and hyphens removed) or raise ``InvalidNhsNumberError``."""
    digits = text.replace(" ", "").replace("-", "")
    if len(digits) != NHS_NUMBER_LENGTH or not digits.isascii() or not digits.isdigit():
        raise InvalidNhsNumberError("must be 10 digits (spaces allowed, as in 943 476 5919)")
    if check_digit(digits[:9]) != int(digits[9]):
        raise InvalidNhsNumberError("fails the Modulus 11 check: please check it was typed correctly")
    return digits


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when no valid digit exists."""
    total = sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == INVALID_CHECK else check
