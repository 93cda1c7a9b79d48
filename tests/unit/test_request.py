from __future__ import annotations

import base64

import pytest

from webhook.errors import WebhookError
from webhook.request import MAX_BODY_BYTES, body_of, headers_of, method_of, path_of


def test_limit_is_256_kib() -> None:
    assert MAX_BODY_BYTES == 262_144


def test_method_from_request_context() -> None:
    assert method_of({"requestContext": {"http": {"method": "POST"}}}) == "POST"
    assert method_of({"requestContext": {"http": {"method": "GET"}}}) == "GET"
    assert method_of({}) == ""
    assert method_of(None) == ""
    assert method_of({"requestContext": "x"}) == ""


def test_headers_are_lower_cased() -> None:
    hdrs = headers_of({"headers": {"Webhook-ID": "a", "WEBHOOK-TIMESTAMP": "1", "content-type": "x"}})
    assert hdrs == {"webhook-id": "a", "webhook-timestamp": "1", "content-type": "x"}


def test_headers_same_name_in_two_cases_are_joined() -> None:
    assert headers_of({"headers": {"X-A": "1", "x-a": "2"}}) == {"x-a": "1,2"}


def test_headers_missing_or_odd() -> None:
    assert headers_of({}) == {}
    assert headers_of({"headers": None}) == {}
    assert headers_of({"headers": {"a": 1, "b": "2"}}) == {"b": "2"}


def test_plain_body_is_utf8_bytes() -> None:
    assert body_of({"body": "é", "isBase64Encoded": False}) == "é".encode()
    assert body_of({}) == b""
    assert body_of({"body": None}) == b""


def test_base64_body_is_decoded() -> None:
    raw = bytes(range(256))
    assert body_of({"body": base64.b64encode(raw).decode(), "isBase64Encoded": True}) == raw


def test_invalid_base64_is_undecodable() -> None:
    # None, not a 400: the pipeline answers 401 at the signature step (the interop fix).
    assert body_of({"body": "not*base64", "isBase64Encoded": True}) is None


def test_non_text_body_is_undecodable() -> None:
    assert body_of({"body": 12}) is None


def test_raw_path() -> None:
    assert path_of({"rawPath": "/stripe"}) == "/stripe"
    assert path_of({}) == "" and path_of({"rawPath": 3}) == "" and path_of(None) == ""


@pytest.mark.parametrize("b64", [False, True])
def test_size_limit_applies_to_decoded_bytes(b64: bool) -> None:
    def event(raw: bytes) -> dict[str, object]:
        return {"body": base64.b64encode(raw).decode() if b64 else raw.decode(), "isBase64Encoded": b64}

    assert len(body_of(event(b"a" * MAX_BODY_BYTES))) == MAX_BODY_BYTES
    with pytest.raises(WebhookError) as info:
        body_of(event(b"a" * (MAX_BODY_BYTES + 1)))
    assert (info.value.status, info.value.code) == (413, "payload_too_large")


def test_multibyte_characters_count_as_bytes() -> None:
    text = "€" * (MAX_BODY_BYTES // 3 + 1)  # fewer characters than the limit, more bytes
    assert len(text) < MAX_BODY_BYTES
    with pytest.raises(WebhookError) as info:
        body_of({"body": text})
    assert info.value.status == 413


def test_huge_base64_rejected_without_decoding() -> None:
    with pytest.raises(WebhookError) as info:
        body_of({"body": "!" * (2 * MAX_BODY_BYTES), "isBase64Encoded": True})
    assert info.value.status == 413  # not 400: the length alone decides


def test_lone_surrogate_does_not_crash() -> None:
    assert body_of({"body": "\ud800"}) == b"\xed\xa0\x80"
