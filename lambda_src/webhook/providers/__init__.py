"""Routing on ``rawPath`` (exact match): ``/`` and ``/standard``, ``/stripe``, ``/adyen``.

docs/behaviour.md, "Providers".
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
