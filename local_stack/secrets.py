"""A signing secret per enabled provider, in its SSM SecureString, as an operator would put it.

Terraform creates each provider's parameter without a value in the state; `up` puts a
fresh secret there (SecureString, the stack's key) for every provider of the registry
(webhook_cli/providers.py) the stack enables, or keeps the one still in use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from local_stack import iam
from local_stack.layout import boto3_kwargs
from webhook_cli.providers import REGISTRY


class SecretError(RuntimeError):
    """A secret did not round-trip through SSM."""


def put_secret(
    endpoint: str,
    parameter: str,
    kms_key_arn: str,
    keep: str | None,
    credentials: iam.Credentials | None,
    make: Callable[[], str],
) -> str:
    """Store ``make()`` in the SSM parameter, or keep ``keep`` if it is still the stored one."""
    import boto3

    ssm = boto3.client("ssm", **boto3_kwargs(endpoint, credentials))
    if keep:
        try:
            if ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"] == keep:
                return keep
        except ssm.exceptions.ParameterNotFound:
            pass
    value = make()
    ssm.put_parameter(Name=parameter, Value=value, Type="SecureString", KeyId=kms_key_arn, Overwrite=True)
    stored = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]
    if stored["Value"] != value or stored["Type"] != "SecureString":
        raise SecretError(f"the secret did not round-trip through SSM parameter {parameter}")
    return value


def put_provider_secrets(
    endpoint: str,
    parameters: Mapping[str, str],
    outputs: Mapping[str, Any],
    previous: Mapping[str, str],
    credentials: iam.Credentials | None,
    say: Callable[[str], None],
) -> dict[str, str]:
    """Each enabled provider's secret put (or kept): its secret variable -> the secret."""
    values: dict[str, str] = {}
    for name, parameter in sorted(parameters.items()):
        record = REGISTRY[name]
        kept = previous.get(record.value_env)
        secret = put_secret(endpoint, parameter, outputs["kms_key_arn"], kept, credentials, record.new_secret)
        values[record.value_env] = secret
        action = "kept the secret already in use" if secret == kept else "stored a fresh secret"
        say(f"      {name}: {action} in {parameter}")
    return values
