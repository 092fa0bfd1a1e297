"""NHS numbers: the Modulus 11 check catches typing mistakes before they attach a concern to someone else."""

import pytest

from prevent_ig.domain.records.nhs_number import InvalidNhsNumberError, check_digit, normalise_nhs_number
from prevent_ig.services.demo import synthetic_nhs_number


@pytest.mark.parametrize("text", ["943 476 5919", "9434765919", "943-476-5919", "401 023 2137"])
def test_valid_numbers_are_normalised(text: str) -> None:
    assert normalise_nhs_number(text) == text.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("943 476 5918", "Modulus 11"),
        ("943 476 5991", "Modulus 11"),  # two digits swapped
        ("94347659", "10 digits"),
        ("94347659190", "10 digits"),
        ("94347659a9", "10 digits"),
        ("９４３４７６５９１９", "10 digits"),  # full-width digits are not ASCII
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(InvalidNhsNumberError, match=why):
        normalise_nhs_number(text)


def test_a_check_value_of_ten_means_no_valid_number() -> None:
    # 1 2 3 4 5 6 7 8 9 weighted 10..2 sums to 240; 11 - 240 % 11 = 2 -> valid; find one giving 10.
    nine = next(f"{n:09d}" for n in range(10**8, 10**8 + 1000) if check_digit(f"{n:09d}") is None)
    assert check_digit(nine) is None


def test_synthetic_numbers_are_valid_distinct_and_in_the_test_range() -> None:
    numbers = [synthetic_nhs_number(i) for i in range(200)]
    assert len(set(numbers)) == 200
    for n in numbers:
        assert n.startswith("999")
        assert normalise_nhs_number(n) == n
