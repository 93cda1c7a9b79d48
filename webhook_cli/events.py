"""Event bodies shaped like each provider's (before signing; see signing.py).

* ``standard``: the flat payload (docs/behaviour.md, "Fields"), built as text so the amount goes verbatim.
* ``stripe``: a Stripe event (``id evt_…``, ``object: event``, ``api_version``, ``created``,
  ``livemode``, ``type``, ``data.object``): a PaymentIntent for ``payment_intent.*``, a Charge
  for ``charge.succeeded``/``charge.refunded``, a Dispute for ``charge.dispute.*``, a Customer
  for ``customer.*`` (not a payment: the function answers "ignored"). Amounts are integers in
  minor units, currencies lower-case, as in Stripe's API reference.
* ``adyen``: a standard notification ``{"live": "false", "notificationItems":
  [{"NotificationRequestItem": {…}}]}`` with ``amount {value (minor units), currency}``,
  ``eventCode``, ``eventDate``, ``success`` as the strings ``"true"``/``"false"``; for a
  modification (CAPTURE, REFUND, CANCELLATION, …) ``originalReference`` is the payment's
  pspReference, as in Adyen's webhook documentation.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe

__all__ = [
    "EventSpec",
    "adyen_body",
    "adyen_notification",
    "adyen_psp_reference",
    "build_payload",
    "check_json_value",
    "minor_units",
    "new_event_id",
    "standard_body",
    "stripe_body",
    "stripe_created",
    "stripe_event",
    "stripe_id",
]

_INTEGER = re.compile(r"-?[0-9]+")
# Adyen codes that modify an earlier payment: their originalReference is that payment.
ADYEN_MODIFICATIONS = frozenset(
    {"CAPTURE", "CAPTURE_FAILED", "CANCELLATION", "REFUND", "REFUND_FAILED", "CANCEL_OR_REFUND", "CHARGEBACK"}
)


def new_event_id() -> str:
    """A Standard Webhooks message id (``msg_…``)."""
    return "msg_" + secrets.token_hex(12)


def stripe_id(prefix: str) -> str:
    """A Stripe-style object id: ``evt_``, ``pi_``, ``ch_``, ``dp_``, ``cus_`` + 24 alphanumerics."""
    alphabet = string.ascii_letters + string.digits
    return f"{prefix}_" + "".join(secrets.choice(alphabet) for _ in range(24))


def adyen_psp_reference() -> str:
    """An Adyen pspReference: 16 upper-case letters and digits."""
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


def minor_units(text: str) -> int:
    """An integer amount in minor units, from its decimal text (``1999``, ``-5``); ValueError otherwise."""
    if not _INTEGER.fullmatch(text.strip()):
        raise ValueError(f"{text!r} is not an integer amount in minor units (1999 = 19.99 USD)")
    return int(text)


# --------------------------------------------------------------------------- standard


def check_json_value(text: str, what: str) -> str:
    """Return text unchanged if it is exactly one JSON value (no NaN/Infinity), else raise.

    Numbers are parsed as Decimal only to check the syntax: the text itself is what gets
    sent, so no binary float ever touches an amount.
    """

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not valid JSON")

    try:
        json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=refuse)
    except ValueError as exc:
        raise ValueError(
            f"{what} {text!r} is not a JSON value ({exc}). Numbers go as typed (12.50); "
            f"to send a string, quote it: '\"12.50\"'"
        ) from None
    return text.strip()


def build_payload(
    transaction_id: str,
    amount: str,
    currency: str,
    status: str | None = None,
    provider: str | None = None,
    event_time: str | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """The flat JSON body (behaviour.md, "Fields"), built as text: the amount and every extra value go verbatim."""
    parts = [
        f'"transactionId": {json.dumps(transaction_id)}',
        f'"amount": {check_json_value(amount, "--amount")}',
        f'"currency": {json.dumps(currency)}',
    ]
    if status is not None:
        parts.append(f'"status": {json.dumps(status)}')
    if provider is not None:
        parts.append(f'"provider": {json.dumps(provider)}')
    if event_time is not None:
        parts.append(f'"timestamp": {json.dumps(event_time)}')
    for key, value in extra or []:
        parts.append(f"{json.dumps(key)}: {check_json_value(value, f'--extra {key}=')}")
    return ("{" + ", ".join(parts) + "}").encode()


# --------------------------------------------------------------------------- Stripe


def _stripe_object(
    event_type: str,
    transaction_id: str,
    amount: int,
    currency: str,
    created: int,
    livemode: bool,
    amount_refunded: int | None,
) -> dict[str, Any]:
    common = {"created": created, "livemode": livemode}
    if event_type.startswith("customer."):
        return {"id": stripe_id("cus"), "object": "customer", "email": None, "metadata": {}, **common}
    if event_type.startswith("charge.dispute."):
        return {
            "id": stripe_id("dp"),
            "object": "dispute",
            "amount": amount,
            "charge": stripe_id("ch"),
            "currency": currency,
            "payment_intent": transaction_id,
            "reason": "fraudulent",
            "status": "needs_response",
            **common,
        }
    if event_type.startswith("charge."):
        full = amount if event_type == "charge.refunded" else 0
        refunded = full if amount_refunded is None else amount_refunded
        return {
            "id": stripe_id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": refunded,
            "captured": True,
            "currency": currency,
            "paid": True,
            "payment_intent": transaction_id,
            "refunded": refunded >= amount,
            "status": "succeeded",
            **common,
        }
    status = {
        "payment_intent.created": "requires_payment_method",
        "payment_intent.succeeded": "succeeded",
        "payment_intent.payment_failed": "requires_payment_method",
        "payment_intent.canceled": "canceled",
        "payment_intent.processing": "processing",
        "payment_intent.amount_capturable_updated": "requires_capture",
    }.get(event_type, "requires_action")
    return {
        "id": transaction_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": currency,
        "metadata": {},
        "status": status,
        **common,
    }


def stripe_event(
    event_type: str,
    transaction_id: str,
    amount: int,
    currency: str,
    *,
    event_id: str | None = None,
    created: int | None = None,
    livemode: bool = False,
    amount_refunded: int | None = None,
) -> bytes:
    """A Stripe event body (pretty-printed JSON, as Stripe sends it).

    ``transaction_id`` is the PaymentIntent id (``pi_…``): the object itself for
    ``payment_intent.*``, its ``payment_intent`` for a charge or dispute.
    """
    moment = int(datetime.now(tz=UTC).timestamp()) if created is None else created
    event = {
        "id": event_id or stripe_id("evt"),
        "object": "event",
        "api_version": stripe.api_version,
        "created": moment,
        "data": {
            "object": _stripe_object(
                event_type, transaction_id, amount, currency.lower(), moment, livemode, amount_refunded
            )
        },
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(event, indent=2).encode()


# --------------------------------------------------------------------------- Adyen


def adyen_event_date(moment: datetime | None = None) -> str:
    """Adyen's eventDate: ISO-8601 with seconds and an offset (``2026-12-01T12:00:00+01:00``)."""
    return (moment or datetime.now(tz=UTC)).isoformat(timespec="seconds")


