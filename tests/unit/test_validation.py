from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from webhook.errors import FieldError
from webhook.parsing import OutOfRangeNumber, parse_object
from webhook.validation import Transaction, check_amount, dynamodb_number, validate

VALID: dict[str, Any] = {"transactionId": "txn_1", "amount": Decimal("99.99"), "currency": "USD"}


def fails(data: dict[str, Any], field: str) -> FieldError:
    with pytest.raises(FieldError) as info:
        validate(data)
    err = info.value
    assert err.status == 400
    assert err.field == field
    assert field in err.message
    return err


def test_minimal_valid_payload_gets_defaults() -> None:
    assert validate(VALID) == Transaction("txn_1", Decimal("99.99"), "USD", "unknown", "unknown", None)


def test_optional_fields_are_kept() -> None:
    tx = validate({**VALID, "status": "refunded", "provider": "stripe", "timestamp": "2026-01-01T00:00:00Z"})
    assert (tx.status, tx.provider, tx.timestamp) == ("refunded", "stripe", "2026-01-01T00:00:00Z")


def test_unknown_fields_are_allowed() -> None:
    assert validate({**VALID, "meta": {"x": [Decimal("1.5")]}, "n": None}).transaction_id == "txn_1"


@pytest.mark.parametrize("field", ["transactionId", "amount", "currency"])
def test_required_fields(field: str) -> None:
    data = dict(VALID)
    del data[field]
    assert fails(data, field).code == "missing_field"


# --- transactionId ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["a", "A-z_0.9:-", "x" * 128, "pi_3MtwBwLkdIwHu7ix28a3tqPa", "ch:2026.01-x_y"])
def test_transaction_id_valid(value: str) -> None:
    assert validate({**VALID, "transactionId": value}).transaction_id == value


@pytest.mark.parametrize(
    "value", ["", "x" * 129, "a b", "a/b", "a#", "tx\n", "é", "\u0661", 123, None, True, ["a"], {"a": 1}, Decimal(1)]
)
def test_transaction_id_invalid(value: Any) -> None:
    assert fails({**VALID, "transactionId": value}, "transactionId").code == "invalid_field"


# --- amount ----------------------------------------------------------------------

DIGITS_38 = "12345678901234567890123456789012345678"
DIGITS_39 = DIGITS_38 + "9"


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-0",
        "0.00",
        "0E+500",
        "99.99",
        "150.50",
        "0.1",
        "1234567890.123456789",
        DIGITS_38,
        "-" + DIGITS_38,
        "0." + DIGITS_38,
        DIGITS_38 + "E+87",
        "1E+3",
        "1e3",
        "1E-130",
        "-1E-130",
        "9." + "9" * 37 + "E+125",
        "-9." + "9" * 37 + "E+125",
        DIGITS_38 + "000",
        "1" + "0" * 100,
        "1.0000000000000000000000000000000000000000000000",
        "+5",
        ".5",
        "5.",
        "-12.5",
    ],
)
def test_amount_valid_and_exact(value: str) -> None:
    for given in (Decimal(value), value):  # as a JSON number (parsed to Decimal) and as a string
        amount = check_amount(given)
        assert amount == Decimal(value)
        assert amount.as_tuple() == Decimal(value).as_tuple()  # not even the exponent changed


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (DIGITS_39, "38 significant"),
        ("0." + DIGITS_39, "38 significant"),
        ("1." + "0" * 37 + "1", "38 significant"),
        ("1E+126", "range"),
        ("-1E+126", "range"),
        ("9." + "9" * 37 + "E+126", "range"),
        ("1E-131", "range"),
        ("9.9E-131", "range"),
        ("-1E-131", "range"),
        ("1e99999999999999999999", "range"),
    ],
)
def test_amount_out_of_dynamodb_limits(value: str, why: str) -> None:
    givens: list[Any] = [value]
    try:
        givens.append(Decimal(value))
    except ArithmeticError:
        givens.append(OutOfRangeNumber(value))
    for given in givens:
        with pytest.raises(FieldError, match=why) as info:
            check_amount(given)
        assert info.value.field == "amount"


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        [],
        [Decimal(1)],
        {},
        {"value": 1},
        "",
        " ",
        "abc",
        "12abc",
        "1,000",
        "1_000",
        " 12.5",
        "12.5 ",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "sNaN",
        "0x10",
        "١٢",
        "1e",
        "e5",
        ".",
        "-",
        "1.2.3",
        "$5",
    ],
)
def test_amount_wrong_type_or_not_a_number(value: Any) -> None:
    assert "amount" in fails({**VALID, "amount": value}, "amount").message


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("sNaN")])
def test_amount_must_be_finite(value: Decimal) -> None:
    fails({**VALID, "amount": value}, "amount")


