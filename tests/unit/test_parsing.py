from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webhook.errors import WebhookError
from webhook.parsing import IntegerLiteral, OutOfRangeNumber, decode, decode_iteratively, parse_object


def floats_anywhere(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(floats_anywhere(v) for v in value.values())
    if isinstance(value, list):
        return any(floats_anywhere(v) for v in value)
    return False


def test_numbers_become_exact_decimals() -> None:
    text = (
        '{"a": 0.1, "b": 150.50, "c": 1234567890.123456789, "d": 1E+3, "e": -0.0, '
        '"f": 12345678901234567890123456789012345678}'
    )
    data = parse_object(text.encode()).data
    assert data == {
        "a": Decimal("0.1"),
        "b": Decimal("150.50"),
        "c": Decimal("1234567890.123456789"),
        "d": Decimal("1E+3"),
        "e": Decimal("-0.0"),
        "f": Decimal("12345678901234567890123456789012345678"),
    }
    assert str(data["b"]) == "150.50"  # scale kept: the text went straight into Decimal
    assert str(data["c"]) == "1234567890.123456789"
    assert all(isinstance(v, Decimal) for v in data.values())


def test_integer_literals_are_told_apart_from_other_numbers() -> None:
    text = '{"i": 1999, "n": -5, "z": -0, "f": 1999.0, "e": 1.999e3, "E": 1999E0, "s": "1999", "deep": [[{"i": 7}]]}'
    data = parse_object(text.encode()).data
    assert {k for k, v in data.items() if isinstance(v, IntegerLiteral)} == {"i", "n", "z"}
    assert isinstance(data["deep"][0][0]["i"], IntegerLiteral)
    assert data["i"] == Decimal(1999) and str(data["n"]) == "-5"


def test_iterative_decoder_tells_integer_literals_apart_too() -> None:
    value = decode_iteratively("[1999, 1999.0, 2e3, -12]")
    assert [isinstance(v, IntegerLiteral) for v in value] == [True, False, False, True]


def test_no_float_anywhere_in_nested_payload() -> None:
    text = '{"x": [1.5, {"y": [2.25, {"z": 3e-7}]}], "w": {"v": 0.30000000000000004}}'
    data = parse_object(text.encode()).data
    assert not floats_anywhere(data)
    assert data["w"]["v"] == Decimal("0.30000000000000004")


def test_huge_integer_beyond_int_digit_limit() -> None:
    digits = "9" * 5000  # int() would refuse more than 4300 digits
    data = parse_object(f'{{"n": {digits}}}'.encode()).data
    assert data["n"] == Decimal(digits)


def test_exponent_beyond_decimal_is_kept_as_text() -> None:
    data = parse_object(b'{"n": 1e99999999999999999999}').data
    assert data["n"] == OutOfRangeNumber("1e99999999999999999999")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_invalid_json(constant: str) -> None:
    for text in (f'{{"amount": {constant}}}', f'{{"meta": {{"x": [{constant}]}}}}'):
        with pytest.raises(WebhookError) as info:
            parse_object(text.encode())
        assert (info.value.status, info.value.code) == (400, "invalid_json")


@pytest.mark.parametrize(
    "raw",
    [b"", b"   ", b"[]", b"[1]", b'"s"', b"1", b"null", b"true", b"{", b'{"a":1}x', b"{'a': 1}", b'{"a": 01}'],
)
def test_top_level_must_be_a_json_object(raw: bytes) -> None:
    with pytest.raises(WebhookError) as info:
        parse_object(raw)
    assert info.value.status == 400


def test_invalid_utf8_rejected() -> None:
    with pytest.raises(WebhookError, match="UTF-8"):
        parse_object(b'{"a": "\xff"}')
    with pytest.raises(WebhookError):
        parse_object(b'{"a": "\xed\xa0\x80"}')  # encoded surrogate


def test_bom_rejected() -> None:
    with pytest.raises(WebhookError):
        parse_object(b'\xef\xbb\xbf{"a": 1}')


def test_text_is_returned_exactly() -> None:
    raw = '{ "amount" : 150.50 ,\n "note": "caf\u00e9 \\u00e9" }'.encode()
    assert parse_object(raw).text == raw.decode("utf-8")


def test_top_level_duplicate_keys_are_reported() -> None:
    parsed = parse_object(b'{"amount": 1, "amount": 2, "meta": {"x": 1, "x": 2}}')
    assert parsed.duplicate_keys == frozenset({"amount"})
    assert parsed.data["amount"] == 2
    assert parse_object(b'{"a": 1}').duplicate_keys == frozenset()


def test_deep_nesting_beyond_recursion_limit() -> None:
    depth = 50_000
    text = (
        '{"transactionId": "t", "deep": '
        + "[" * depth
        + "1.5"
        + "]" * depth
        + ', "obj": '
        + '{"k":' * depth
        + "0"
        + "}" * depth
        + "}"
    )
    data = parse_object(text.encode()).data
    node: Any = data["deep"]
    for _ in range(depth):
        node = node[0]
    assert node == Decimal("1.5")
    assert data["transactionId"] == "t"


def test_deep_invalid_nesting_still_rejected() -> None:
    with pytest.raises(WebhookError):
        parse_object(b'{"a": ' + b"[" * 50_000 + b"NaN" + b"]" * 50_000 + b"}")
    with pytest.raises(WebhookError):
        parse_object(b'{"a": ' + b"[" * 50_000 + b"]" * 49_999 + b"}")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.text()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: d),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=25,
)


def to_json(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "E") if value.is_finite() else "0"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)} :{to_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


@settings(max_examples=300)
@given(json_values)
def test_iterative_decoder_agrees_with_c_decoder(value: Any) -> None:
    text = to_json(value)
    assert decode_iteratively(text) == decode(text)


@settings(max_examples=300)
@given(st.text(alphabet='{}[]",:0123456789.eE+- \nabcfalsetruenul\\', max_size=30))
def test_iterative_decoder_rejects_what_c_decoder_rejects(text: str) -> None:
    try:
        expected: Any = decode(text)
    except ValueError:
        with pytest.raises(ValueError):
            decode_iteratively(text)
    else:
        assert decode_iteratively(text) == expected
