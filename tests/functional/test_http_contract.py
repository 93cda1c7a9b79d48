"""Contract section 1 through ``handler.handler`` with moto: codes, bodies, what is written."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from webhook import wiring
from webhook.raw_body import raw_event_text
from webhook.request import MAX_BODY_BYTES


def test_first_delivery_accepted_then_duplicate(aws: Any, invoke: Any, make_event: Any, make_payload: Any) -> None:
    event = make_event(make_payload(transactionId="txn_A"), webhook_id="msg_A")
    first = invoke(event)
    assert (first.status, first.body) == (200, {"status": "accepted", "transactionId": "txn_A", "eventId": "msg_A"})
    assert aws.get("txn_A", "msg_A") is not None
    second = invoke(make_event(make_payload(transactionId="txn_A"), webhook_id="msg_A"))  # new timestamp/signature
    assert (second.status, second.body) == (200, {"status": "duplicate", "transactionId": "txn_A", "eventId": "msg_A"})
    assert len(aws.items()) == 1


@pytest.mark.parametrize(
    "body",
    [
        '  {"transactionId": "txn_ws", "amount": 1.10, "currency": "USD"}\n',
        '{\n\t"transactionId" : "txn_ws",\r\n "amount":"1.10", "currency":"usd", "x": "caf\u00e9 \\u00e9"}',
    ],
)
def test_raw_event_is_the_body_exactly_as_received(aws: Any, invoke: Any, make_event: Any, body: str) -> None:
    assert invoke(make_event(body, webhook_id="msg_ws")).status == 200
    assert raw_event_text(aws.get("txn_ws", "msg_ws")) == body


def test_stored_item_attributes(aws: Any, invoke: Any, make_event: Any) -> None:
    body = '{"transactionId":"txn_B","amount":"42.10","currency":"gbp","extra":{"n":[1.5,2]}}'
    before = time.time()
    assert invoke(make_event(body, webhook_id="msg_B")).status == 200
    item = aws.get("txn_B", "msg_B")
    assert item["transactionId"] == {"S": "txn_B"}
    assert item["eventId"] == {"S": "msg_B"}
    assert set(item["amount"]) == {"N"}
    assert item["currency"] == {"S": "GBP"}
    assert item["status"] == {"S": "unknown"}
    assert item["provider"] == {"S": "unknown"}
    assert raw_event_text(item) == body
    processed = item["processedAt"]["S"]
    assert processed.endswith("Z")
    from datetime import datetime

    moment = datetime.fromisoformat(processed)
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0
    assert before - 1 <= moment.timestamp() <= time.time() + 1
    assert item["timestamp"] == {"S": processed}  # default: the processing time


def test_different_events_of_one_transaction_are_all_kept(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any
) -> None:
    for n, status in enumerate(["pending", "succeeded", "refunded"]):
        result = invoke(make_event(make_payload(transactionId="txn_C", status=status), webhook_id=f"msg_C{n}"))
        assert result.body["status"] == "accepted"
    items = aws.items()
    assert sorted(i["status"]["S"] for i in items) == ["pending", "refunded", "succeeded"]
    assert {i["transactionId"]["S"] for i in items} == {"txn_C"}


def test_same_webhook_id_for_different_transactions_is_kept(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any
) -> None:
    for tx in ("txn_D1", "txn_D2"):
        assert invoke(make_event(make_payload(transactionId=tx), webhook_id="msg_D")).body["status"] == "accepted"
    assert len(aws.items()) == 2


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_non_post_is_405(aws: Any, invoke: Any, make_event: Any, make_payload: Any, method: str) -> None:
    result = invoke(make_event(make_payload(), method=method))
    assert result.status == 405
    assert result.body["error"]["code"] == "method_not_allowed"
    assert aws.items() == []


@pytest.mark.parametrize("b64", [False, True])
def test_body_over_256_kib_is_413(aws: Any, invoke: Any, make_event: Any, make_payload: Any, b64: bool) -> None:
    body = make_payload(pad="x" * MAX_BODY_BYTES)
    result = invoke(make_event(body, base64_encoded=b64))
    assert result.status == 413
    assert aws.items() == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e["headers"].pop("webhook-signature"),
        lambda e: e["headers"].pop("webhook-id"),
        lambda e: e["headers"].pop("webhook-timestamp"),
        lambda e: e["headers"].update({"webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}),
        lambda e: e.update(body=e["body"].replace("99.99", "9999")),
    ],
    ids=["no-signature", "no-id", "no-timestamp", "wrong-signature", "tampered-body"],
)
def test_bad_signature_is_401(aws: Any, invoke: Any, make_event: Any, make_payload: Any, mutate: Any) -> None:
    event = make_event(make_payload())
    mutate(event)
    result = invoke(event)
    assert (result.status, result.body["error"]["code"]) == (401, "invalid_signature")
    assert aws.items() == []


@pytest.mark.parametrize("offset", [-400, 400])
def test_timestamp_outside_default_tolerance_is_401(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, offset: int
) -> None:
    assert invoke(make_event(make_payload(), timestamp=int(time.time()) + offset)).status == 401
    assert aws.items() == []


def test_tolerance_from_environment(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNATURE_TOLERANCE_SECONDS", "60")
    now = int(time.time())
    assert invoke(make_event(make_payload(), timestamp=now - 120, webhook_id="m1")).status == 401
    assert invoke(make_event(make_payload(), timestamp=now - 30, webhook_id="m2")).status == 200


def test_wrong_secret_is_401(aws: Any, invoke: Any, make_event: Any, make_payload: Any) -> None:
    assert invoke(make_event(make_payload(), key=b"some-other-secret-32-bytes-long!")).status == 401


def test_secret_rotation(
    aws: Any,
    invoke: Any,
    make_event: Any,
    make_payload: Any,
    secret: str,
    signing_key: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import base64

    monkeypatch.setattr(wiring, "SECRET_TTL_SECONDS", 0.0)  # re-read SSM on every request
    new_key = b"rotated-signing-key-0123456789ab"
    new_secret = "whsec_" + base64.b64encode(new_key).decode()
    aws.set_secret(f"{secret} {new_secret}")  # overlap: both verify
    assert invoke(make_event(make_payload(), key=signing_key, webhook_id="r1")).status == 200
    assert invoke(make_event(make_payload(), key=new_key, webhook_id="r2")).status == 200
    aws.set_secret(new_secret)  # old secret retired
    assert invoke(make_event(make_payload(), key=signing_key, webhook_id="r3")).status == 401
    assert invoke(make_event(make_payload(), key=new_key, webhook_id="r4")).status == 200


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[1, 2]",
        '"text"',
        "42",
        "null",
        '{"amount": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": 1',
        '{"a": 1}\n{}',
    ],
)
def test_invalid_json_is_400(aws: Any, invoke: Any, make_event: Any, body: str) -> None:
    result = invoke(make_event(body))
    assert (result.status, result.body["error"]["code"]) == (400, "invalid_json")
    assert aws.items() == []


def test_invalid_utf8_is_400(aws: Any, invoke: Any, make_event: Any) -> None:
    result = invoke(make_event(b'{"transactionId": "t\xff", "amount": 1, "currency": "USD"}', base64_encoded=True))
    assert result.status == 400
    assert aws.items() == []


FIELD_VIOLATIONS = [
    ("transactionId", None),
    ("transactionId", ""),
    ("transactionId", "x" * 129),
    ("transactionId", "bad id"),
    ("transactionId", 12),
    ("amount", None),
    ("amount", True),
    ("amount", False),
    ("amount", "abc"),
    ("amount", []),
    ("amount", {"value": 1}),
    ("amount", "1" * 39),
    ("amount", "1E+126"),
    ("amount", "1E-131"),
    ("currency", None),
    ("currency", "usdx"),
    ("currency", "XYZ"),
    ("currency", 978),
    ("status", 3),
    ("provider", ["a"]),
    ("timestamp", "not-a-date"),
    ("timestamp", 1767268800),
]


@pytest.mark.parametrize(("field", "value"), FIELD_VIOLATIONS)
def test_field_violation_is_400_naming_the_field(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, field: str, value: Any
) -> None:
    data = json.loads(make_payload())
    if value is None and field in ("transactionId", "amount", "currency"):
        del data[field]
    else:
        data[field] = value
    result = invoke(make_event(json.dumps(data)))
    assert result.status == 400
    assert result.body["error"]["code"] in ("invalid_field", "missing_field")
    assert field in result.body["error"]["message"]
    assert aws.items() == []


@pytest.mark.parametrize("literal", ["1" * 39, "1E+126", "-1E+126", "1E-131", "1e999999999999999999999"])
def test_amount_dynamodb_would_reject_as_json_number_is_400(
    aws: Any, invoke: Any, make_event: Any, literal: str
) -> None:
    body = f'{{"transactionId": "t1", "amount": {literal}, "currency": "USD"}}'
    result = invoke(make_event(body))
    assert result.status == 400
    assert "amount" in result.body["error"]["message"]
    assert aws.items() == []


def test_null_amount_is_400(aws: Any, invoke: Any, make_event: Any) -> None:
    result = invoke(make_event('{"transactionId": "t1", "amount": null, "currency": "USD"}'))
    assert result.status == 400 and "amount" in result.body["error"]["message"]


def test_one_log_line_per_request_without_secrets(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str, capsys: pytest.CaptureFixture[str]
) -> None:
    body = '{"note": "private-body-marker", "transactionId": "txn_log", "amount": "7.5", "currency": "EUR"}'
    event = make_event(body, webhook_id="msg_log")
    capsys.readouterr()
    invoke(event)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["outcome"] == "accepted"
    assert record["statusCode"] == 200
    assert record["transactionId"] == "txn_log" and record["eventId"] == "msg_log"
    assert record["requestId"] == "req-0000-test"
    assert "latencyMs" in record
    for forbidden in (
        secret,
        secret.removeprefix("whsec_"),
        event["headers"]["webhook-signature"],
        "private-body-marker",
        '"note"',
        "7.5",
        "EUR",
        body,
    ):
        assert forbidden not in lines[0]
