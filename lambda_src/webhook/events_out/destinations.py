"""Where a message goes: the SQS FIFO queue (one group per payment) and the EventBridge bus.

Each raises :class:`PublishError` when the message was not accepted, so the
publisher stops at that record (a later record of the same payment must not go first).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from webhook.aws import error_code
from webhook.events_out.messages import Message, bus_source_of


class PublishError(Exception):
    """A destination did not accept a message (detail: an error code, never a resource name)."""


class Destination(Protocol):
    def send(self, message: Message) -> None: ...


class SqsClient(Protocol):
    def send_message(self, **kwargs: Any) -> Mapping[str, Any]: ...


class EventsClient(Protocol):
    def put_events(self, **kwargs: Any) -> Mapping[str, Any]: ...


def deduplication_id(message_id: str) -> str:
    """Lower-case hex SHA-256 of the message id (SQS allows 128 characters; ids may be longer)."""
    return hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()


class FifoQueue:
    def __init__(self, client: Callable[[], SqsClient], queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, message: Message) -> None:
        try:
            self._client().send_message(
                QueueUrl=self._url,
                MessageBody=message.body(),
                MessageGroupId=message.transaction_id,
                MessageDeduplicationId=deduplication_id(message.id),
            )
        except Exception as exc:
            raise PublishError(f"queue: {error_code(exc) or type(exc).__name__}") from None


class EventBus:
    def __init__(self, client: Callable[[], EventsClient], bus_name: str, suffix: str) -> None:
        self._client = client
        self._bus = bus_name
        self._source = bus_source_of(suffix)

    def send(self, message: Message) -> None:
        entry = {
            "EventBusName": self._bus,
            "Source": self._source,
            "DetailType": message.type,
            "Detail": message.body(),
        }
        try:
            answer = self._client().put_events(Entries=[entry])
        except Exception as exc:
            raise PublishError(f"bus: {error_code(exc) or type(exc).__name__}") from None
        if answer.get("FailedEntryCount", 0):
            entries = answer.get("Entries") or [{}]
            raise PublishError(f"bus: {entries[0].get('ErrorCode', 'FailedEntry')}")
