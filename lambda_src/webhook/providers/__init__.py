"""Routing on the Function URL's ``rawPath``: one provider module per path (CONTRACT §4).

=============  ===========  ========================
path           provider     secret parameter named by
=============  ===========  ========================
``/``          standard     ``WEBHOOK_SECRET_PARAM``
``/standard``  standard     ``WEBHOOK_SECRET_PARAM``
``/stripe``    stripe       ``STRIPE_SECRET_PARAM``
``/adyen``     adyen        ``ADYEN_HMAC_KEY_PARAM``
=============  ===========  ========================

Paths match exactly (case-sensitive, no trailing slash, the query string is
not part of ``rawPath``).
"""

from __future__ import annotations

from typing import Final

from webhook.providers import adyen, standard, stripe
from webhook.providers.common import Provider

PROVIDERS: Final[dict[str, Provider]] = {p.name: p for p in (standard.PROVIDER, stripe.PROVIDER, adyen.PROVIDER)}
ROUTES: Final[dict[str, Provider]] = {
    "/": standard.PROVIDER,
    "/standard": standard.PROVIDER,
    "/stripe": stripe.PROVIDER,
    "/adyen": adyen.PROVIDER,
}


def route(raw_path: str) -> Provider | None:
    """The provider serving ``raw_path``, or None (404)."""
    return ROUTES.get(raw_path)
