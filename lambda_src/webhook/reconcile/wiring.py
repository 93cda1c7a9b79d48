"""The reconciler's production dependencies: the key from SSM, the receiver's stores and quarantine."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from webhook.aws import client
from webhook.payments import DynamoPaymentStore
from webhook.quarantine import SqsQuarantine
from webhook.reconcile.client import StripeError, StripeEventsClient
from webhook.reconcile.run import Reconciler
from webhook.reconcile.settings import ReconcileSettings, load_reconcile_settings
from webhook.storage import DynamoTransactionStore

PLACEHOLDER = "unset"
_DYNAMODB = partial(client, "dynamodb")
_SQS = partial(client, "sqs")


def read_api_key(ssm: Any, parameter: str) -> str:
    """The SecureString's value (decrypted); errors name the parameter, never the value."""
    try:
        value = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
    except Exception as exc:  # botocore errors: name the code only
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise StripeError(f"the Stripe API key parameter could not be read ({code})") from None
    # "unset": the placeholder Terraform writes (modules/reconciler) until the operator puts the key.
    if not isinstance(value, str) or value.strip() in ("", PLACEHOLDER):
        raise StripeError("the Stripe API key parameter holds no key yet")
    return value.strip()


def build(
    settings: ReconcileSettings,
    api_key: str,
    *,
    dynamodb: Callable[[], Any] = _DYNAMODB,
    sqs: Callable[[], Any] = _SQS,
) -> Reconciler:
    storage = settings.storage
    return Reconciler(
        StripeEventsClient(api_key, api_base=settings.api_base, api_version=settings.api_version),
        DynamoTransactionStore(dynamodb, storage.table_name),
        DynamoPaymentStore(dynamodb, storage.payments_table_name) if storage.payments_table_name else None,
        quarantine=SqsQuarantine(sqs, storage.quarantine_queue_url) if storage.quarantine_queue_url else None,
        retention_days=storage.event_retention_days,
        lookback_seconds=settings.lookback_seconds,
    )


def from_environment(environ: Mapping[str, str] = os.environ) -> Reconciler:
    settings = load_reconcile_settings(environ)
    return build(settings, read_api_key(client("ssm"), settings.api_key_parameter))
