from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from webhook.errors import WebhookError
from webhook.secret_store import SsmSecretSource

PARAM = "/webhook/dev/signing-secret"
S1 = "whsec_" + base64.b64encode(b"1" * 32).decode()
S2 = "whsec_" + base64.b64encode(b"2" * 32).decode()


def param_response(value: str) -> dict[str, Any]:
    return {"Parameter": {"Name": PARAM, "Type": "SecureString", "Value": value, "Version": 1}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_reads_secure_string_with_decryption(ssm_client: Any) -> None:
    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response(S1), {"Name": PARAM, "WithDecryption": True})
        assert SsmSecretSource(lambda: ssm_client, PARAM).keys() == (b"1" * 32,)
        stub.assert_no_pending_responses()


def test_several_secrets_for_rotation(ssm_client: Any) -> None:
    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response(f"{S1}\n{S2}"))
        assert SsmSecretSource(lambda: ssm_client, PARAM).keys() == (b"1" * 32, b"2" * 32)


def test_cached_for_ttl_then_refreshed(ssm_client: Any) -> None:
    clock = Clock()
    source = SsmSecretSource(lambda: ssm_client, PARAM, ttl_seconds=60, clock=clock)
    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response(S1))
        stub.add_response("get_parameter", param_response(f"{S1} {S2}"))
        assert source.keys() == (b"1" * 32,)
        clock.now += 59.9
        assert source.keys() == (b"1" * 32,)  # from the cache: only one response consumed so far
        clock.now += 0.2
        assert source.keys() == (b"1" * 32, b"2" * 32)  # rotation reached the warm container
        stub.assert_no_pending_responses()


def test_default_ttl_is_short() -> None:
    from webhook.secret_store import DEFAULT_TTL_SECONDS

    assert 0 < DEFAULT_TTL_SECONDS <= 300


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ParameterNotFound", 500),
        ("AccessDeniedException", 500),
        ("ThrottlingException", 503),
        ("InternalServerError", 503),
    ],
)
def test_ssm_errors_are_sanitized_5xx(ssm_client: Any, code: str, status: int) -> None:
    with Stubber(ssm_client) as stub:
        stub.add_client_error(
            "get_parameter",
            service_error_code=code,
            service_message=f"arn:aws:ssm:eu-west-1:123:parameter{PARAM} secret!",
        )
        with pytest.raises(WebhookError) as info:
            SsmSecretSource(lambda: ssm_client, PARAM).keys()
    err = info.value
    assert (err.status, err.code) == (status, "secret_unavailable")
    assert "arn:" not in err.message and PARAM not in err.message
    assert err.detail == code


@pytest.mark.parametrize(
    "exc",
    [
        ReadTimeoutError(endpoint_url="https://ssm"),
        ConnectTimeoutError(endpoint_url="https://ssm"),
        EndpointConnectionError(endpoint_url="https://ssm"),
    ],
)
def test_timeouts_are_503(exc: Exception) -> None:
    class Slow:
        def get_parameter(self, **kwargs: Any) -> Any:
            raise exc

    with pytest.raises(WebhookError) as info:
        SsmSecretSource(Slow, PARAM).keys()
    assert info.value.status == 503


@pytest.mark.parametrize("value", ["", "   ", "not-a-secret!", "whsec_"])
def test_empty_or_unusable_value_is_500(ssm_client: Any, value: str) -> None:
    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response(value) if value else {"Parameter": {"Name": PARAM}})
        with pytest.raises(WebhookError) as info:
            SsmSecretSource(lambda: ssm_client, PARAM).keys()
    assert (info.value.status, info.value.code) == (500, "secret_unavailable")


def test_failure_is_not_cached(ssm_client: Any) -> None:
    source = SsmSecretSource(lambda: ssm_client, PARAM)
    with Stubber(ssm_client) as stub:
        stub.add_client_error("get_parameter", service_error_code="ThrottlingException")
        stub.add_response("get_parameter", param_response(S1))
        with pytest.raises(WebhookError):
            source.keys()
        assert source.keys() == (b"1" * 32,)


def test_unexpected_errors_propagate() -> None:
    class Broken:
        def get_parameter(self, **kwargs: Any) -> Any:
            raise KeyError("bug")

    with pytest.raises(KeyError):
        SsmSecretSource(Broken, PARAM).keys()


# --- interop fix: unpadded secrets; unusable ones logged by position only --------


def test_unpadded_secret_is_used_like_the_reference_library(ssm_client: Any) -> None:
    unpadded = "whsec_" + base64.b64encode(b"3" * 31).decode().rstrip("=")
    assert len(unpadded.removeprefix("whsec_")) % 4  # really unpadded
    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response(f"{S1} {unpadded}"))
        assert SsmSecretSource(lambda: ssm_client, PARAM).keys() == (b"1" * 32, b"3" * 31)


def test_unusable_secret_is_logged_by_position_never_by_value(ssm_client: Any) -> None:
    lines: list[str] = []
    bad = "whsec_!!definitely-not-base64!!"
    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response(f"{S1}\n{bad}\n{S2}"))
        source = SsmSecretSource(lambda: ssm_client, PARAM, log=lines.append, provider="standard")
        assert source.keys() == (b"1" * 32, b"2" * 32)
    assert [json.loads(line) for line in lines] == [
        {"warning": "unusable_secret", "provider": "standard", "secretPosition": 2}
    ]
    assert all(bad not in line and "definitely" not in line and S1 not in line for line in lines)


def test_only_unusable_secrets_is_500_and_each_is_logged(ssm_client: Any) -> None:
    lines: list[str] = []
    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response("whsec_x whsec_!!"))
        with pytest.raises(WebhookError) as info:
            SsmSecretSource(lambda: ssm_client, PARAM, log=lines.append).keys()
    assert (info.value.status, info.value.code) == (500, "secret_unavailable")
    assert [json.loads(line)["secretPosition"] for line in lines] == [1, 2]


def test_provider_decoder_is_used(ssm_client: Any) -> None:
    from webhook.providers import adyen, stripe

    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response("whsec_stripe_a whsec_stripe_b"))
        stub.add_response("get_parameter", param_response("0A0B zz 0c"))
        assert SsmSecretSource(lambda: ssm_client, PARAM, decode=stripe.decode_secret).keys() == (
            b"whsec_stripe_a",
            b"whsec_stripe_b",
        )
        lines: list[str] = []
        keys = SsmSecretSource(
            lambda: ssm_client, PARAM, decode=adyen.decode_secret, provider="adyen", log=lines.append
        )
        assert keys.keys() == (b"\x0a\x0b", b"\x0c")
    assert json.loads(lines[0]) == {"warning": "unusable_secret", "provider": "adyen", "secretPosition": 2}


def test_failing_log_sink_does_not_break_the_source(ssm_client: Any) -> None:
    def broken(line: str) -> None:
        raise OSError("log sink down")

    with Stubber(ssm_client) as stub:
        stub.add_response("get_parameter", param_response(f"bad! {S1}"))
        assert SsmSecretSource(lambda: ssm_client, PARAM, log=broken).keys() == (b"1" * 32,)
