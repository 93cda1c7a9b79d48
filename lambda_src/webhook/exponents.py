"""Minor units -> exact amounts by each provider's exponent table (checked 2026-12-01).

Stripe: https://docs.stripe.com/currencies (zero- and three-decimal lists).
Adyen: https://docs.adyen.com/development-resources/currency-codes (CLP 2, CVE 0,
IDR 0, ISK 2 differ from ISO 4217; the same lists in integrations citing it,
e.g. odoogap/vuestorefront ``payment_adyen_og/const.py``).  Every other code: 2.
The Decimal is built from the digits (``Decimal((sign, digits, -e))``): no
context, no rounding (``scaleb`` would round to 28 digits).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

TABLES_CHECKED: Final = "2026-12-01"

STRIPE_ZERO_DECIMAL: Final = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
STRIPE_THREE_DECIMAL: Final = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

ADYEN_ZERO_DECIMAL: Final = frozenset(
    {"CVE", "DJF", "GNF", "IDR", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
ADYEN_THREE_DECIMAL: Final = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def stripe_exponent(currency: str) -> int:
    """Stripe's exponent for an upper-case currency code."""
    if currency in STRIPE_ZERO_DECIMAL:
        return 0
    if currency in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def adyen_exponent(currency: str) -> int:
    """Adyen's exponent for an upper-case currency code."""
    if currency in ADYEN_ZERO_DECIMAL:
        return 0
    if currency in ADYEN_THREE_DECIMAL:
        return 3
    return 2


def from_minor(minor: int, exponent: int) -> Decimal:
    """``minor / 10**exponent`` exactly (1999, 2 -> ``19.99``; 1999, 0 -> ``1999``)."""
    sign = 1 if minor < 0 else 0
    digits = tuple(int(d) for d in str(abs(minor)))
    return Decimal((sign, digits, -exponent))


def to_minor(amount: Decimal, exponent: int) -> int:
    """Inverse of :func:`from_minor`; ValueError when ``amount`` has finer digits than the exponent."""
    sign, digits, exp = amount.as_tuple()
    if not isinstance(exp, int):
        raise ValueError("amount must be finite")
    shift = exp + exponent
    if shift < 0:
        kept, dropped = digits[:shift], digits[shift:]
        if any(dropped):
            raise ValueError("amount has more decimals than the currency")
        digits, shift = kept, 0
    value = int("".join(map(str, digits)) + "0" * shift or "0")
    return -value if sign else value
