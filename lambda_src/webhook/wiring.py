"""Production dependencies: settings from the environment, real boto3 clients.

Settings are read on every request (cheap) and the dependencies built from
them are cached per container, so the secret cache and the clients survive
between invocations of a warm function.
"""

from __future__ import annotations

import os
from functools import partial

from webhook.aws import client, reset_clients
from webhook.config import Settings, load_settings
from webhook.quarantine import SqsQuarantine
from webhook.secret_store import DEFAULT_TTL_SECONDS, SsmSecretSource
from webhook.service import Dependencies
from webhook.storage import DynamoTransactionStore

SECRET_TTL_SECONDS = DEFAULT_TTL_SECONDS
_cache: dict[Settings, Dependencies] = {}


def from_environment() -> Dependencies:
    settings = load_settings(os.environ)
    deps = _cache.get(settings)
    if deps is None:
        deps = Dependencies(
            secrets=SsmSecretSource(partial(client, "ssm"), settings.secret_parameter, ttl_seconds=SECRET_TTL_SECONDS),
            store=DynamoTransactionStore(partial(client, "dynamodb"), settings.table_name),
            tolerance_seconds=settings.tolerance_seconds,
            quarantine=(
                SqsQuarantine(partial(client, "sqs"), settings.quarantine_queue_url)
                if settings.quarantine_queue_url
                else None
            ),
        )
        _cache.clear()
        _cache[settings] = deps
    return deps


def reset(*, clients: bool = True) -> None:
    """Forget cached dependencies (the secret cache with them) and, by default, clients (tests)."""
    _cache.clear()
    if clients:
        reset_clients()
