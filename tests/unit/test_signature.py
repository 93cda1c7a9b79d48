from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from webhook import signature
from webhook.signature import SignatureError, decode_secret, decode_secrets, sign, verify

NOW = 1_767_268_800
BODY = b'{"transactionId": "t1", "amount": 1.5, "currency": "USD"}'

# Published Standard Webhooks test vector.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = "1614265330"
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(
    key: bytes, *, wid: str = "msg_1", ts: int = NOW, body: bytes = BODY, sig: str | None = None
) -> dict[str, str]:
    return {
        "webhook-id": wid,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(key, wid, ts, body) if sig is None else sig,
    }


def check(
    hdrs: dict[str, str], keys: tuple[bytes, ...], body: bytes = BODY, now: float = NOW, tolerance: int = 300
) -> str:
    return verify(hdrs, body, keys, tolerance_seconds=tolerance, now=now)


def test_standard_webhooks_vector() -> None:
    keys = decode_secrets(SPEC_SECRET)
    assert sign(keys[0], SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIG
    hdrs = {"webhook-id": SPEC_ID, "webhook-timestamp": SPEC_TS, "webhook-signature": SPEC_SIG}
    assert verify(hdrs, SPEC_BODY, keys, tolerance_seconds=300, now=int(SPEC_TS)) == SPEC_ID


def test_signed_content_is_id_dot_timestamp_dot_body(signing_key: bytes) -> None:
    expected = hmac.new(signing_key, b"msg_1.%d." % NOW + BODY, hashlib.sha256).digest()
    assert sign(signing_key, "msg_1", NOW, BODY) == "v1," + base64.b64encode(expected).decode()


def test_valid_signature_returns_webhook_id(signing_key: bytes) -> None:
    assert check(headers(signing_key), (signing_key,)) == "msg_1"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: h.update({"webhook-id": "msg_2"}),
        lambda h: h.update({"webhook-timestamp": str(NOW + 1)}),
    ],
    ids=["id", "timestamp"],
)
def test_id_and_timestamp_are_signed(signing_key: bytes, tamper) -> None:  # type: ignore[no-untyped-def]
    hdrs = headers(signing_key)
    tamper(hdrs)
    with pytest.raises(SignatureError):
        check(hdrs, (signing_key,))


def test_body_is_signed_byte_for_byte(signing_key: bytes) -> None:
    hdrs = headers(signing_key)
    with pytest.raises(SignatureError, match="does not match"):
        check(hdrs, (signing_key,), body=BODY.replace(b"1.5", b"1.50"))


def test_wrong_key_rejected(signing_key: bytes) -> None:
    with pytest.raises(SignatureError, match="does not match"):
        check(headers(b"another-key-of-sufficient-length"), (signing_key,))


def test_several_v1_signatures_any_may_match(signing_key: bytes) -> None:
    good = sign(signing_key, "msg_1", NOW, BODY)
    bogus = sign(b"not-the-key", "msg_1", NOW, BODY)
    for header in (f"{bogus} {good}", f"{good} {bogus}", f"v1,{'A' * 44} {good}"):
        assert check(headers(signing_key, sig=header), (signing_key,)) == "msg_1"


def test_other_versions_are_ignored_even_with_a_valid_mac(signing_key: bytes) -> None:
    mac = sign(signing_key, "msg_1", NOW, BODY).removeprefix("v1,")
    for header in (f"v1a,{mac}", f"v2,{mac}", f"V1,{mac}", f"v1 {mac}", mac):
        with pytest.raises(SignatureError):
            check(headers(signing_key, sig=header), (signing_key,))
    # ...while a v1 entry beside a v1a entry still counts
    assert check(headers(signing_key, sig=f"v1a,{mac} v1,{mac}"), (signing_key,)) == "msg_1"


def test_rotation_any_configured_secret_verifies() -> None:
    old, new = b"old-secret-key-0123456789abcdef", b"new-secret-key-0123456789abcdef"
    for key in (old, new):
        assert check(headers(key), (old, new)) == "msg_1"
        assert check(headers(key), (new, old)) == "msg_1"
    with pytest.raises(SignatureError):
        check(headers(old), (new,))


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamp_within_tolerance_accepted(signing_key: bytes, offset: int) -> None:
    assert check(headers(signing_key, ts=NOW + offset), (signing_key,)) == "msg_1"


