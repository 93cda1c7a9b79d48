"""The request pipeline in the documented order; see lambda_src/README.md, "Responses".

docs/behaviour.md: "Receiving a delivery", "Providers", "Payment status".

route (404) -> method (405) -> size (413) -> the provider's verify (401) ->
parse + map (400; an authentic refusal is quarantined first) -> per record: the
event write, then the payment write when configured -> the provider's 200.
Server-side failures become sanitized 5xx; a 2xx only after every write.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from webhook.config import DEFAULT_TOLERANCE_SECONDS, ConfigError
from webhook.errors import WebhookError
from webhook.logline import format_record, write_line
from webhook.parsing import decode
from webhook.providers import route
from webhook.providers.common import EventRecord, Provider, StoredRecord, VerifiedDelivery
from webhook.quarantine import QuarantinedEvent
from webhook.recording import PaymentStore, TransactionStore, record_event
from webhook.request import body_of, headers_of, method_of, path_of
from webhook.responses import error_response
from webhook.signature import SignatureError
from webhook.timestamps import utc_from_epoch


class SecretSource(Protocol):
    def keys(self) -> Sequence[bytes]: ...


class QuarantineSink(Protocol):
    def put(self, event: QuarantinedEvent) -> None: ...


@dataclass(frozen=True)
class Dependencies:
    secrets: SecretSource | None  # the standard receiver's (WEBHOOK_SECRET_PARAM); None: unset
    store: TransactionStore
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    quarantine: QuarantineSink | None = None  # None: refused events are not kept (QUARANTINE_QUEUE_URL unset)
    provider_secrets: Mapping[str, SecretSource] = field(default_factory=dict)  # stripe / adyen, when enabled
    payments: PaymentStore | None = None  # None: no payment-status table (PAYMENTS_TABLE_NAME unset)
    retention_days: int | None = None  # None: event items never expire (EVENT_RETENTION_DAYS unset)

    def secrets_for(self, provider: str) -> SecretSource | None:
        return self.secrets if provider == "standard" else self.provider_secrets.get(provider)


def _all_enabled(provider: str) -> bool:
    return True


class _Outcome:
    __slots__ = ("detail", "event_id", "events", "name", "provider", "quarantined", "transaction_id")

    def __init__(self) -> None:
        self.name = "accepted"  # accepted | duplicate | ignored | rejected (4xx) | error (5xx)
        self.provider: str | None = None
        self.events: int | None = None  # records of a batch (Adyen), when more than one
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
        enabled: Callable[[str], bool] = _all_enabled,
    ) -> None:
        self._dependencies = dependencies
        self._clock = clock
        self._log = log
        self._enabled = enabled

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
                "provider": outcome.provider,
                "events": outcome.events,
            }
        )
        with contextlib.suppress(Exception):  # a failing log sink must not change the answer
            self._log(record)
        return response

    def _route(self, event: object) -> Provider:
        provider = route(path_of(event))
        if provider is None or not self._enabled(provider.name):
            raise WebhookError(404, "unknown_provider", "no webhook receiver at this path")
        return provider

    def _process(self, event: object, outcome: _Outcome) -> dict[str, Any]:
        provider = self._route(event)
        outcome.provider = provider.name
        if method_of(event) != "POST":
            raise WebhookError(405, "method_not_allowed", "only POST is allowed")
        raw = body_of(event)
        headers = headers_of(event)
        try:
            deps = self._dependencies()
        except ConfigError as exc:
            raise WebhookError(500, "configuration_error", "the function is misconfigured", detail=str(exc)) from None
        secrets = deps.secrets_for(provider.name)
        if secrets is None:
            if provider.name == "standard":
                detail = f"{provider.secret_variable} is not set"
                raise WebhookError(500, "configuration_error", "the function is misconfigured", detail=detail)
            raise WebhookError(404, "unknown_provider", "no webhook receiver at this path")
        keys = secrets.keys()
        now = self._clock()
        try:
            if raw is None:
                raise SignatureError("request body could not be decoded, so its signature cannot be verified")
            delivery = provider.verify(headers, raw, keys, tolerance_seconds=deps.tolerance_seconds, now=now)
        except SignatureError as exc:
            raise WebhookError(401, "invalid_signature", str(exc)) from None
        outcome.event_id = delivery.event_id
        received_at = utc_from_epoch(now)
        try:
            mapped = provider.map_delivery(delivery)
        except WebhookError as exc:
            if deps.quarantine is not None and exc.status == 400:
                # Authentic but refused: keep a copy before answering 400 (a failure here is a 5xx).
                deps.quarantine.put(self._quarantined(provider, event, delivery, received_at, exc))
                outcome.quarantined = True
            raise
        if mapped.ignored_event_id is not None:
            outcome.name, outcome.event_id = "ignored", mapped.ignored_event_id
        stored: list[StoredRecord] = []
        for record in mapped.records:
            outcome.transaction_id, outcome.event_id = record.transaction.transaction_id, record.event_id
            stored.append(self._store(deps, record, received_at))
        if stored:
            outcome.events = len(stored) if len(stored) > 1 else None
            outcome.name = "accepted" if any(one.written for one in stored) else "duplicate"
        return provider.respond(mapped, stored)

    @staticmethod
    def _store(deps: Dependencies, record: EventRecord, received_at: str) -> StoredRecord:
        return record_event(
            deps.store, deps.payments, record, received_at, received_via="webhook", retention_days=deps.retention_days
        )

    @staticmethod
    def _quarantined(
        provider: Provider, event: object, delivery: VerifiedDelivery, received_at: str, exc: WebhookError
    ) -> QuarantinedEvent:
        event_id = delivery.event_id or _body_event_id(delivery)
        return QuarantinedEvent(
            event_id,
            received_at,
            exc.code,
            exc.message,
            delivery.headers,
            delivery.raw,
            provider=provider.name,
            path=path_of(event),
        )


def _body_event_id(delivery: VerifiedDelivery) -> str:
    """The Stripe event ``id`` of a refused body, when it has one (best effort, for the quarantine copy)."""
    try:
        data = decode(delivery.raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and len(value) <= 256 else ""
