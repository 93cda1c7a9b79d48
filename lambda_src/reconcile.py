"""Lambda entry point of the reconciler (Terraform ``handler = "reconcile.handler"``), run on a schedule.

Lists the Stripe events that were not delivered and stores them as deliveries
would be (see :mod:`webhook.reconcile.run`).  Returns and logs one JSON line of
counts; a refused key or a persistent Stripe failure raises, so the run fails
(the function's Errors metric, which the reconciler alarm reads).  A failed run
first logs one line with what it had done and why it stopped: the error's
class and, for the reconciler's own errors, their message (never the key).
"""

from __future__ import annotations

import contextlib
from typing import Any

from webhook.config import ConfigError
from webhook.errors import WebhookError
from webhook.logline import format_record, write_line
from webhook.reconcile import wiring
from webhook.reconcile.client import StripeError
from webhook.reconcile.page import PageError
from webhook.reconcile.run import Counts

# Errors whose messages are written for operators (no key, no body, no ARN).
_OWN_ERRORS = (StripeError, PageError, ConfigError)


def handler(event: Any, context: Any) -> dict[str, int]:
    counts = Counts()
    try:
        wiring.from_environment().run(counts)
    except Exception as exc:
        with contextlib.suppress(Exception):  # a failing log sink must not hide the error
            write_line(format_record(_failure(exc, counts)))
        raise
    result = counts.as_dict()
    write_line(format_record(result))
    return result


def _failure(exc: Exception, counts: Counts) -> dict[str, Any]:
    detail: str | None = None
    if isinstance(exc, _OWN_ERRORS):
        detail = str(exc)
    elif isinstance(exc, WebhookError):  # a storage or quarantine failure: its code and AWS error code
        detail = f"{exc.code} ({exc.detail})" if exc.detail else exc.code
    return {"outcome": "error", "error": type(exc).__name__, "detail": detail, **counts.as_dict()}
