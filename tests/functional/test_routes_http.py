"""behaviour.md "Providers" routing and the rules shared by every path, through handler.handler on moto.

One test per rule; each fails if its rule breaks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.provider_signing import (
    ADYEN_HMAC_KEY,
    STRIPE_SECRET,
    adyen_event,
    adyen_item,
    function_url_event,
    standard_headers,
    stripe_event,
    stripe_payment,
)
from webhook import wiring

from .conftest import ADYEN_PARAM, STRIPE_PARAM

BIG = 256 * 1024 + 1


def error(response: dict[str, Any]) -> tuple[int, str]:
    assert response["headers"]["content-type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return response["statusCode"], body["error"]["code"]


@pytest.mark.parametrize("path", ["/foo", "/stripe/", "/STRIPE", "/adyen/x", "", "/standard/", "//"])
def test_unknown_path_is_404_unknown_provider(aws: Any, providers: Any, call: Any, path: str) -> None:
    event = stripe_event(stripe_payment(), path=path)
    assert error(call(event)) == (404, "unknown_provider")
    assert aws.items() == []


@pytest.mark.parametrize("value", [None, "", "   "])
@pytest.mark.parametrize("provider", ["stripe", "adyen"])
def test_provider_with_unset_or_empty_variable_is_off_404(
    aws: Any, providers: Any, call: Any, monkeypatch: pytest.MonkeyPatch, provider: str, value: str | None
) -> None:
    variable = "STRIPE_SECRET_PARAM" if provider == "stripe" else "ADYEN_HMAC_KEY_PARAM"
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    wiring.reset(clients=False)
    event = stripe_event(stripe_payment()) if provider == "stripe" else adyen_event([adyen_item()])
    assert error(call(event)) == (404, "unknown_provider")
    assert aws.items() == []


def test_the_path_comes_before_the_method(aws: Any, call: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIPE_SECRET_PARAM", raising=False)
    assert error(call(stripe_event(stripe_payment(), path="/nope", method="GET"))) == (404, "unknown_provider")
    assert error(call(stripe_event(stripe_payment(), method="GET"))) == (404, "unknown_provider")  # disabled


@pytest.mark.parametrize("path", ["/", "/standard"])
def test_standard_paths_without_their_variable_are_a_configuration_error(
    aws: Any, call: Any, make_event: Any, make_payload: Any, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.delenv("WEBHOOK_SECRET_PARAM")
    wiring.reset(clients=False)
    event = {**make_event(make_payload()), "rawPath": path}
    assert error(call(event)) == (500, "configuration_error")


def test_stripe_works_without_the_standard_variable(
    aws: Any, providers: Any, call: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBHOOK_SECRET_PARAM")
    wiring.reset(clients=False)
    assert call(stripe_event(stripe_payment()))["statusCode"] == 200
    assert call(adyen_event([adyen_item()]))["body"] == "[accepted]"


@pytest.mark.parametrize("path", ["/", "/standard"])
def test_both_standard_paths_are_the_section_1_receiver(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, path: str
) -> None:
    event = {**make_event(make_payload(), webhook_id=f"msg{path.replace('/', '_')}"), "rawPath": path}
    result = invoke(event)
    assert result.status == 200 and result.body["status"] == "accepted"
    assert aws.count() == 1


def test_standard_delivery_signed_by_the_reference_library(
    aws: Any, invoke: Any, make_payload: Any, secret: str
) -> None:
    body = make_payload().encode()
    event = function_url_event(
        "/standard", body, {"content-type": "application/json", **standard_headers(secret, "msg_ref", body)}
    )
    assert invoke(event).body["status"] == "accepted"


@pytest.mark.parametrize("path", ["/", "/stripe", "/adyen"])
def test_method_then_size_on_every_path(aws: Any, providers: Any, call: Any, path: str) -> None:
    get = function_url_event(path, b"{}", {}, method="GET")
    response = call(get)
    assert error(response) == (405, "method_not_allowed") and response["headers"]["allow"] == "POST"
    assert error(call(function_url_event(path, b"x" * BIG, {}))) == (413, "payload_too_large")
    big64 = function_url_event(path, b"x" * BIG, {}, base64_encoded=True)
    assert error(call(big64)) == (413, "payload_too_large")


@pytest.mark.parametrize("path", ["/", "/stripe", "/adyen"])
def test_undecodable_base64_body_without_signature_is_401(aws: Any, providers: Any, call: Any, path: str) -> None:
    # Interop fix: the signature step comes before body decoding errors.
    event = function_url_event(path, b"", {})
    event.update(body="not*base64!", isBase64Encoded=True)
    assert error(call(event)) == (401, "invalid_signature")


def test_undecodable_base64_body_with_standard_headers_is_401_too(aws: Any, call: Any, make_event: Any) -> None:
    event = make_event('{"a": 1}')
    event.update(body="@@@", isBase64Encoded=True)
    assert error(call(event)) == (401, "invalid_signature")


def test_rotation_several_secrets_in_each_parameter(aws: Any, providers: Any, call: Any) -> None:
    providers.set_stripe(f"whsec_old_one {STRIPE_SECRET}")
    providers.set_adyen(f"{'00' * 32}\n{ADYEN_HMAC_KEY}")
    assert call(stripe_event(stripe_payment()))["statusCode"] == 200
    assert call(stripe_event(stripe_payment(event_id="evt_2"), secret="whsec_old_one"))["statusCode"] == 200
    assert call(adyen_event([adyen_item()], key="00" * 32))["body"] == "[accepted]"
    assert call(adyen_event([adyen_item(pspReference="P2")]))["body"] == "[accepted]"
    assert aws.count() == 4


def test_secret_caching_is_per_parameter(aws: Any, providers: Any, call: Any) -> None:
    calls: list[str] = []
    original = aws.ssm.get_parameter
    from webhook import aws as aws_clients

    ssm = aws_clients.client("ssm")

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs["Name"])
        return original(**kwargs)

    ssm.get_parameter = counting  # type: ignore[method-assign]
    try:
        for n in range(3):
            assert call(stripe_event(stripe_payment(event_id=f"evt_c{n}")))["statusCode"] == 200
            assert call(adyen_event([adyen_item(pspReference=f"PC{n}")]))["statusCode"] == 200
    finally:
        del ssm.get_parameter
    assert sorted(calls) == sorted([STRIPE_PARAM, ADYEN_PARAM])


def test_error_bodies_never_carry_secrets_or_resource_names(aws: Any, providers: Any, call: Any) -> None:
    providers.set_stripe("   ")  # holds no usable secret
    response = call(stripe_event(stripe_payment()))
    assert error(response) == (500, "secret_unavailable")
    text = response["body"]
    assert STRIPE_PARAM not in text and "arn:" not in text and "whsec_" not in text


def test_base64_encoded_delivery_is_verified_on_the_decoded_bytes(aws: Any, providers: Any, call: Any) -> None:
    assert call(stripe_event(stripe_payment(), base64_encoded=True))["statusCode"] == 200
    assert call(adyen_event([adyen_item()], base64_encoded=True))["body"] == "[accepted]"
    assert aws.count() == 2


def test_the_standard_signature_does_not_open_the_stripe_path(
    aws: Any, providers: Any, call: Any, make_event: Any, make_payload: Any
) -> None:
    event = {**make_event(make_payload()), "rawPath": "/stripe"}
    assert error(call(event)) == (401, "invalid_signature")
    event = {**stripe_event(stripe_payment()), "rawPath": "/"}
    assert error(call(event)) == (401, "invalid_signature")
