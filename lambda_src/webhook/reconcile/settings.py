"""The reconciler's settings from the environment (the tables, queue and retention as the receiver reads them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from webhook.config import ConfigError, Settings, load_settings
from webhook.reconcile.client import DEFAULT_API_BASE

DEFAULT_LOOKBACK_SECONDS = 2_592_000  # 30 days: as far back as Stripe's events API keeps events
_SECONDS_RE = re.compile(r"[0-9]{1,8}")
_BASE_RE = re.compile(r"https?://[\x21-\x7e]{1,500}")


@dataclass(frozen=True)
class ReconcileSettings:
    storage: Settings  # TABLE_NAME, PAYMENTS_TABLE_NAME, QUARANTINE_QUEUE_URL, EVENT_RETENTION_DAYS
    api_key_parameter: str
    api_base: str = DEFAULT_API_BASE
    api_version: str | None = None
    lookback_seconds: int = DEFAULT_LOOKBACK_SECONDS


def load_reconcile_settings(environ: Mapping[str, str]) -> ReconcileSettings:
    """Build :class:`ReconcileSettings` or raise :class:`ConfigError`."""
    storage = load_settings(environ)
    parameter = environ.get("STRIPE_API_KEY_PARAM", "").strip()
    if not parameter:
        raise ConfigError("STRIPE_API_KEY_PARAM is not set")
    base = environ.get("STRIPE_API_BASE", "").strip() or DEFAULT_API_BASE
    if not _BASE_RE.fullmatch(base):
        raise ConfigError("STRIPE_API_BASE is not an http(s) URL")
    lookback = DEFAULT_LOOKBACK_SECONDS
    raw = environ.get("RECONCILE_LOOKBACK_SECONDS", "").strip()
    if raw:
        if not _SECONDS_RE.fullmatch(raw) or int(raw) < 1:
            raise ConfigError("RECONCILE_LOOKBACK_SECONDS must be a whole number of seconds")
        lookback = int(raw)
    version = environ.get("STRIPE_API_VERSION", "").strip() or None
    return ReconcileSettings(storage, parameter, base, version, lookback)
