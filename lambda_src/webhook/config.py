"""Function settings read from the environment.

``TABLE_NAME`` is required.  ``WEBHOOK_SECRET_PARAM`` names the Standard
Webhooks secret of ``/`` and ``/standard``; when unset those paths answer 500
``configuration_error`` (docs/behaviour.md, "Providers"), the other paths work without it.
``STRIPE_SECRET_PARAM`` and ``ADYEN_HMAC_KEY_PARAM`` enable ``/stripe`` and
``/adyen``; unset or empty = that provider is off (404).
``SIGNATURE_TOLERANCE_SECONDS`` is optional (default 300) and must be a whole
number of seconds between 1 and 86400.  ``QUARANTINE_QUEUE_URL`` is optional:
unset or empty means no quarantine (see :mod:`webhook.quarantine`).
``PAYMENTS_TABLE_NAME`` is optional: unset or empty means no payment-status
table (docs/behaviour.md, "Payment status").  ``EVENT_RETENTION_DAYS`` is optional: unset or empty keeps
events forever; else every event item carries ``expiresAt`` for the table's TTL.
The secrets themselves are never in the environment, only the names of the SSM
parameters that hold them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_TOLERANCE_SECONDS = 300
MAX_TOLERANCE_SECONDS = 86_400
_INT_RE = re.compile(r"[0-9]{1,6}")
MAX_RETENTION_DAYS = 36_500
_QUEUE_URL_RE = re.compile(r"https?://[\x21-\x7e]{1,1000}")

# The environment variable that names each provider's secret parameter.
SECRET_VARIABLES: Mapping[str, str] = {
    "standard": "WEBHOOK_SECRET_PARAM",
    "stripe": "STRIPE_SECRET_PARAM",
    "adyen": "ADYEN_HMAC_KEY_PARAM",
}


class ConfigError(Exception):
    """The function is misconfigured (a server-side failure, never the sender's)."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    secret_parameter: str | None  # standard; None: unset
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    quarantine_queue_url: str | None = None
    stripe_secret_parameter: str | None = None
    adyen_secret_parameter: str | None = None
    payments_table_name: str | None = None
    event_retention_days: int | None = None  # None: events are kept forever

    def secret_parameters(self) -> dict[str, str]:
        """Provider name -> SSM parameter name, for the configured providers."""
        names = {
            "standard": self.secret_parameter,
            "stripe": self.stripe_secret_parameter,
            "adyen": self.adyen_secret_parameter,
        }
        return {provider: name for provider, name in names.items() if name}


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name, "").strip() or None


def provider_enabled(environ: Mapping[str, str], provider: str) -> bool:
    """Whether ``provider``'s secret variable is set (the standard receiver is always on)."""
    return provider == "standard" or _optional(environ, SECRET_VARIABLES[provider]) is not None


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build :class:`Settings` from ``environ`` or raise :class:`ConfigError`."""
    table = environ.get("TABLE_NAME", "").strip()
    if not table:
        raise ConfigError("TABLE_NAME is not set")
    queue = _optional(environ, "QUARANTINE_QUEUE_URL")
    if queue is not None and not _QUEUE_URL_RE.fullmatch(queue):
        raise ConfigError("QUARANTINE_QUEUE_URL is not a queue URL")
    tolerance = DEFAULT_TOLERANCE_SECONDS
    raw = environ.get("SIGNATURE_TOLERANCE_SECONDS", "").strip()
    if raw:
        if not _INT_RE.fullmatch(raw):
            raise ConfigError("SIGNATURE_TOLERANCE_SECONDS must be a whole number")
        tolerance = int(raw)
        if not 1 <= tolerance <= MAX_TOLERANCE_SECONDS:
            raise ConfigError("SIGNATURE_TOLERANCE_SECONDS is out of range")
    retention: int | None = None
    raw = environ.get("EVENT_RETENTION_DAYS", "").strip()
    if raw:
        if not _INT_RE.fullmatch(raw) or not 1 <= int(raw) <= MAX_RETENTION_DAYS:
            raise ConfigError(f"EVENT_RETENTION_DAYS must be a whole number of days from 1 to {MAX_RETENTION_DAYS}")
        retention = int(raw)
    return Settings(
        table,
        _optional(environ, "WEBHOOK_SECRET_PARAM"),
        tolerance,
        queue,
        _optional(environ, "STRIPE_SECRET_PARAM"),
        _optional(environ, "ADYEN_HMAC_KEY_PARAM"),
        _optional(environ, "PAYMENTS_TABLE_NAME"),
        retention,
    )
