"""Production dependencies: settings from the environment, real boto3 clients.

Settings are read on every request (cheap) and the dependencies built from
them are cached per container, so the secret caches (one per provider
parameter) and the clients survive between invocations of a warm function.
"""

from __future__ import annotations

import os
from functools import partial

from webhook.aws import client, reset_clients
from webhook.config import Settings, load_settings, provider_enabled
from webhook.payments import DynamoPaymentStore
from webhook.providers import PROVIDERS
from webhook.quarantine import SqsQuarantine
from webhook.secret_store import DEFAULT_TTL_SECONDS, SsmSecretSource
from webhook.service import Dependencies, SecretSource
from webhook.storage import DynamoTransactionStore

SECRET_TTL_SECONDS = DEFAULT_TTL_SECONDS
_cache: dict[Settings, Dependencies] = {}


def _secret_source(provider: str, parameter: str) -> SsmSecretSource:
    return SsmSecretSource(
        partial(client, "ssm"),
        parameter,
        ttl_seconds=SECRET_TTL_SECONDS,
        decode=PROVIDERS[provider].decode_secret,
        provider=provider,
    )


def from_environment() -> Dependencies:
    settings = load_settings(os.environ)
    deps = _cache.get(settings)
    if deps is None:
        sources: dict[str, SecretSource] = {
            provider: _secret_source(provider, parameter)
            for provider, parameter in settings.secret_parameters().items()
        }
        deps = Dependencies(
            secrets=sources.pop("standard", None),
            store=DynamoTransactionStore(partial(client, "dynamodb"), settings.table_name),
            tolerance_seconds=settings.tolerance_seconds,
            quarantine=(
                SqsQuarantine(partial(client, "sqs"), settings.quarantine_queue_url)
                if settings.quarantine_queue_url
                else None
            ),
            provider_secrets=sources,
            payments=(
                DynamoPaymentStore(partial(client, "dynamodb"), settings.payments_table_name)
                if settings.payments_table_name
                else None
            ),
            retention_days=settings.event_retention_days,
        )
        _cache.clear()
        _cache[settings] = deps
    return deps


def enabled(provider: str) -> bool:
    """Whether ``provider`` is switched on in this function's environment (routing, before anything else)."""
    return provider_enabled(os.environ, provider)


def reset(*, clients: bool = True) -> None:
    """Forget cached dependencies (the secret caches with them) and, by default, clients (tests)."""
    _cache.clear()
    if clients:
        reset_clients()
