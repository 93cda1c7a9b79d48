"""webhook.exponents: the providers' tables and the exact minor-unit conversion."""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook.currencies import ISO_4217_CODES
from webhook.exponents import (
    ADYEN_THREE_DECIMAL,
    ADYEN_ZERO_DECIMAL,
    STRIPE_THREE_DECIMAL,
    STRIPE_ZERO_DECIMAL,
    adyen_exponent,
    from_minor,
    stripe_exponent,
    to_minor,
)
from webhook.validation import check_amount, dynamodb_number

CURRENCIES = sorted(ISO_4217_CODES)
# Every amount DynamoDB can hold exactly: up to 38 significant digits.
MINOR = st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1)


def test_stripe_table() -> None:
    assert (
        set(
            [
                "BIF",
                "CLP",
                "DJF",
                "GNF",
                "JPY",
                "KMF",
                "KRW",
                "MGA",
                "PYG",
                "RWF",
                "UGX",
                "VND",
                "VUV",
                "XAF",
                "XOF",
                "XPF",
            ]
        )
        == STRIPE_ZERO_DECIMAL
    )
    assert {"BHD", "JOD", "KWD", "OMR", "TND"} == STRIPE_THREE_DECIMAL
    assert [stripe_exponent(c) for c in ("USD", "JPY", "KWD", "ISK", "CLP", "EUR")] == [2, 0, 3, 2, 0, 2]


def test_adyen_table_differs_from_iso_where_adyen_says_so() -> None:
    assert {c: adyen_exponent(c) for c in ("CLP", "CVE", "IDR", "ISK")} == {"CLP": 2, "CVE": 0, "IDR": 0, "ISK": 2}
    assert {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"} == ADYEN_THREE_DECIMAL
    assert "JPY" in ADYEN_ZERO_DECIMAL and adyen_exponent("EUR") == 2


def test_tables_only_name_active_iso_codes() -> None:
    for table in (STRIPE_ZERO_DECIMAL, STRIPE_THREE_DECIMAL, ADYEN_ZERO_DECIMAL, ADYEN_THREE_DECIMAL):
        assert table <= ISO_4217_CODES


@pytest.mark.parametrize(
    ("minor", "exponent", "text"),
    [(1999, 2, "19.99"), (1999, 0, "1999"), (1999, 3, "1.999"), (-5, 2, "-0.05"), (0, 2, "0.00"), (7, 3, "0.007")],
)
def test_from_minor_examples(minor: int, exponent: int, text: str) -> None:
    assert str(from_minor(minor, exponent)) == text


def test_from_minor_is_exact_beyond_the_default_context() -> None:
    minor = 12345678901234567890123456789012345678  # 38 digits, more than the 28-digit default context
    with localcontext() as ctx:
        ctx.prec = 5  # no context is involved at all
        amount = from_minor(minor, 2)
    assert str(amount) == "123456789012345678901234567890123456.78"


@given(minor=MINOR, currency=st.sampled_from(CURRENCIES))
def test_stripe_round_trip(minor: int, currency: str) -> None:
    exponent = stripe_exponent(currency)
    amount = check_amount(from_minor(minor, exponent))
    stored = Decimal(dynamodb_number(amount))  # what DynamoDB keeps and reads back
    assert to_minor(stored, exponent) == minor and Fraction(stored) == Fraction(minor, 10**exponent)


@given(minor=MINOR, currency=st.sampled_from(CURRENCIES))
def test_adyen_round_trip(minor: int, currency: str) -> None:
    exponent = adyen_exponent(currency)
    stored = Decimal(dynamodb_number(check_amount(from_minor(minor, exponent))))
    assert to_minor(stored, exponent) == minor and Fraction(stored) == Fraction(minor, 10**exponent)


def test_why_not_scaleb_it_rounds_to_the_context() -> None:
    minor = 10**28 + 1  # hypothesis found this one: 29 digits
    assert Decimal(minor).scaleb(-2) != from_minor(minor, 2)
    assert Fraction(from_minor(minor, 2)) == Fraction(minor, 100)


def test_to_minor_refuses_finer_amounts() -> None:
    with pytest.raises(ValueError):
        to_minor(Decimal("1.001"), 2)
    assert to_minor(Decimal("1.000"), 2) == 100 and to_minor(Decimal("1E+3"), 0) == 1000
