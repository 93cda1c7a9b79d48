"""Lambda entry point (Terraform ``handler = "handler.handler"``).

A thin shell: all work happens in :class:`webhook.service.WebhookService`,
wired to SSM and DynamoDB by :mod:`webhook.wiring`.  See README.md beside
this file for the behaviour and the choices the contract leaves open.
"""

from __future__ import annotations

import os
from typing import Any

from webhook import aws, wiring
from webhook.service import WebhookService

_service = WebhookService(wiring.from_environment, enabled=wiring.enabled)

# Inside a Lambda execution environment, the clients of every request are made during init
# (captured by SnapStart and provisioned concurrency; see webhook/aws.py).
if os.environ.get("AWS_LAMBDA_RUNTIME_API"):
    aws.warm_up(("ssm", "dynamodb"))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service.handle(event, context)
