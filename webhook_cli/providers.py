"""The harness's provider registry: everything the harness knows about a provider, one record each.

Built on the function's own registry (``webhook.providers.PROVIDERS`` and ``ROUTES``:
name, the environment variable naming its SSM parameter, its paths), this adds what
only the harness needs and never enters the Lambda zip: the variable carrying the secret
itself in build/local.env, how to make a fresh secret, how to sign and re-verify a
delivery with the provider's own SDK (webhook_cli/signing.py), how to build a body
(webhook_cli/events.py) and a sample body in tests/events/. The CLIs, the local stack,
the bench and the tests loop over :data:`REGISTRY`; adding a provider adds a record here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from webhook.providers import PROVIDERS as FUNCTION_PROVIDERS
from webhook.providers import ROUTES
from webhook.providers.common import Provider
from webhook_cli import events, signing

# The Terraform output mapping each enabled provider to its SSM parameter's name.
PARAMETER_OUTPUT = "provider_secret_parameter_names"

# (body, secrets or None for an unsigned delivery, event id, signature time) -> the delivery
Sign = Callable[[bytes, Sequence[str] | None, str, int], signing.Delivery]


@dataclass(frozen=True)
class ProviderRecord:
    """One provider, as the harness sees it."""

    name: str
    value_env: str  # the variable holding the secret itself (build/local.env, the shell)
    param_option: str  # the replay CLI's option naming its SSM parameter
    sample_event: str  # a body as the provider sends it, in tests/events/
    payload_options: frozenset[str]  # the sender's payload options its format has
    new_secret: Callable[[], str]
    check_secret: Callable[[str], None]  # ValueError when its SDK cannot use a secret
    build: Callable[[events.EventSpec], bytes]
    sign: Sign
    signed_by: Callable[[Sequence[str], Mapping[str, str], bytes], bool]  # its original signature, however old
    event_id: Callable[[bytes, str | None], str]  # the id a delivery is known by (body, id asked for)
    timestamped: bool  # its signature covers a time: a retry or a replay signs afresh
    several_secrets: bool  # one signature per secret while a secret rotates

    @property
    def function(self) -> Provider:
        """The function's record of this provider (verify, map, its parameter's variable)."""
        return FUNCTION_PROVIDERS[self.name]

    @property
    def parameter_env(self) -> str:
        """The variable naming its SSM SecureString (the function's, also written to build/local.env)."""
        return self.function.secret_variable

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path of the Function URL routed to it, the one senders use first."""
        return tuple(path for path, provider in ROUTES.items() if provider.name == self.name)

    @property
    def path(self) -> str:
        return self.paths[0]

    def parameter_name(self, outputs: Mapping[str, Any]) -> str | None:
        """Its SSM parameter from the Terraform outputs; None when the stack does not enable it."""
        names = outputs.get(PARAMETER_OUTPUT) or {}
        found = dict(names).get(self.name) or None
        if found is None and self.name == STANDARD:  # a stack from before the providers
            found = outputs.get("webhook_secret_parameter_name") or None
        return None if found is None else str(found)

    def usable(self, value: str) -> tuple[str, ...]:
        """The whitespace-separated secrets of ``value`` its SDK can use (the others are skipped)."""
        found = []
        for token in value.split():
            try:
                self.check_secret(token)
            except ValueError:
                continue
            found.append(token)
        return tuple(found)


STANDARD = "standard"


def _standard_event_id(_body: bytes, asked: str | None) -> str:
    return asked or events.new_event_id()


REGISTRY: dict[str, ProviderRecord] = {
    record.name: record
    for record in (
        ProviderRecord(
            name=STANDARD,
            value_env="WEBHOOK_SECRET",
            param_option="--secret-param",
            sample_event="standard_payment.json",
            payload_options=frozenset({"amount", "payload_provider", "extra"}),
            new_secret=signing.new_standard_secret,
            check_secret=signing.check_standard_secret,
            build=events.standard_body,
            sign=lambda body, secrets, event_id, now: signing.standard_delivery(body, secrets, event_id, now),
            signed_by=signing.standard_signed_by,
            event_id=_standard_event_id,
            timestamped=True,
            several_secrets=True,
        ),
        ProviderRecord(
            name="stripe",
            value_env="STRIPE_SECRET",
            param_option="--stripe-secret-param",
            sample_event="stripe_payment_intent_succeeded.json",
            payload_options=frozenset({"amount_minor", "amount_refunded"}),
            new_secret=signing.new_stripe_secret,
            check_secret=signing.check_stripe_secret,
            build=events.stripe_body,
            sign=lambda body, secrets, _event_id, now: signing.stripe_delivery(body, secrets, now),
            signed_by=signing.stripe_signed_by,
            event_id=lambda body, _asked: signing.stripe_event_id(body),
            timestamped=True,
            several_secrets=True,
        ),
        ProviderRecord(
            name="adyen",
            value_env="ADYEN_HMAC_KEY",
            param_option="--adyen-key-param",
            sample_event="adyen_authorisation.json",
            payload_options=frozenset({"amount_minor", "success"}),
            new_secret=signing.new_adyen_key,
            check_secret=signing.check_adyen_key,
            build=events.adyen_body,
            sign=lambda body, secrets, _event_id, _now: signing.adyen_delivery_of_body(body, secrets),
            signed_by=lambda secrets, _headers, body: signing.adyen_signed_by(secrets, body),
            event_id=lambda body, _asked: signing.adyen_event_id(body),
            timestamped=False,  # the signatures are inside the body; the store stops replays
            several_secrets=False,
        ),
    )
}
NAMES = tuple(REGISTRY)


def by_path(path: str) -> ProviderRecord | None:
    """The provider a path of the Function URL belongs to (as the function routes it)."""
    provider = ROUTES.get(path)
    return None if provider is None else REGISTRY[provider.name]


def parameters(outputs: Mapping[str, Any]) -> dict[str, str]:
    """Provider name -> SSM parameter, for every provider the stack enables (Terraform outputs)."""
    found = {name: record.parameter_name(outputs) for name, record in REGISTRY.items()}
    return {name: parameter for name, parameter in found.items() if parameter}
