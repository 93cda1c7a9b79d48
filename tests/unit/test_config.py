from __future__ import annotations

import pytest
from webhook.config import ConfigError, Settings, load_settings

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


@pytest.mark.parametrize("missing", ["TABLE_NAME", "WEBHOOK_SECRET_PARAM"])
def test_required(missing: str) -> None:
    env = dict(BASE)
    del env[missing]
    with pytest.raises(ConfigError):
        load_settings(env)
    with pytest.raises(ConfigError):
        load_settings({**env, missing: "  "})
