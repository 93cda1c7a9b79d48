"""Function settings read from the environment.

``TABLE_NAME`` and ``WEBHOOK_SECRET_PARAM`` are required;
``SIGNATURE_TOLERANCE_SECONDS`` is optional (default 300) and must be a
whole number of seconds between 1 and 86400.  ``QUARANTINE_QUEUE_URL`` is
optional: unset or empty means no quarantine (see :mod:`webhook.quarantine`).
The secret itself is never in the environment, only the name of the SSM
parameter that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_TOLERANCE_SECONDS = 300
MAX_TOLERANCE_SECONDS = 86_400
_INT_RE = re.compile(r"[0-9]{1,6}")
_QUEUE_URL_RE = re.compile(r"https?://[\x21-\x7e]{1,1000}")


class ConfigError(Exception):
    """The function is misconfigured (a server-side failure, never the sender's)."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    secret_parameter: str
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    quarantine_queue_url: str | None = None


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build :class:`Settings` from ``environ`` or raise :class:`ConfigError`."""
    table = environ.get("TABLE_NAME", "").strip()
    parameter = environ.get("WEBHOOK_SECRET_PARAM", "").strip()
    if not table:
        raise ConfigError("TABLE_NAME is not set")
    if not parameter:
        raise ConfigError("WEBHOOK_SECRET_PARAM is not set")
    queue = environ.get("QUARANTINE_QUEUE_URL", "").strip() or None
    if queue is not None and not _QUEUE_URL_RE.fullmatch(queue):
        raise ConfigError("QUARANTINE_QUEUE_URL is not a queue URL")
    raw = environ.get("SIGNATURE_TOLERANCE_SECONDS", "").strip()
    if not raw:
        return Settings(table, parameter, quarantine_queue_url=queue)
    if not _INT_RE.fullmatch(raw):
        raise ConfigError("SIGNATURE_TOLERANCE_SECONDS must be a whole number")
    tolerance = int(raw)
    if not 1 <= tolerance <= MAX_TOLERANCE_SECONDS:
        raise ConfigError("SIGNATURE_TOLERANCE_SECONDS is out of range")
    return Settings(table, parameter, tolerance, queue)
