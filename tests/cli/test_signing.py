"""webhook_cli.signing: every delivery verifies with the provider's OWN verifier.

Signed here by webhook_cli.signing (the SDKs' signers), checked by the SDKs' verifiers
(standardwebhooks.Webhook.verify, stripe.Webhook.construct_event /
WebhookSignature.verify_header, Adyen.util.is_valid_hmac_notification) and, for Adyen's
per-item rule, by an HMAC written from behaviour.md's "Providers" text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time

import Adyen.util
import pytest
import standardwebhooks
import stripe

from webhook_cli import events, signing

SECRET = "whsec_" + base64.b64encode(b"cli-test-standard-secret-32byte").decode()
OTHER = "whsec_" + base64.b64encode(b"another-rotated-secret-32-bytes").decode()
STRIPE_SECRET = "whsec_cliStripeTestSecret0123456789abcdef"
STRIPE_OTHER = "whsec_cliStripeRolledSecret9876543210fedcb"
ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
ADYEN_OTHER = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"


# ------------------------------------------------------------------ Standard Webhooks


def test_standard_signature_matches_the_reference_vector():
    # The example of the Standard Webhooks specification / reference libraries.
    assert (
        signing.standard_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_standard_delivery_verifies_with_the_reference_library():
    body = events.build_payload("tx-1", "1234567890123456789.01", "EUR", "succeeded")
    delivery = signing.standard_delivery(body, [SECRET], "msg_1", int(time.time()))
    assert (delivery.provider, delivery.path, delivery.body) == ("standard", "/", body)
    assert delivery.headers["content-type"] == "application/json"
    parsed = standardwebhooks.Webhook(SECRET).verify(delivery.body, dict(delivery.headers))
    assert parsed["transactionId"] == "tx-1"
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(OTHER).verify(delivery.body, dict(delivery.headers))
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(SECRET).verify(delivery.body + b" ", dict(delivery.headers))


def test_standard_rotation_signs_once_per_secret_and_each_verifies():
    delivery = signing.standard_delivery(b"{}", [SECRET, OTHER], "msg_rot", int(time.time()))
    signatures = delivery.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (SECRET, OTHER):
        standardwebhooks.Webhook(secret).verify(delivery.body, dict(delivery.headers))


def test_standard_stale_timestamp_is_refused_by_the_reference_library():
    delivery = signing.standard_delivery(b"{}", [SECRET], "msg_old", int(time.time()) - 600)
    with pytest.raises(standardwebhooks.WebhookVerificationError, match="too old"):
        standardwebhooks.Webhook(SECRET).verify(delivery.body, dict(delivery.headers))


def test_unpadded_secret_is_accepted_as_the_reference_does():
    unpadded = SECRET.rstrip("=")
    assert unpadded != SECRET
    assert signing.standard_signature(unpadded, "m", 1, b"{}") == signing.standard_signature(SECRET, "m", 1, b"{}")


@pytest.mark.parametrize("bad", ["whsec_", "whsec_a", "whsec_not base64!", ""])
def test_secrets_the_reference_refuses_are_refused(bad):
    with pytest.raises(ValueError, match="whsec_"):
        signing.check_standard_secret(bad)
    with pytest.raises(ValueError):
        signing.standard_delivery(b"{}", [bad], "m", 1)


def test_unsigned_standard_delivery_has_id_and_timestamp_only():
    delivery = signing.standard_delivery(b"{}", None, "msg_u", 1700000000)
    assert delivery.headers["webhook-id"] == "msg_u" and delivery.headers["webhook-timestamp"] == "1700000000"
    assert "webhook-signature" not in delivery.headers


def test_non_utf8_bodies_are_refused_not_signed_differently():
    with pytest.raises(ValueError, match="UTF-8"):
        signing.standard_delivery(b"\xff{}", [SECRET], "m", 1)
    with pytest.raises(ValueError, match="UTF-8"):
        signing.stripe_delivery(b"\xff{}", [STRIPE_SECRET], 1)


def test_standard_signed_by_ignores_age_but_not_content_or_secret():
    old = int(time.time()) - 3 * 86400
    delivery = signing.standard_delivery(b'{"a":1}', [SECRET], "msg_q", old)
    assert signing.standard_signed_by([OTHER, SECRET], delivery.headers, delivery.body)
    upper = {k.upper(): v for k, v in delivery.headers.items()}
    assert signing.standard_signed_by([SECRET], upper, delivery.body)  # header names in any case
    assert not signing.standard_signed_by([OTHER], delivery.headers, delivery.body)
    assert not signing.standard_signed_by([SECRET], delivery.headers, b'{"a":2}')
    moved = {**delivery.headers, "webhook-timestamp": str(old + 1)}
    assert not signing.standard_signed_by([SECRET], moved, delivery.body)
    assert not signing.standard_signed_by([SECRET], {**delivery.headers, "webhook-id": "msg_other"}, delivery.body)


# ------------------------------------------------------------------ Stripe


def stripe_body(**kwargs) -> bytes:
    return events.stripe_event("payment_intent.succeeded", "pi_cli_1", 1999, "USD", **kwargs)


def test_stripe_delivery_is_accepted_by_construct_event():
    body = stripe_body(event_id="evt_cli_1")
    delivery = signing.stripe_delivery(body, [STRIPE_SECRET], int(time.time()))
    assert (delivery.provider, delivery.path, delivery.body) == ("stripe", "/stripe", body)
    assert delivery.headers["content-type"] == "application/json; charset=utf-8"
    event = stripe.Webhook.construct_event(delivery.body, delivery.headers["Stripe-Signature"], STRIPE_SECRET)
    assert event.id == "evt_cli_1" and event.type == "payment_intent.succeeded"
    assert event.data.object.amount == 1999 and event.data.object.currency == "usd"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, delivery.headers["Stripe-Signature"], STRIPE_OTHER)


def test_stripe_header_matches_the_sdks_own_generator_and_key_is_the_whole_secret():
    body = stripe_body()
    header = signing.stripe_signature_header([STRIPE_SECRET], 1700000000, body)
    assert header == stripe.WebhookSignature.generate_signature_header(body.decode(), STRIPE_SECRET, 1700000000)
    # behaviour.md "Providers": HMAC-SHA256 keyed by the UTF-8 bytes of the whole whsec_ string, lower-case hex.
    expected = hmac.new(STRIPE_SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_stripe_rotation_one_v1_per_secret_each_verifies():
    body = stripe_body()
    now = int(time.time())
    header = signing.stripe_signature_header([STRIPE_SECRET, STRIPE_OTHER], now, body)
    parts = header.split(",")
    assert parts[0] == f"t={now}" and [p.split("=")[0] for p in parts[1:]] == ["v1", "v1"]
    for secret in (STRIPE_SECRET, STRIPE_OTHER):
        assert stripe.WebhookSignature.verify_header(body, header, secret, tolerance=300)


def test_stripe_stale_header_is_refused_by_the_sdk_and_signed_by_ignores_age():
    body = stripe_body()
    delivery = signing.stripe_delivery(body, [STRIPE_SECRET], int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.WebhookSignature.verify_header(body, delivery.headers["Stripe-Signature"], STRIPE_SECRET, 300)
    assert signing.stripe_signed_by([STRIPE_OTHER, STRIPE_SECRET], delivery.headers, body)
    assert signing.stripe_signed_by([STRIPE_SECRET], {"stripe-signature": delivery.headers["Stripe-Signature"]}, body)
    assert not signing.stripe_signed_by([STRIPE_OTHER], delivery.headers, body)
    assert not signing.stripe_signed_by([STRIPE_SECRET], delivery.headers, body.replace(b"1999", b"9999"))
    assert not signing.stripe_signed_by([STRIPE_SECRET], {}, body)


def test_unsigned_stripe_delivery_has_no_signature_header():
    delivery = signing.stripe_delivery(stripe_body(), None, 1)
    assert not any(k.lower() == "stripe-signature" for k in delivery.headers)


def test_empty_stripe_secret_is_refused():
    with pytest.raises(ValueError):
        signing.stripe_signature_header([" "], 1, b"{}")
    with pytest.raises(ValueError):
        signing.stripe_signature_header([], 1, b"{}")


# ------------------------------------------------------------------ Adyen


def contract_adyen_signature(item: dict, key_hex: str) -> str:
    """behaviour.md "Providers", written from its text: base64 HMAC-SHA256, hex-decoded key, 8 fields joined by ':'."""
    amount = item.get("amount", {})
    fields = [
        item.get("pspReference", ""),
        item.get("originalReference", ""),
        item.get("merchantAccountCode", ""),
        item.get("merchantReference", ""),
        str(amount.get("value", "")),
        amount.get("currency", ""),
        item.get("eventCode", ""),
        item.get("success", ""),
    ]
    mac = hmac.new(binascii.unhexlify(key_hex), ":".join(fields).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def items_of(body: bytes) -> list[dict]:
    return [entry["NotificationRequestItem"] for entry in json.loads(body)["notificationItems"]]


def test_adyen_delivery_verifies_with_the_sdk_and_the_contract_rule():
    notification = events.adyen_notification("AUTHORISATION", "PSPCLI0000000001", 1000, "eur")
    delivery = signing.adyen_delivery(notification, ADYEN_KEY)
    assert (delivery.provider, delivery.path) == ("adyen", "/adyen")
    assert delivery.headers["content-type"] == "application/json"
    parsed = json.loads(delivery.body)
    assert parsed["live"] == "false"
    assert Adyen.util.is_valid_hmac_notification(parsed, ADYEN_KEY)
    (item,) = items_of(delivery.body)
    assert item["amount"] == {"currency": "EUR", "value": 1000} and item["success"] == "true"
    assert item["pspReference"] == "PSPCLI0000000001" and "originalReference" not in item
    assert item["additionalData"]["hmacSignature"] == contract_adyen_signature(item, ADYEN_KEY)
    assert not Adyen.util.is_valid_hmac_notification(parsed, ADYEN_OTHER)
    assert "hmacSignature" not in json.dumps(notification)  # the input is not modified


def test_adyen_every_item_of_a_batch_is_signed():
    first = events.adyen_notification("AUTHORISATION", "PSPCLI0000000002", 1000, "EUR")
    second = events.adyen_notification("CAPTURE", "PSPCLI0000000002", 1000, "EUR", psp_reference="PSPCLI000000000C")
    batch = {"live": "false", "notificationItems": first["notificationItems"] + second["notificationItems"]}
    delivery = signing.adyen_delivery(batch, ADYEN_KEY)
    items = items_of(delivery.body)
    assert len(items) == 2 and items[1]["originalReference"] == "PSPCLI0000000002"
    for item in items:  # the SDK checks only the first item of a notification: check each one
        assert Adyen.util.is_valid_hmac_notification(item, ADYEN_KEY)
        assert item["additionalData"]["hmacSignature"] == contract_adyen_signature(item, ADYEN_KEY)
    assert signing.adyen_signed_by([ADYEN_OTHER, ADYEN_KEY], delivery.body)


def test_adyen_signed_by_needs_every_item_and_an_intact_body():
    batch = events.adyen_notification("AUTHORISATION", "PSPCLI0000000003", 500, "EUR")
    batch["notificationItems"] *= 2
    body = signing.adyen_delivery(batch, ADYEN_KEY).body
    assert signing.adyen_signed_by([ADYEN_KEY], body)
    tampered = json.loads(body)
    tampered["notificationItems"][1]["NotificationRequestItem"]["amount"]["value"] = 50000
    assert not signing.adyen_signed_by([ADYEN_KEY], json.dumps(tampered).encode())
    assert not signing.adyen_signed_by([ADYEN_OTHER], body)
    assert not signing.adyen_signed_by([ADYEN_KEY], b"not json")
    assert not signing.adyen_signed_by([ADYEN_KEY], b'{"notificationItems": []}')
    unsigned = signing.adyen_delivery(batch, None).body
    assert not signing.adyen_signed_by([ADYEN_KEY], unsigned)


@pytest.mark.parametrize("bad", ["", "xyz", "abc"])
def test_adyen_keys_that_are_not_hex_are_refused(bad):
    with pytest.raises(ValueError, match="Adyen HMAC key"):
        signing.adyen_delivery(events.adyen_notification("AUTHORISATION", "P", 1, "EUR"), bad)


def test_a_notification_without_items_is_refused():
    with pytest.raises(ValueError, match="notificationItems"):
        signing.sign_adyen_notification({"live": "false", "notificationItems": []}, ADYEN_KEY)


def test_delivery_url_appends_the_provider_path():
    assert signing.Delivery("stripe", "/stripe", b"").url("https://x.lambda-url.eu-west-1.on.aws/") == (
        "https://x.lambda-url.eu-west-1.on.aws/stripe"
    )
    assert signing.Delivery("standard", "/", b"").url("http://127.0.0.1:9000") == "http://127.0.0.1:9000/"
