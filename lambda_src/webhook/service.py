"""The request pipeline, in the order the contract fixes.

1. method other than POST -> 405
2. decoded body above 256 KiB -> 413
3. signature on the raw bytes (before any parsing) -> 401
4. UTF-8 JSON object -> 400
5. field rules -> 400 naming the field
   (an authentic event refused at 4. or 5. is first copied to the quarantine
   queue when one is configured; if that copy fails -> 5xx, so it is retried)
6. conditional write -> 200 accepted / 200 duplicate

Server-side failures (configuration, secret, storage, anything unexpected)
become sanitized 5xx responses.  A 2xx is returned only after PutItem
succeeded or reported that the item was already there.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from webhook.config import DEFAULT_TOLERANCE_SECONDS, ConfigError
from webhook.errors import WebhookError
from webhook.logline import format_record, write_line
from webhook.parsing import parse_object
from webhook.quarantine import QuarantinedEvent
from webhook.request import body_of, headers_of, method_of
from webhook.responses import error_response, event_response
from webhook.signature import SignatureError, verify
from webhook.storage import StoredEvent
from webhook.validation import validate


class SecretSource(Protocol):
    def keys(self) -> Sequence[bytes]: ...


class TransactionStore(Protocol):
    def put(self, event: StoredEvent) -> bool: ...


class QuarantineSink(Protocol):
    def put(self, event: QuarantinedEvent) -> None: ...


@dataclass(frozen=True)
class Dependencies:
    secrets: SecretSource
    store: TransactionStore
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    quarantine: QuarantineSink | None = None  # None: refused events are not kept (QUARANTINE_QUEUE_URL unset)


def utc_iso(epoch_seconds: float) -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2025-01-31T12:00:00.123Z``."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Outcome:
    __slots__ = ("detail", "event_id", "name", "quarantined", "transaction_id")

    def __init__(self) -> None:
        self.name = "accepted"  # accepted | duplicate | rejected (4xx) | error (5xx)
        self.transaction_id: str | None = None
        self.event_id: str | None = None
        self.detail: str | None = None
        self.quarantined: bool | None = None


class WebhookService:
    """Turns a Function URL event into a response; dependencies are injected."""

    def __init__(
        self,
        dependencies: Callable[[], Dependencies],
        *,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] = write_line,
    ) -> None:
        self._dependencies = dependencies
        self._clock = clock
        self._log = log

    def handle(self, event: object, context: object) -> dict[str, Any]:
        started = time.perf_counter()
        outcome = _Outcome()
        code: str | None = None
        try:
            response = self._process(event, outcome)
        except WebhookError as exc:
            code, outcome.detail = exc.code, exc.detail
            outcome.name = "error" if exc.status >= 500 else "rejected"
            headers = {"allow": "POST"} if exc.status == 405 else None
            response = error_response(exc.status, exc.code, exc.message, headers)
        except Exception as exc:  # last line of defence: never leak, always 5xx
            code, outcome.detail = "internal_error", type(exc).__name__
            outcome.name = "error"
            response = error_response(500, code, "internal error")
        record = format_record(
            {
                "requestId": getattr(context, "aws_request_id", None),
                "outcome": outcome.name,
                "statusCode": response["statusCode"],
                "errorCode": code,
                "transactionId": outcome.transaction_id,
                "eventId": outcome.event_id,
                "latencyMs": round((time.perf_counter() - started) * 1000, 3),
                "detail": outcome.detail,
                "quarantined": outcome.quarantined,
            }
        )
        with contextlib.suppress(Exception):  # a failing log sink must not change the answer
            self._log(record)
        return response

    def _process(self, event: object, outcome: _Outcome) -> dict[str, Any]:
        if method_of(event) != "POST":
            raise WebhookError(405, "method_not_allowed", "only POST is allowed")
        raw = body_of(event)
        headers = headers_of(event)
        try:
            deps = self._dependencies()
        except ConfigError as exc:
            raise WebhookError(500, "configuration_error", "the function is misconfigured", detail=str(exc)) from None
        keys = deps.secrets.keys()
        now = self._clock()
        try:
            event_id = verify(headers, raw, keys, tolerance_seconds=deps.tolerance_seconds, now=now)
        except SignatureError as exc:
            raise WebhookError(401, "invalid_signature", str(exc)) from None
        outcome.event_id = event_id
        try:
            parsed = parse_object(raw)
            transaction = validate(parsed.data, parsed.duplicate_keys)
        except WebhookError as exc:
            if deps.quarantine is not None and exc.status == 400:
                # Authentic but refused: keep a copy before answering 400 (a failure here is a 5xx).
                deps.quarantine.put(QuarantinedEvent(event_id, utc_iso(now), exc.code, exc.message, headers, raw))
                outcome.quarantined = True
            raise
        outcome.transaction_id = transaction.transaction_id
        written = deps.store.put(StoredEvent(transaction, event_id, utc_iso(now), parsed.text))
        outcome.name = "accepted" if written else "duplicate"
        return event_response(outcome.name, transaction.transaction_id, event_id)