def test_amount_bool_from_json_is_rejected() -> None:
    data = parse_object(b'{"transactionId": "t", "amount": true, "currency": "USD"}').data
    fails(data, "amount")


def test_significant_digit_count_does_not_round() -> None:
    # normalize() would round this 39-digit value to 28 digits and let it through
    value = Decimal("1." + "1" * 38)
    assert len(value.normalize().as_tuple().digits) <= 38
    with pytest.raises(FieldError):
        check_amount(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("99.99", "99.99"),
        ("150.50", "150.50"),
        ("1E+3", "1E+3"),
        ("0", "0"),
        ("-0.00", "0"),
        ("0E+500", "0"),
        (DIGITS_38, DIGITS_38),
        (DIGITS_38 + "000", "1.2345678901234567890123456789012345678E+40"),  # 41 digits: zeros into the exponent
        ("1." + "0" * 45, "1"),
        (DIGITS_38 + "." + "0" * 10, DIGITS_38),
    ],
)
def test_dynamodb_number_is_exact(value: str, expected: str) -> None:
    text = dynamodb_number(Decimal(value))
    assert text == expected
    assert Decimal(text) == Decimal(value)


# --- currency --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [("USD", "USD"), ("usd", "USD"), ("eUr", "EUR"), ("jpy", "JPY"), ("XAU", "XAU"), ("chf", "CHF")],
)
def test_currency_valid_case_insensitive(value: str, stored: str) -> None:
    assert validate({**VALID, "currency": value}).currency == stored


@pytest.mark.parametrize(
    "value", ["US", "USDD", "", "XYZ", "ABC", "123", "U$D", "us ", "XXX", "XTS", "HRK", "ÜSD", 840, None, True, ["USD"]]
)
def test_currency_invalid(value: Any) -> None:
    fails({**VALID, "currency": value}, "currency")


# --- status / provider / timestamp -----------------------------------------------------


@pytest.mark.parametrize("field", ["status", "provider"])
def test_optional_text_fields(field: str) -> None:
    assert getattr(validate({**VALID, field: "x"}), field) == "x"
    assert getattr(validate({**VALID, field: ""}), field) == ""
    assert getattr(validate({**VALID, field: "y" * 1024}), field) == "y" * 1024
    for bad in (1, None, True, ["a"], {"a": "b"}, "y" * 1025, "\ud800"):
        fails({**VALID, field: bad}, field)


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T12:00:00Z",
        "2026-01-01T12:00:00+02:00",
        "2026-01-01T12:00:00.123456",
        "2026-01-01T12:00",
        "2026-01-01t12:00:00.123456789z",
        "2026-01-01T12:00:00-23:59",
    ],
)
def test_timestamp_valid_is_stored_as_sent(value: str) -> None:
    assert validate({**VALID, "timestamp": value}).timestamp == value


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-13-01T00:00:00Z",
        "01/02/2026",
        "",
        1767268800,
        None,
        "2" * 65,
        # fromisoformat accepts these; ISO-8601 / RFC 3339 date-times do not (the interop fix)
        "2025-01-01x12:00:00",
        "2025-01-01\x0012:00:00",
        "2025-01-01T12:00:00+01:00:30",
        "2025-01-01",
        "2025-01-01 12:00:00",
        "20250101T120000Z",
        "2025-W01-1T12:00:00",
        "2025-02-30T12:00:00Z",
        "2025-01-01T24:00:00Z",
        "2025-01-01T12:00:60Z",
        "2025-01-01T12:00:00+24:00",
        "2025-01-01T12:00:00.1234567890Z",
        "0001-01-01T00:00:00+01:00",
        " 2025-01-01T12:00:00Z",
    ],
)
def test_timestamp_invalid(value: Any) -> None:
    fails({**VALID, "timestamp": value}, "timestamp")


@pytest.mark.parametrize("field", ["transactionId", "amount", "currency", "status"])
def test_duplicated_contract_field_rejected(field: str) -> None:
    with pytest.raises(FieldError) as info:
        validate(VALID, frozenset({field}))
    assert info.value.field == field


def test_duplicated_other_field_is_fine() -> None:
    assert validate(VALID, frozenset({"meta"})).transaction_id == "txn_1"
