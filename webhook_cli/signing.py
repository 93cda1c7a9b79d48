"""The one place that signs each payment provider's deliveries, with the providers' own code.

| provider   | path      | signed by                                                                 |
|------------|-----------|---------------------------------------------------------------------------|
| `standard` | `/`       | `standardwebhooks.Webhook.sign` (the Standard Webhooks reference library) |
| `stripe`   | `/stripe` | `stripe.WebhookSignature.generate_signature_header` (stripe-python; it    |
|            |           | calls `WebhookSignature._compute_signature`, the SDK's own HMAC)          |
| `adyen`    | `/adyen`  | `Adyen.util.generate_notification_sig` (Adyen's Python API library)       |

A :class:`Delivery` is what the provider puts on the wire: the path of the Function URL
(behaviour.md, "Providers"), the headers and the body bytes. The sender, the replay tool, the demo,
the tests and the bench build their deliveries here, so a signing rule lives in one file
and is the provider's own. This module never computes an HMAC itself; the ``*_signed_by``
checks (used by the replay tool to refuse copies altered in the queue) go through the
same SDK functions and ignore only the signature's age.

The SDKs sign text: Standard Webhooks and Stripe bodies must be UTF-8 (every provider
sends UTF-8 JSON); a body that is not is refused with ValueError.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import json
import secrets as random_source
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import Adyen.util
import standardwebhooks
import stripe

__all__ = [
    "ADYEN_HEADERS",
    "STANDARD_HEADERS",
    "STRIPE_HEADERS",
    "Delivery",
    "adyen_delivery",
    "adyen_delivery_of_body",
    "adyen_event_id",
    "adyen_item_signature",
    "adyen_signed_by",
    "check_adyen_key",
    "check_standard_secret",
    "check_stripe_secret",
    "new_adyen_key",
    "new_standard_secret",
    "new_stripe_secret",
    "sign_adyen_notification",
    "signature_headers",
    "standard_delivery",
    "standard_signature",
    "standard_signed_by",
    "stripe_delivery",
    "stripe_event_id",
    "stripe_signature_header",
    "stripe_signed_by",
]

# Headers each provider sends besides its signature (Stripe: the content type and user
# agent of its webhook requests; Standard Webhooks and Adyen: JSON).
STANDARD_HEADERS: Mapping[str, str] = {"content-type": "application/json"}
STRIPE_HEADERS: Mapping[str, str] = {
    "content-type": "application/json; charset=utf-8",
    "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
}
ADYEN_HEADERS: Mapping[str, str] = {"content-type": "application/json"}


@dataclass(frozen=True)
class Delivery:
    """One HTTP request as the provider sends it (POST to the Function URL + ``path``)."""

    provider: str
    path: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def url(self, base_url: str) -> str:
        """The Function URL (``https://….lambda-url.….on.aws/``) with this provider's path."""
        return base_url.rstrip("/") + self.path


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8: the provider SDKs sign text, as every provider sends") from None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


# --------------------------------------------------------------------------- Standard Webhooks


def _standard_webhook(secret: str) -> standardwebhooks.Webhook:
    try:
        return standardwebhooks.Webhook(secret.strip())
    except (binascii.Error, ValueError, standardwebhooks.webhooks.EmptyWebhookSecretError):
        raise ValueError(
            "a Standard Webhooks secret is whsec_ followed by base64 (the reference library refused it)"
        ) from None


def new_standard_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(random_source.token_bytes(32)).decode()


def check_standard_secret(secret: str) -> None:
    """ValueError (naming no value) when the reference library cannot use ``secret``."""
    _standard_webhook(secret)


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64>`` of ``{msg_id}.{timestamp}.{body}``, by ``standardwebhooks.Webhook.sign``."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return _standard_webhook(secret).sign(msg_id, moment, _text(body))


def signature_headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers; one ``v1`` signature per secret (rotation), space-separated."""
    if not secrets:
        raise ValueError("no signing secret")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(standard_signature(s, msg_id, timestamp, body) for s in secrets),
    }


def standard_delivery(body: bytes, secrets: Sequence[str] | None, msg_id: str, timestamp: int) -> Delivery:
    """A Standard Webhooks delivery to ``/``; ``secrets=None`` sends id and timestamp but no signature."""
    headers = dict(STANDARD_HEADERS)
    if secrets is None:
        _text(body)
        headers.update({"webhook-id": msg_id, "webhook-timestamp": str(timestamp)})
    else:
        headers.update(signature_headers(secrets, msg_id, timestamp, body))
    return Delivery("standard", "/", body, headers)


def standard_signed_by(secrets: Sequence[str], headers: Mapping[str, str], body: bytes) -> bool:
    """True when a ``v1`` signature of the headers was made with one of ``secrets``, however old.

    The reference library's ``verify`` also enforces ±5 minutes, which a quarantined copy
    is past by design; so this re-signs with ``Webhook.sign`` at the copy's own timestamp
    and compares in constant time.
    """
    msg_id, timestamp = _header(headers, "webhook-id"), _header(headers, "webhook-timestamp") or ""
    signature = _header(headers, "webhook-signature") or ""
    if not msg_id or not timestamp.isdigit():
        return False
    try:
        text = _text(body)
    except ValueError:
        return False
    offered = [entry for entry in signature.split() if entry.startswith("v1,")]
    for secret in secrets:
        try:
            expected = _standard_webhook(secret).sign(msg_id, datetime.fromtimestamp(int(timestamp), tz=UTC), text)
        except (ValueError, OverflowError, OSError):
            continue
        if any(hmac.compare_digest(expected.encode(), entry.encode()) for entry in offered):
            return True
    return False


# --------------------------------------------------------------------------- Stripe


def new_stripe_secret() -> str:
    """A Stripe endpoint secret: whsec_ + 32 random letters and digits (Stripe keys the HMAC with the whole string)."""
    return "whsec_" + "".join(random_source.choice(string.ascii_letters + string.digits) for _ in range(32))


def stripe_event_id(body: bytes) -> str:
    """The Stripe event's ``id`` (its idempotency key), or "" when the body has none."""
    try:
        return str(json.loads(body).get("id", ""))
    except (ValueError, AttributeError):
        return ""


def check_stripe_secret(secret: str) -> None:
    """Stripe keys the HMAC with the whole secret string (``whsec_…``): it only has to be there."""
    if not secret.strip():
        raise ValueError("the Stripe signing secret is empty")


def stripe_signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex>[,v1=<hex>…]``: one ``v1`` per secret, as Stripe does while a secret rolls."""
    if not secrets:
        raise ValueError("no signing secret")
    text = _text(body)
    parts = [f"t={timestamp}"]
    for secret in secrets:
        check_stripe_secret(secret)
        header = stripe.WebhookSignature.generate_signature_header(text, secret, timestamp=timestamp)
        parts.append(header.split(",", 1)[1])  # the SDK's "t=…,v1=…": keep its v1 part
    return ",".join(parts)


def stripe_delivery(body: bytes, secrets: Sequence[str] | None, timestamp: int) -> Delivery:
    """A Stripe delivery to ``/stripe``; ``secrets=None`` sends no ``Stripe-Signature``."""
    headers = dict(STRIPE_HEADERS)
    if secrets is None:
        _text(body)
    else:
        headers["Stripe-Signature"] = stripe_signature_header(secrets, timestamp, body)
    return Delivery("stripe", "/stripe", body, headers)


def stripe_signed_by(secrets: Sequence[str], headers: Mapping[str, str], body: bytes) -> bool:
    """True when ``Stripe-Signature`` verifies with one of ``secrets`` (the SDK's ``verify_header``, no age check)."""
    header = _header(headers, "stripe-signature")
    if not header:
        return False
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
            continue
        return True
    return False


# --------------------------------------------------------------------------- Adyen


def new_adyen_key() -> str:
    """An Adyen HMAC key: 64 hex characters, a 32-byte key."""
    return random_source.token_hex(32).upper()


def check_adyen_key(hmac_key: str) -> None:
    """An Adyen HMAC key is hex (the SDK hex-decodes it); ValueError naming no value otherwise."""
    try:
        key = binascii.a2b_hex(hmac_key.strip())
    except (binascii.Error, ValueError):
        raise ValueError("an Adyen HMAC key is hex (the SDK could not decode it)") from None
    if not key:
        raise ValueError("the Adyen HMAC key is empty")


def _items(notification: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = notification.get("notificationItems")
    if not isinstance(items, list) or not items:
        raise ValueError("an Adyen notification needs notificationItems with at least one NotificationRequestItem")
    found = []
    for entry in items:
        item = entry.get("NotificationRequestItem") if isinstance(entry, dict) else None
        if not isinstance(item, dict) or not isinstance(item.get("amount"), dict):
            raise ValueError("every notificationItems entry needs a NotificationRequestItem with an amount")
        found.append(item)
    return found


def sign_adyen_notification(notification: Mapping[str, Any], hmac_key: str | None) -> dict[str, Any]:
    """A copy of ``notification`` whose every item carries ``additionalData.hmacSignature``.

    The signature is ``Adyen.util.generate_notification_sig`` of the item (Adyen signs each
    item; its own validator checks only the first). ``hmac_key=None`` leaves the items as
    they are (an unsigned notification).
    """
    signed = copy.deepcopy(dict(notification))
    items = _items(signed)
    if hmac_key is None:
        return signed
    check_adyen_key(hmac_key)
    for item in items:
        signature = adyen_item_signature(item, hmac_key)
        additional = item.get("additionalData")
        item["additionalData"] = {**(additional if isinstance(additional, dict) else {}), "hmacSignature": signature}
    return signed


def adyen_item_signature(item: Mapping[str, Any], hmac_key: str) -> str:
    """``hmacSignature`` of one NotificationRequestItem by ``Adyen.util.generate_notification_sig``.

    An item without ``amount`` is signed with an empty value and currency, as the scheme
    treats absent fields (the SDK itself needs the ``amount`` object to be there).
    """
    unsigned = {k: v for k, v in item.items() if k != "additionalData"}
    unsigned.setdefault("amount", {"value": "", "currency": ""})
    return str(Adyen.util.generate_notification_sig(unsigned, hmac_key.strip()).decode("ascii"))


def adyen_event_id(body: bytes) -> str:
    """``{eventCode}:{pspReference}:{success}`` of the first item (the function's eventId), or ""."""
    try:
        item = _items(json.loads(body))[0]
    except (ValueError, AttributeError):
        return ""
    return f"{item.get('eventCode', '')}:{item.get('pspReference', '')}:{item.get('success', '')}"


def adyen_delivery_of_body(body: bytes, hmac_keys: Sequence[str] | None) -> Delivery:
    """:func:`adyen_delivery` of a notification given as JSON bytes, signed with the first key (Adyen has one)."""
    try:
        notification = json.loads(body)
        return adyen_delivery(notification, hmac_keys[0] if hmac_keys else None)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not an Adyen notification: {exc}") from None


def adyen_delivery(notification: Mapping[str, Any], hmac_key: str | None) -> Delivery:
    """An Adyen standard notification (JSON) to ``/adyen``, each item signed with ``hmac_key``."""
    body = json.dumps(sign_adyen_notification(notification, hmac_key)).encode()
    return Delivery("adyen", "/adyen", body, dict(ADYEN_HEADERS))


def adyen_signed_by(hmac_keys: Sequence[str], body: bytes) -> bool:
    """True when EVERY item's ``hmacSignature`` verifies with one of ``hmac_keys`` (``is_valid_hmac_notification``)."""
    try:
        notification = json.loads(body)
        items = _items(notification)
    except (ValueError, AttributeError):
        return False
    return all(any(_adyen_item_valid(item, key) for key in hmac_keys) for item in items)


def _adyen_item_valid(item: Mapping[str, Any], hmac_key: str) -> bool:
    try:
        return bool(Adyen.util.is_valid_hmac_notification(dict(item), hmac_key.strip()))
    except (KeyError, TypeError, ValueError, binascii.Error):
        return False
