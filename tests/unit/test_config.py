from __future__ import annotations

import pytest

from webhook.config import ConfigError, Settings, load_settings, provider_enabled

BASE = {"TABLE_NAME": "tx-dev", "WEBHOOK_SECRET_PARAM": "/webhook/dev/secret"}


def test_defaults() -> None:
    assert load_settings(BASE) == Settings("tx-dev", "/webhook/dev/secret", 300)


def test_tolerance_override() -> None:
    assert load_settings({**BASE, "SIGNATURE_TOLERANCE_SECONDS": "60"}).tolerance_seconds == 60
    assert load_settings({**BASE, "SIGNATURE_TOLERANCE_SECONDS": ""}).tolerance_seconds == 300


@pytest.mark.parametrize("value", ["abc", "-5", "0", "1.5", "86401"])
def test_bad_tolerance(value: str) -> None:
    with pytest.raises(ConfigError):
        load_settings({**BASE, "SIGNATURE_TOLERANCE_SECONDS": value})


def test_standard_secret_is_optional_for_the_other_paths() -> None:
    # /stripe and /adyen work without WEBHOOK_SECRET_PARAM; / answers 500 then (service).
    assert load_settings({"TABLE_NAME": "tx"}).secret_parameter is None
    assert load_settings({"TABLE_NAME": "tx", "WEBHOOK_SECRET_PARAM": " "}).secret_parameter is None


def test_provider_parameters_and_payments_table() -> None:
    env = {**BASE, "STRIPE_SECRET_PARAM": "/s", "ADYEN_HMAC_KEY_PARAM": "", "PAYMENTS_TABLE_NAME": "pay"}
    settings = load_settings(env)
    assert settings.secret_parameters() == {"standard": "/webhook/dev/secret", "stripe": "/s"}
    assert settings.payments_table_name == "pay"
    assert provider_enabled(env, "standard") and provider_enabled(env, "stripe")
    assert not provider_enabled(env, "adyen") and not provider_enabled({}, "stripe")


@pytest.mark.parametrize("missing", ["TABLE_NAME"])
def test_required(missing: str) -> None:
    env = dict(BASE)
    del env[missing]
    with pytest.raises(ConfigError):
        load_settings(env)
    with pytest.raises(ConfigError):
        load_settings({**env, missing: "  "})
