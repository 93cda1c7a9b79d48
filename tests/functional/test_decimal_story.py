"""The seed's failure, as tests: amounts are stored exactly; floats never crash; out-of-range is a 400.

moto returns the N text it was given; real DynamoDB drops trailing zeros
(150.50 reads back as 150.5), so stored numbers are compared by value and
significant digits, and ``rawEvent`` keeps the literal as sent.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3
import pytest

from webhook.raw_body import raw_event_text

STORY = [
    "99.99",
    "150.50",
    "0.1",
    "1234567890.123456789",
    "12345678901234567890123456789012345678",  # 38 significant digits
    "-98765432109876543210987654321098765.43",
    "1E+3",
    "2.5e-7",
    "0",
    "-0.00",
    "1E-130",
    "9.9999999999999999999999999999999999999E+125",
    "0.30000000000000004",
]


def significant(text: str) -> str:
    digits = Decimal(text).as_tuple().digits
    return "".join(map(str, digits)).lstrip("0").rstrip("0")


def store(invoke: Any, make_event: Any, amount_json: str, tx: str) -> Any:
    body = f'{{"transactionId": "{tx}", "amount": {amount_json}, "currency": "USD"}}'
    return invoke(make_event(body, webhook_id=f"msg_{tx}")), body


@pytest.mark.parametrize("literal", STORY)
@pytest.mark.parametrize("form", ["number", "string"])
def test_amount_is_stored_exactly(aws: Any, invoke: Any, make_event: Any, literal: str, form: str) -> None:
    result, body = store(invoke, make_event, literal if form == "number" else json.dumps(literal), "txn_story")
    assert result.status == 200, result.body
    item = aws.get("txn_story", "msg_txn_story")
    stored = item["amount"]["N"]
    assert Decimal(stored) == Decimal(literal)
    assert significant(stored) == significant(literal)  # not one digit lost or invented
    assert raw_event_text(item) == body


def test_trailing_zero_kept_in_raw_event(aws: Any, invoke: Any, make_event: Any) -> None:
    result, _ = store(invoke, make_event, "150.50", "txn_15050")
    assert result.status == 200
    item = aws.get("txn_15050", "msg_txn_15050")
    assert Decimal(item["amount"]["N"]) == Decimal("150.5")  # DynamoDB may return 150.5
    assert '"amount": 150.50' in raw_event_text(item)


def seed_convert(obj: Any) -> Any:
    """The seed's fix: ``Decimal(str(float))`` after ``json.loads`` made floats."""
    if isinstance(obj, float):
        return Decimal(str(obj))
    if isinstance(obj, dict):
        return {k: seed_convert(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [seed_convert(v) for v in obj]
    return obj


@pytest.mark.parametrize(
    "literal",
    [
        "1234567890.123456789",
        "12345678901234567890123456789012345678.5",
        "0.123456789012345678901234567890",
        "9007199254740993.5",
    ],
)
def test_seed_approach_loses_digits_that_we_keep(aws: Any, invoke: Any, make_event: Any, literal: str) -> None:
    body = f'{{"transactionId": "txn_seed", "amount": {literal}, "currency": "USD"}}'
    seed_amount = seed_convert(json.loads(body))["amount"]
    assert seed_amount != Decimal(literal)  # the seed rounded through a binary float
    if len(significant(literal)) > 38:
        assert invoke(make_event(body)).status == 400  # we refuse rather than round
        return
    assert invoke(make_event(body, webhook_id="msg_seed")).status == 200
    assert Decimal(aws.get("txn_seed", "msg_seed")["amount"]["N"]) == Decimal(literal)


def test_seed_original_failure_float_is_refused_by_boto3(aws: Any) -> None:
    table = boto3.resource("dynamodb").Table(aws.table)
    with pytest.raises(TypeError, match="Float types are not supported"):
        table.put_item(Item={"transactionId": "t", "eventId": "e", "amount": json.loads("99.99")})


NESTED_FLOATS = (
    '{"transactionId": "txn_nested", "amount": 10, "currency": "EUR", '
    '"a": 0.1, "b": [1.5, [2.25, {"c": 3.125e-300}]], "d": {"e": {"f": 1e400, "g": -1e400}}, '
    '"h": 5e-324, "i": 1.7976931348623157e308, "j": -0.0, "k": 123456789012345678901234567890.123456789, '
    '"l": 1e999999999999999999999, "m": [' + ", ".join(f"{i}.{i}" for i in range(200)) + "]}"
)


def test_floats_nested_anywhere_never_crash(aws: Any, invoke: Any, make_event: Any) -> None:
    result = invoke(make_event(NESTED_FLOATS, webhook_id="msg_nested"))
    assert result.status == 200, result.body
    assert raw_event_text(aws.get("txn_nested", "msg_nested")) == NESTED_FLOATS


def test_deeply_nested_payload_is_kept(aws: Any, invoke: Any, make_event: Any) -> None:
    depth = 20_000
    body = (
        '{"transactionId": "txn_deep", "amount": 1.5, "currency": "USD", "x": '
        + "[" * depth
        + "0.1"
        + "]" * depth
        + "}"
    )
    result = invoke(make_event(body, webhook_id="msg_deep"))
    assert result.status == 200, result.body
    assert raw_event_text(aws.get("txn_deep", "msg_deep")) == body


@pytest.mark.parametrize(
    "amount",
    [
        "123456789012345678901234567890123456789",
        "1.00000000000000000000000000000000000001",
        "1E+126",
        "1E-131",
        "-1E+126",
        "9.99E-131",
    ],
)
@pytest.mark.parametrize("form", ["number", "string"])
def test_values_dynamodb_would_reject_are_400_and_not_written(
    aws: Any, invoke: Any, make_event: Any, amount: str, form: str
) -> None:
    result, _ = store(invoke, make_event, amount if form == "number" else json.dumps(amount), "txn_bad")
    assert result.status == 400
    assert "amount" in result.body["error"]["message"]
    assert aws.items() == []
