"""One reconciliation run: list the events Stripe failed to deliver, store each as a ``/stripe`` delivery would be.

Each page's events are recorded before the next page is requested, so a run
that fails later keeps what it stored.  Mapping is the webhook path's own
(:func:`webhook.providers.stripe.map_delivery` on the event's text) and storing
goes through :func:`webhook.recording.record_event`, so an event that arrives
both ways is stored once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from webhook.errors import WebhookError
from webhook.providers import stripe
from webhook.providers.common import VerifiedDelivery
from webhook.quarantine import QuarantinedEvent
from webhook.reconcile.client import StripeEventsClient
from webhook.reconcile.page import ListedEvent, parse_page
from webhook.recording import PaymentStore, TransactionStore, record_event
from webhook.service import QuarantineSink
from webhook.timestamps import utc_from_epoch

# The Stripe event types the payment status maps (webhook/status_map.py).
EVENT_TYPES = (
    "payment_intent.created",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.succeeded",
    "charge.refunded",
    "charge.dispute.created",
)
PAGE_LIMIT = 100


@dataclass
class Counts:
    listed: int = 0
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    refused: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def list_params(created_gte: int, starting_after: str | None) -> list[tuple[str, str]]:
    params = [("delivery_success", "false"), ("created[gte]", str(created_gte))]
    params += [("types[]", event_type) for event_type in EVENT_TYPES]
    params.append(("limit", str(PAGE_LIMIT)))
    if starting_after is not None:
        params.append(("starting_after", starting_after))
    return params


class Reconciler:
    def __init__(
        self,
        client: StripeEventsClient,
        store: TransactionStore,
        payments: PaymentStore | None,
        *,
        quarantine: QuarantineSink | None = None,
        retention_days: int | None = None,
        lookback_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._store = store
        self._payments = payments
        self._quarantine = quarantine
        self._retention_days = retention_days
        self._lookback = lookback_seconds
        self._clock = clock

    def run(self, counts: Counts | None = None) -> Counts:
        """Every page, recorded page by page; a Stripe or storage failure raises (what was stored stays).

        ``counts`` (filled in as the run goes) lets a caller report what a failed run did before it failed.
        """
        counts = Counts() if counts is None else counts
        created_gte = int(self._clock()) - self._lookback
        starting_after: str | None = None
        while True:
            page = parse_page(self._client.list_events(list_params(created_gte, starting_after)))
            for event in page.events:
                self._record(event, counts)
            if not page.has_more or not page.events or not page.events[-1].event_id:
                return counts
            starting_after = page.events[-1].event_id

    def _record(self, event: ListedEvent, counts: Counts) -> None:
        counts.listed += 1
        received_at = utc_from_epoch(self._clock())
        delivery = VerifiedDelivery(raw=event.text.encode("utf-8"), headers={})
        try:
            mapped = stripe.map_delivery(delivery)
        except WebhookError as exc:
            if exc.status != 400:
                raise
            counts.refused += 1
            if self._quarantine is not None:
                self._quarantine.put(
                    QuarantinedEvent(
                        event.event_id if len(event.event_id) <= 256 else "",
                        received_at,
                        exc.code,
                        exc.message,
                        {},
                        delivery.raw,
                        provider="stripe",
                        path="/stripe",
                    )
                )
            return
        if not mapped.records:
            counts.ignored += 1
            return
        for record in mapped.records:
            stored = record_event(
                self._store,
                self._payments,
                record,
                received_at,
                received_via="api",
                retention_days=self._retention_days,
            )
            if stored.written:
                counts.stored += 1
            else:
                counts.duplicates += 1
