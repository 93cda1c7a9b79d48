"""Quarantine: a copy of every authentic event whose payload was refused.

An event whose signature verified but whose body failed parsing or validation
still gets its 400, and a copy goes to an SQS queue encrypted with the stack's
CMK (``QUARANTINE_QUEUE_URL``; unset = no quarantine).  Nothing authentic is
lost: after a fix, ``python -m webhook_cli.replay`` re-drives the copies.

The copy holds what is needed to re-verify and re-send the event: the raw
body bytes (base64, so the HMAC still matches byte for byte), the signature
headers (``webhook-*`` for Standard Webhooks, ``stripe-signature`` for Stripe;
Adyen's signatures are inside the body) and the content type, the provider
and the path it came in on, the reason of the refusal and the time it
arrived.  Nothing else of the request (no source IP, no other headers).
``eventId`` is the id known when the event was refused: the ``webhook-id``
on ``/``, the Stripe event ``id`` when the body has one, else ``""``.

If the copy cannot be written, the request is answered 5xx instead of 400 so
the provider retries: a silently lost event is worse than a retried one.
Throttling, AWS faults and timeouts -> 503 ``quarantine_unavailable``; any
other AWS error (queue missing, access denied, KMS refused) -> 500
``quarantine_error``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from webhook.aws import error_code, is_aws_error, is_retryable
from webhook.errors import WebhookError

SCHEMA = "webhook-quarantine/1"
# The headers a replay needs: the signature triple (to re-verify) and the content type.
KEPT_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature", "stripe-signature", "content-type")


class SqsClient(Protocol):
    def send_message(self, **kwargs: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class QuarantinedEvent:
    event_id: str
    received_at: str
    reason_code: str
    reason_message: str
    headers: Mapping[str, str]
    body: bytes
    provider: str = "standard"  # standard | stripe | adyen
    path: str = "/"  # the rawPath it was delivered to

    def to_message(self) -> str:
        """The SQS message body: JSON, ASCII only (safe for SQS's character set)."""
        return json.dumps(
            {
                "schema": SCHEMA,
                "eventId": self.event_id,
                "provider": self.provider,
                "path": self.path,
                "receivedAt": self.received_at,
                "reason": {"code": self.reason_code, "message": self.reason_message},
                "headers": {name: self.headers[name] for name in KEPT_HEADERS if name in self.headers},
                "bodyEncoding": "base64",
                "body": base64.b64encode(self.body).decode("ascii"),
                "bodySha256": hashlib.sha256(self.body).hexdigest(),
            },
            separators=(",", ":"),
        )


def decode_message(text: str) -> QuarantinedEvent:
    """Inverse of :meth:`QuarantinedEvent.to_message` (used by the replay tool); ValueError if malformed."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("bodyEncoding") != "base64":
        raise ValueError("not a quarantine message")
    body = base64.b64decode(data["body"], validate=True)
    if hashlib.sha256(body).hexdigest() != data.get("bodySha256"):
        raise ValueError("body digest mismatch")
    headers = data.get("headers")
    reason = data.get("reason")
    if not isinstance(headers, dict) or not isinstance(reason, dict):
        raise ValueError("not a quarantine message")
    return QuarantinedEvent(
        event_id=str(data["eventId"]),
        received_at=str(data["receivedAt"]),
        reason_code=str(reason.get("code")),
        reason_message=str(reason.get("message")),
        headers={str(k): str(v) for k, v in headers.items()},
        body=body,
        provider=str(data.get("provider", "standard")),
        path=str(data.get("path", "/")),
    )


class SqsQuarantine:
    """Sends :class:`QuarantinedEvent` copies to one SQS queue."""

    def __init__(self, client: Callable[[], SqsClient], queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def put(self, event: QuarantinedEvent) -> None:
        try:
            self._client().send_message(QueueUrl=self._queue_url, MessageBody=event.to_message())
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            detail = error_code(exc) or type(exc).__name__
            if is_retryable(exc):
                raise WebhookError(
                    503, "quarantine_unavailable", "the rejected event could not be kept, retry later", detail=detail
                ) from None
            raise WebhookError(500, "quarantine_error", "the rejected event could not be kept", detail=detail) from None
