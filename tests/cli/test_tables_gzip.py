"""The CLIs' item text: a body stored as gzip (rawEventGzip) reads back as the exact rawEvent text."""

from __future__ import annotations

from webhook.raw_body import body_attribute
from webhook_cli.tables import plain, plain_item


def test_gzip_body_is_shown_as_its_text() -> None:
    body = '{"amount": 19.990, "name": "Zoë"}' * 40
    name, value = body_attribute(body)
    assert name == "rawEventGzip"
    shown = plain_item({"transactionId": {"S": "t"}, "amount": {"N": "19.990"}, name: value})
    assert shown == {"transactionId": "t", "amount": "19.990", "rawEvent": body}


def test_binary_attribute_is_base64_text() -> None:
    assert plain({"B": b"\x00\xff"}) == "AP8="