@pytest.mark.parametrize(
    ("offset", "reason"), [(-301, "too old"), (301, "future"), (-(10**6), "too old"), (10**6, "future")]
)
def test_timestamp_outside_tolerance_rejected(signing_key: bytes, offset: int, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        check(headers(signing_key, ts=NOW + offset), (signing_key,))


def test_tolerance_is_configurable(signing_key: bytes) -> None:
    hdrs = headers(signing_key, ts=NOW - 60)
    assert check(hdrs, (signing_key,), tolerance=60) == "msg_1"
    with pytest.raises(SignatureError):
        check(hdrs, (signing_key,), tolerance=59)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_rejected(signing_key: bytes, missing: str) -> None:
    hdrs = headers(signing_key)
    del hdrs[missing]
    with pytest.raises(SignatureError, match="missing"):
        check(hdrs, (signing_key,))


@pytest.mark.parametrize("ts", ["", "abc", "1767268800.0", "-1767268800", " 1767268800", "1e9", "١٧٦٧٢٦٨٨٠٠"])
def test_malformed_timestamp_rejected(signing_key: bytes, ts: str) -> None:
    hdrs = headers(signing_key)
    hdrs["webhook-timestamp"] = ts
    with pytest.raises(SignatureError, match="malformed"):
        check(hdrs, (signing_key,))


@pytest.mark.parametrize("wid", ["", "msg 1", "msg\n1", "x" * 257, "msg_é"])
def test_malformed_webhook_id_rejected(signing_key: bytes, wid: str) -> None:
    hdrs = headers(signing_key, wid="ok")
    hdrs["webhook-id"] = wid
    with pytest.raises(SignatureError, match="malformed"):
        check(hdrs, (signing_key,))


def test_webhook_id_of_256_characters_accepted(signing_key: bytes) -> None:
    wid = "m" * 256
    assert check(headers(signing_key, wid=wid), (signing_key,)) == wid


@pytest.mark.parametrize("sig", ["", "v1,", "v1,not base64!", "v1,AAAA", "garbage", "v1,====", ","])
def test_malformed_signature_rejected(signing_key: bytes, sig: str) -> None:
    with pytest.raises(SignatureError):
        check(headers(signing_key, sig=sig), (signing_key,))


def test_no_keys_means_nothing_verifies(signing_key: bytes) -> None:
    with pytest.raises(SignatureError):
        check(headers(signing_key), ())


def test_comparison_is_constant_time(signing_key: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    bogus = sign(b"x" * 32, "msg_1", NOW, BODY)
    assert check(headers(signing_key, sig=f"{bogus} {sign(signing_key, 'msg_1', NOW, BODY)}"), (signing_key,))
    assert len(calls) == 2  # every candidate compared, through compare_digest


def test_decode_secrets_handles_prefix_whitespace_and_garbage() -> None:
    a = base64.b64encode(b"a" * 24).decode()
    b = base64.b64encode(b"b" * 64).decode()
    assert decode_secrets(f"whsec_{a}") == (b"a" * 24,)
    assert decode_secrets(f"  whsec_{a}\n\twhsec_{b}  ") == (b"a" * 24, b"b" * 64)
    assert decode_secrets(a) == (b"a" * 24,)  # prefix optional, as in the reference libraries
    assert decode_secrets("whsec_!!!notbase64 whsec_") == ()
    assert decode_secrets("") == ()


# --- interop fix: whsec_ secrets without base64 padding -------------------------


@pytest.mark.parametrize("size", [24, 25, 32, 61, 64])
def test_unpadded_secret_gives_the_reference_librarys_key(size: int) -> None:
    import standardwebhooks

    raw = bytes(range(size))
    unpadded = "whsec_" + base64.b64encode(raw).decode().rstrip("=")
    assert decode_secrets(unpadded) == (raw,)
    assert decode_secrets(unpadded) == (standardwebhooks.Webhook(unpadded)._whsecret,)


def test_delivery_signed_by_the_reference_library_with_an_unpadded_secret_verifies() -> None:
    from datetime import UTC, datetime

    import standardwebhooks

    secret = "whsec_" + base64.b64encode(b"k" * 25).decode().rstrip("=")
    assert not secret.endswith("=") and len(secret.removeprefix("whsec_")) % 4
    signature = standardwebhooks.Webhook(secret).sign("msg_1", datetime.fromtimestamp(NOW, UTC), BODY.decode())
    hdrs = {"webhook-id": "msg_1", "webhook-timestamp": str(NOW), "webhook-signature": signature}
    assert check(hdrs, decode_secrets(secret)) == "msg_1"


@pytest.mark.parametrize("token", ["whsec_a", "whsec_!!!!", "whsec_abc-", "whsec_YWJj=A", "whsec_===="])
def test_truly_unusable_secrets_are_skipped(token: str) -> None:
    assert decode_secret(token) is None