def adyen_notification(
    event_code: str,
    transaction_id: str,
    amount: int,
    currency: str,
    *,
    psp_reference: str | None = None,
    success: bool = True,
    event_date: str | None = None,
    merchant_account: str = "DemoMerchantECOM",
    merchant_reference: str | None = None,
    live: bool = False,
) -> dict[str, Any]:
    """An Adyen notification with one item, unsigned (``signing.sign_adyen_notification`` signs it).

    ``transaction_id`` is the payment's pspReference: the item's own for AUTHORISATION
    (and any code that is not a modification), its ``originalReference`` otherwise.
    """
    modification = event_code in ADYEN_MODIFICATIONS
    item: dict[str, Any] = {
        "amount": {"currency": currency.upper(), "value": amount},
        "eventCode": event_code,
        "eventDate": event_date or adyen_event_date(),
        "merchantAccountCode": merchant_account,
        "merchantReference": merchant_reference or f"order-{transaction_id}",
        "paymentMethod": "visa",
        "pspReference": psp_reference or (adyen_psp_reference() if modification else transaction_id),
        "reason": "" if success else "Refused",
        "success": "true" if success else "false",
    }
    if modification:
        item["originalReference"] = transaction_id
    return {"live": "true" if live else "false", "notificationItems": [{"NotificationRequestItem": item}]}


# --------------------------------------------------------------------------- one event from options


@dataclass(frozen=True)
class EventSpec:
    """What a sender asks for, whatever the provider (None: the provider's default)."""

    transaction_id: str | None = None
    amount: str | None = None  # standard: raw JSON text
    amount_minor: str | None = None  # stripe, adyen: integer text
    currency: str | None = None
    status: str | None = None
    amount_refunded: str | None = None
    success: bool = True
    payload_provider: str | None = None
    event_time: str | None = None
    event_id: str | None = None
    extra: list[tuple[str, str]] = field(default_factory=list)


def standard_body(spec: EventSpec) -> bytes:
    """The flat payload (behaviour.md, "Fields"): defaults transaction ``txn_…``, amount 12.34 USD."""
    return build_payload(
        spec.transaction_id or "txn_" + new_event_id()[4:16],
        spec.amount if spec.amount is not None else "12.34",
        spec.currency if spec.currency is not None else "USD",
        spec.status,
        spec.payload_provider,
        spec.event_time,
        spec.extra,
    )


def stripe_created(text: str | None) -> int | None:
    """Stripe's ``created`` (Unix seconds) from digits or an ISO-8601 date-time with an offset."""
    if text is None:
        return None
    if text.strip().lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--event-time {text!r}: Unix seconds or an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        raise ValueError(f"--event-time {text!r}: give the offset (Z or +01:00)")
    return int(moment.timestamp())


def stripe_body(spec: EventSpec) -> bytes:
    """A Stripe event: defaults payment_intent.succeeded of a new PaymentIntent, 1999 minor units of USD."""
    return stripe_event(
        spec.status or "payment_intent.succeeded",
        spec.transaction_id or stripe_id("pi"),
        minor_units(spec.amount_minor if spec.amount_minor is not None else "1999"),
        spec.currency if spec.currency is not None else "USD",
        event_id=spec.event_id,
        created=stripe_created(spec.event_time),
        amount_refunded=None if spec.amount_refunded is None else minor_units(spec.amount_refunded),
    )


def adyen_body(spec: EventSpec) -> bytes:
    """An Adyen notification (unsigned): defaults AUTHORISATION of a new payment, 1999 minor units of USD."""
    notification = adyen_notification(
        spec.status or "AUTHORISATION",
        spec.transaction_id or adyen_psp_reference(),
        minor_units(spec.amount_minor if spec.amount_minor is not None else "1999"),
        spec.currency if spec.currency is not None else "USD",
        psp_reference=spec.event_id,
        success=spec.success,
        event_date=spec.event_time,
    )
    return json.dumps(notification).encode()
