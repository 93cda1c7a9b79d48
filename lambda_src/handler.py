"""Lambda entry point (Terraform ``handler = "handler.handler"``).

A thin shell: all work happens in :class:`webhook.service.WebhookService`,
wired to SSM and DynamoDB by :mod:`webhook.wiring`.  See README.md beside
this file for the behaviour and the choices the contract leaves open.
"""

from __future__ import annotations

from typing import Any

from webhook import wiring
from webhook.service import WebhookService

_service = WebhookService(wiring.from_environment, enabled=wiring.enabled)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service.handle(event, context)
