"""Test deliveries for /stripe and /adyen, signed with the providers' own SDKs (test-only).

The signing goes through ``webhook_cli.signing`` (the project's one place that signs,
with the SDKs): Stripe ``stripe.WebhookSignature.generate_signature_header``
(stripe-python 16.1.0), Adyen ``Adyen.util.generate_notification_sig`` (Adyen 16.0.0)
on every item, Standard Webhooks ``standardwebhooks.Webhook.sign`` (1.1.0).
The events are Function URL payload 2.0 events, as in :func:`tests.conftest.build_event`.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import Adyen.util

from local_stack.gateway.event import build_event as gateway_event
from webhook_cli import signing

EVENTS_DIR = Path(__file__).resolve().parent / "events"
# Test-only secrets.
STRIPE_SECRET = "whsec_test0nly5tr1peS1gn1ngSecretAbCdEf0123"
ADYEN_HMAC_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"


def sample(name: str) -> dict[str, Any]:
    """A sample body from tests/events/ (see its README for where each shape comes from)."""
    data: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return data


def function_url_event(
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    method: str = "POST",
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """The Function URL's payload 2.0 event for this request, from the local Function URL's own
    converter (local_stack.gateway.event); path and headers stay as given (tests vary them) and
    ``base64_encoded`` chooses the body's form, as the service does for a non-text body."""
    event = gateway_event(method, path, list(headers.items()), body, "203.0.113.9", "test-request", "test", "anonymous")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path  # exactly, even "" (the gateway says "/")
    event["headers"] = dict(headers)
    event["body"] = base64.b64encode(body).decode() if base64_encoded else body.decode("utf-8", "surrogatepass")
    event["isBase64Encoded"] = base64_encoded
    return event


def stripe_header(body: bytes, *, secret: str = STRIPE_SECRET, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    return signing.stripe_signature_header([secret], ts, body)


def stripe_body(event: Mapping[str, Any]) -> bytes:
    """Stripe sends pretty-printed JSON; any byte-exact text works, the signature covers it."""
    return json.dumps(event, indent=2).encode()


def stripe_event(
    event: Mapping[str, Any] | bytes,
    *,
    secret: str = STRIPE_SECRET,
    timestamp: int | None = None,
    header: str | None = None,
    method: str = "POST",
    base64_encoded: bool = False,
    path: str = "/stripe",
) -> dict[str, Any]:
    body = event if isinstance(event, bytes) else stripe_body(event)
    signature = stripe_header(body, secret=secret, timestamp=timestamp) if header is None else header
    headers = {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "stripe-signature": signature,
    }
    return function_url_event(path, body, headers, method=method, base64_encoded=base64_encoded)


def stripe_payment(
    event_type: str = "payment_intent.succeeded",
    *,
    event_id: str = "evt_test_0001",
    created: int = 1_767_268_800,
    **obj: Any,
) -> dict[str, Any]:
    """The sample payment_intent event with ``type``/``id``/``created`` and ``data.object`` fields overridden."""
    event = sample("stripe_payment_intent_succeeded.json")
    event.update(type=event_type, id=event_id, created=created)
    event["data"]["object"].update(obj)
    return event


def sign_adyen_items(items: Sequence[Mapping[str, Any]], key: str = ADYEN_HMAC_KEY) -> list[dict[str, Any]]:
    """Each NotificationRequestItem with ``additionalData.hmacSignature`` set by Adyen's SDK (webhook_cli.signing)."""
    signed = []
    for original in items:
        item = copy.deepcopy(dict(original))
        item.setdefault("additionalData", {}).pop("hmacSignature", None)
        item["additionalData"]["hmacSignature"] = signing.adyen_item_signature(item, key)
        signed.append(item)
    return signed


def adyen_body(items: Sequence[Mapping[str, Any]], *, key: str = ADYEN_HMAC_KEY, sign: bool = True) -> bytes:
    signed = sign_adyen_items(items, key) if sign else [dict(i) for i in items]
    notification = {"live": "false", "notificationItems": [{"NotificationRequestItem": i} for i in signed]}
    return json.dumps(notification).encode()


def adyen_item(**fields: Any) -> dict[str, Any]:
    """The sample AUTHORISATION item (unsigned) with fields overridden (``None`` drops one)."""
    item = sample("adyen_authorisation.json")["notificationItems"][0]["NotificationRequestItem"]
    item.pop("additionalData", None)
    item.update(fields)
    return {k: v for k, v in item.items() if v is not None}


def adyen_event(
    items: Sequence[Mapping[str, Any]] | bytes,
    *,
    key: str = ADYEN_HMAC_KEY,
    method: str = "POST",
    base64_encoded: bool = False,
    path: str = "/adyen",
) -> dict[str, Any]:
    body = items if isinstance(items, bytes) else adyen_body(items, key=key)
    headers = {"content-type": "application/json", "user-agent": "Adyen HttpClient 1.0"}
    return function_url_event(path, body, headers, method=method, base64_encoded=base64_encoded)


def adyen_is_valid(item: Mapping[str, Any], key: str = ADYEN_HMAC_KEY) -> bool:
    """Adyen's own verifier on one item (to check our signatures agree with the SDK's)."""
    return bool(Adyen.util.is_valid_hmac_notification(dict(item), key))


def standard_headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Standard Webhooks headers signed by the reference library."""
    ts = int(time.time()) if timestamp is None else timestamp
    return signing.signature_headers([secret], msg_id, ts, body)
