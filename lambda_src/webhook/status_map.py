"""One table from each provider's own status to the payment status (docs/behaviour.md, "Payment status").

Statuses and ranks (the rank orders events of equal time, see ``payments.py``)::

    unknown 0 < pending 1 < authorized 2 < succeeded = failed = canceled 3
            < partially_refunded 4 < refunded 5 < disputed 6

The mapping, scheme by scheme (matching is exact and case-sensitive, as the
providers send them):

=========  ===================================  =========================================
scheme     provider status                      payment status
=========  ===================================  =========================================
stripe     ``payment_intent.created``           pending
stripe     ``payment_intent.succeeded``         succeeded
stripe     ``charge.succeeded``                 succeeded
stripe     ``payment_intent.payment_failed``    failed
stripe     ``payment_intent.canceled``          canceled
stripe     ``charge.refunded``                  partially_refunded when
                                                ``amount_refunded < amount``, else refunded
stripe     ``charge.dispute.created``           disputed
stripe     any other event type                 unknown
adyen      ``AUTHORISATION``, success true      authorized
adyen      ``AUTHORISATION``, success false     failed
adyen      ``CAPTURE``, success true            succeeded
adyen      ``CANCELLATION``, success true       canceled
adyen      ``REFUND``, success true             refunded
adyen      ``CHARGEBACK``, success true         disputed
adyen      any other code, or success false     unknown
           (or absent) on a code above but
           ``AUTHORISATION``
standard   one of :data:`STATUSES`              that status
standard   anything else                        unknown
=========  ===================================  =========================================

Choices where the contract is silent:

- Stripe ``charge.refunded`` without both amounts (``amount_refunded`` or
  ``amount`` not given) is ``refunded``: Stripe sends the event for full and
  partial refunds, and only the comparison can make it partial.
- Adyen with ``success`` absent (``None``) is ``unknown`` for every code,
  ``AUTHORISATION`` included: neither authorized nor failed is known.
- ``success`` is ignored for Stripe and standard payloads.
- An unknown scheme is a programming error of the caller: ``ValueError``.
"""

from __future__ import annotations

from typing import Final

STATUSES: Final = (
    "unknown",
    "pending",
    "authorized",
    "succeeded",
    "failed",
    "canceled",
    "partially_refunded",
    "refunded",
    "disputed",
)

RANK: Final[dict[str, int]] = {
    "unknown": 0,
    "pending": 1,
    "authorized": 2,
    "succeeded": 3,
    "failed": 3,
    "canceled": 3,
    "partially_refunded": 4,
    "refunded": 5,
    "disputed": 6,
}

SCHEMES: Final = ("standard", "stripe", "adyen")

_STRIPE: Final[dict[str, str]] = {
    "payment_intent.created": "pending",
    "payment_intent.succeeded": "succeeded",
    "charge.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "canceled",
    "charge.refunded": "refunded",  # or partially_refunded, by the amounts
    "charge.dispute.created": "disputed",
}

# Adyen event codes when ``success`` is true; success false is unknown except for AUTHORISATION.
_ADYEN: Final[dict[str, str]] = {
    "AUTHORISATION": "authorized",
    "CAPTURE": "succeeded",
    "CANCELLATION": "canceled",
    "REFUND": "refunded",
    "CHARGEBACK": "disputed",
}

_STANDARD: Final = frozenset(STATUSES)


def map_status(
    scheme: str,
    provider_status: str,
    *,
    success: bool | None = None,
    amount_minor: int | None = None,
    amount_refunded_minor: int | None = None,
) -> str:
    """The payment status (one of :data:`STATUSES`) of one provider event."""
    if scheme == "standard":
        return provider_status if provider_status in _STANDARD else "unknown"
    if scheme == "stripe":
        status = _STRIPE.get(provider_status, "unknown")
        if (
            status == "refunded"
            and amount_minor is not None
            and amount_refunded_minor is not None
            and amount_refunded_minor < amount_minor
        ):
            return "partially_refunded"
        return status
    if scheme == "adyen":
        if success is True:
            return _ADYEN.get(provider_status, "unknown")
        if success is False and provider_status == "AUTHORISATION":
            return "failed"
        return "unknown"
    raise ValueError(f"unknown status scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
