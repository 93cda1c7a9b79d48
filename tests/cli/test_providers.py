"""The harness's provider registry (webhook_cli/providers.py) against the function's own providers.

Each record's sample body, signed by the record's signer with a secret the record makes,
passes the function's own verify and map; the registry covers every provider and path the
function routes; the stack's parameters come from the Terraform outputs by provider.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from webhook.providers import PROVIDERS, ROUTES
from webhook_cli.providers import NAMES, REGISTRY, ProviderRecord, by_path, parameters

EVENTS = Path(__file__).resolve().parents[1] / "events"


def test_every_provider_and_path_of_the_function_has_its_record() -> None:
    assert set(REGISTRY) == set(PROVIDERS)
    assert {path for record in REGISTRY.values() for path in record.paths} == set(ROUTES)
    for path, provider in ROUTES.items():
        found = by_path(path)
        assert found is not None and found.name == provider.name
    assert by_path("/paypal") is None


@pytest.mark.parametrize("record", list(REGISTRY.values()), ids=NAMES)
def test_a_signed_sample_passes_the_functions_own_verify_and_map(record: ProviderRecord) -> None:
    body = (EVENTS / record.sample_event).read_bytes()
    secret = record.new_secret()
    record.check_secret(secret)
    now = int(time.time())
    delivery = record.sign(body, [secret], record.event_id(body, None), now)
    assert (delivery.provider, delivery.path) == (record.name, record.path)

    key = record.function.decode_secret(secret)
    assert key is not None
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    verified = record.function.verify(headers, delivery.body, [key], tolerance_seconds=300, now=now)
    assert record.function.map_delivery(verified).records

    assert record.signed_by([secret], delivery.headers, delivery.body)
    assert not record.signed_by([record.new_secret()], delivery.headers, delivery.body)


@pytest.mark.parametrize("record", list(REGISTRY.values()), ids=NAMES)
def test_secrets_are_read_whitespace_separated_and_unusable_ones_dropped(record: ProviderRecord) -> None:
    good, other = record.new_secret(), record.new_secret()
    assert record.usable(f"  {good}\n{other}  ") == (good, other)
    assert record.usable("") == ()
    unusable = [token for token in ("whsec_!!", "zz-not-hex") if not _accepted(record, token)]
    assert record.usable(" ".join([*unusable, good])) == (good,)


def _accepted(record: ProviderRecord, token: str) -> bool:
    try:
        record.check_secret(token)
    except ValueError:
        return False
    return True


def test_the_stacks_parameters_come_from_the_outputs_by_provider() -> None:
    outputs = {"provider_secret_parameter_names": {"standard": "/p/standard", "stripe": "/p/stripe", "adyen": None}}
    assert parameters(outputs) == {"standard": "/p/standard", "stripe": "/p/stripe"}
    assert parameters({"webhook_secret_parameter_name": "/p/old"}) == {"standard": "/p/old"}  # before the providers
    assert parameters({}) == {}


def test_the_parameter_variable_is_the_functions() -> None:
    for record in REGISTRY.values():
        assert record.parameter_env == PROVIDERS[record.name].secret_variable
