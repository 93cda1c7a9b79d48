"""Lambda entry point of the publisher (Terraform ``handler = "publisher.handler"``).

Fed by the two tables' stream mappings; the work is in :mod:`webhook.events_out`.
Environment: ``TABLE_NAME``, ``PAYMENTS_TABLE_NAME`` (the streams are told apart by
the table name in each record's ``eventSourceARN``), ``EVENTS_QUEUE_URL``,
``EVENT_BUS_NAME`` (unset or empty: no bus), ``ENVIRONMENT_SUFFIX``.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

from webhook import aws
from webhook.events_out.destinations import Destination, EventBus, FifoQueue
from webhook.events_out.publisher import Publisher, PublisherSettings


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> Publisher:
    suffix = environ.get("ENVIRONMENT_SUFFIX", "").strip()
    destinations: list[Destination] = [FifoQueue(partial(aws.client, "sqs"), environ["EVENTS_QUEUE_URL"])]
    bus = environ.get("EVENT_BUS_NAME", "").strip()
    if bus:
        destinations.append(EventBus(partial(aws.client, "events"), bus, suffix))
    settings = PublisherSettings(environ["TABLE_NAME"], environ.get("PAYMENTS_TABLE_NAME", ""), suffix)
    return Publisher(settings, destinations)


_publisher: list[Publisher] = []


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if not _publisher:
        _publisher.append(from_environment())
    return _publisher[0].handle(event, context)
