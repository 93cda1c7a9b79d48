"""One batch of stream records, in stream order: publish each record's message to
every destination, and stop at the first record that cannot be published.

The answer names that record (``batchItemFailures``), so Lambda retries from it and
nothing after it in the batch goes out first: a later record of the same payment
must never overtake it. ``{"batchItemFailures": []}`` when every record was handled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from webhook.events_out.destinations import Destination, PublishError
from webhook.events_out.messages import message_for
from webhook.events_out.records import RecordError, decode_record
from webhook.logline import format_record, write_line


@dataclass(frozen=True)
class PublisherSettings:
    table_name: str
    payments_table_name: str
    environment_suffix: str


class Publisher:
    def __init__(
        self,
        settings: PublisherSettings,
        destinations: Sequence[Destination],
        *,
        log: Callable[[str], None] = write_line,
    ) -> None:
        self._settings = settings
        self._destinations = destinations
        self._log = log

    def handle(self, event: Mapping[str, Any], context: object = None) -> dict[str, Any]:
        started = time.perf_counter()
        records = event.get("Records") or []
        published = skipped = 0
        failure: dict[str, str] | None = None
        for record in records:
            sequence = _sequence(record)
            try:
                decoded = decode_record(record)
                message = message_for(
                    decoded,
                    table_name=self._settings.table_name,
                    payments_table_name=self._settings.payments_table_name,
                    suffix=self._settings.environment_suffix,
                )
                if message is None:
                    skipped += 1
                    continue
                for destination in self._destinations:
                    destination.send(message)
                published += 1
            except (RecordError, PublishError) as exc:
                failure = {"itemIdentifier": sequence, "detail": str(exc)}
                break
        self._log(
            format_record(
                {
                    "requestId": getattr(context, "aws_request_id", None),
                    "outcome": "failed" if failure else "published",
                    "records": len(records),
                    "published": published,
                    "skipped": skipped,
                    "failedSequenceNumber": failure["itemIdentifier"] if failure else None,
                    "detail": failure["detail"] if failure else None,
                    "latencyMs": round((time.perf_counter() - started) * 1000, 3),
                }
            )
        )
        return {"batchItemFailures": [{"itemIdentifier": failure["itemIdentifier"]}] if failure else []}


def _sequence(record: Mapping[str, Any]) -> str:
    dynamodb = record.get("dynamodb")
    value = dynamodb.get("SequenceNumber") if isinstance(dynamodb, Mapping) else None
    return value if isinstance(value, str) else ""
