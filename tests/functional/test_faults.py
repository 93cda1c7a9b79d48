"""Fault injection below boto3: throttling, lost answers and SSM failures, with the very
clients the handler uses (webhook.aws: timeouts, standard retries, 3 attempts).

The fakes answer at the HTTP layer (botocore's ``before-send`` event), so botocore's
retry logic runs for real: we count the attempts it makes, the back-off sleeps it
asks for, and what ends up stored. No moto here: a fake DynamoDB table with the
real conditional-write semantics, a fake SSM parameter.

Secret rotation is driven through the handler's own secret cache with an injected
clock: add a second secret, both verify, remove the old one, only the new one
verifies, each step visible exactly when the cache expires.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from webhook import aws as aws_clients
from webhook import wiring
from webhook.secret_store import SsmSecretSource
from webhook.service import Dependencies, WebhookService
from webhook.signature import decode_secrets
from webhook.storage import DynamoTransactionStore

TABLE = "webhook-faults"
PARAM = "/webhook/faults/secret"
ATTEMPTS = aws_clients.RETRIES["total_max_attempts"]
OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def answer(status: int, body: dict[str, Any]) -> AWSResponse:
    headers = {"content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "fake"}
    return AWSResponse("http://fake", status, headers, _Raw(json.dumps(body).encode()))


def error(status: int, code: str, message: str = "injected") -> AWSResponse:
    return answer(status, {"__type": f"com.amazonaws.fake#{code}", "message": message})


Fault = str  # "ok" | "throttle" | "lost" (applied, then the answer times out) | "fault" (500) | "down"


class FakeDynamo:
    """PutItem with DynamoDB's conditional semantics; each attempt consumes one scripted fault."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.script: list[Fault] = []
        self.attempts = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.attempts += 1
        fault = self.script.pop(0) if self.script else "ok"
        if fault == "throttle":
            return error(
                400, "ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed throughput"
            )
        if fault == "fault":
            return error(500, "InternalServerError")
        if fault == "down":
            raise EndpointConnectionError(endpoint_url="http://dynamodb.fake")
        item = json.loads(request.body)["Item"]
        key = (item["transactionId"]["S"], item["eventId"]["S"])
        if key in self.items:
            return error(400, "ConditionalCheckFailedException", "The conditional request failed")
        self.items[key] = item
        if fault == "lost":
            raise ReadTimeoutError(endpoint_url="http://dynamodb.fake")
        return answer(200, {})


class FakeSsm:
    def __init__(self, value: str) -> None:
        self.value = value
        self.script: list[Fault] = []
        self.attempts = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.attempts += 1
        fault = self.script.pop(0) if self.script else "ok"
        if fault == "throttle":
            return error(400, "ThrottlingException", "Rate exceeded")
        if fault == "fault":
            return error(500, "InternalServerError")
        if fault == "denied":
            return error(400, "AccessDeniedException", f"not authorized on arn:aws:ssm:eu-west-1:1:parameter{PARAM}")
        if fault == "down":
            raise EndpointConnectionError(endpoint_url="http://ssm.fake")
        return answer(200, {"Parameter": {"Name": PARAM, "Type": "SecureString", "Value": self.value, "Version": 1}})


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Stack:
    def __init__(self, dynamo: FakeDynamo, ssm: FakeSsm, clock: Clock, sleeps: list[float]) -> None:
        self.dynamo, self.ssm, self.clock, self.sleeps = dynamo, ssm, clock, sleeps
        self.secrets = SsmSecretSource(
            lambda: aws_clients.client("ssm"), PARAM, ttl_seconds=wiring.SECRET_TTL_SECONDS, clock=clock
        )
        deps = Dependencies(self.secrets, DynamoTransactionStore(lambda: aws_clients.client("dynamodb"), TABLE))
        self.service = WebhookService(lambda: deps, log=lambda _line: None)

    def __call__(self, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = self.service.handle(event, None)
        return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SSM", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached: the fakes answer first
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    sleeps: list[float] = []

    class _Time:  # botocore.endpoint sleeps between attempts: record instead of waiting
        @staticmethod
        def sleep(seconds: float) -> None:
            sleeps.append(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", _Time)
    aws_clients.reset_clients()
    dynamo, ssm = FakeDynamo(), FakeSsm(OLD)
    aws_clients.client("dynamodb").meta.events.register_first("before-send.dynamodb.PutItem", dynamo)
    aws_clients.client("ssm").meta.events.register_first("before-send.ssm.GetParameter", ssm)
    yield Stack(dynamo, ssm, Clock(), sleeps)
    aws_clients.reset_clients()


def test_the_handler_clients_really_are_bounded() -> None:
    assert aws_clients.RETRIES == {"mode": "standard", "total_max_attempts": 3}


# --- DynamoDB ------------------------------------------------------------------------------------


def test_throttled_on_every_attempt_is_503_after_exactly_the_configured_attempts(
    stack: Stack, make_event: Callable[..., dict[str, Any]], make_payload: Callable[..., str]
) -> None:
    stack.dynamo.script = ["throttle"] * 10
    status, body = stack(make_event(make_payload(), key=decode_secrets(OLD)[0]))
    assert (status, body["error"]["code"]) == (503, "storage_unavailable")
    assert stack.dynamo.attempts == ATTEMPTS
    assert len(stack.sleeps) == ATTEMPTS - 1 and all(0 <= s <= 20 for s in stack.sleeps)
    assert stack.dynamo.items == {}


def test_throttled_then_recovered_within_the_attempts_is_stored_once(
    stack: Stack, make_event: Callable[..., dict[str, Any]], make_payload: Callable[..., str]
) -> None:
    stack.dynamo.script = ["throttle"] * (ATTEMPTS - 1)
    event = make_event(make_payload(), key=decode_secrets(OLD)[0])
    assert stack(event)[1]["status"] == "accepted"
    assert stack.dynamo.attempts == ATTEMPTS
    assert stack(event)[1]["status"] == "duplicate"  # the provider's re-delivery
    assert len(stack.dynamo.items) == 1


@pytest.mark.parametrize("fault", ["lost", "fault", "down"])
def test_retries_never_write_twice(
    stack: Stack, make_event: Callable[..., dict[str, Any]], make_payload: Callable[..., str], fault: str
) -> None:
    """A write that was applied but whose answer was lost is retried; the condition stops a second write."""
    stack.dynamo.script = [fault]
    event = make_event(make_payload(), key=decode_secrets(OLD)[0])
    status, body = stack(event)
    assert status == 200
    # "lost": the item is there after attempt 1, attempt 2 finds it -> duplicate (already durably stored)
    assert body["status"] == ("duplicate" if fault == "lost" else "accepted")
    assert stack.dynamo.attempts == 2
    assert len(stack.dynamo.items) == 1


def test_dynamodb_down_for_every_attempt_is_503_then_the_redelivery_is_stored_once(
    stack: Stack, make_event: Callable[..., dict[str, Any]], make_payload: Callable[..., str]
) -> None:
    stack.dynamo.script = ["lost"] + ["down"] * (ATTEMPTS - 1)
    event = make_event(make_payload(), key=decode_secrets(OLD)[0])
    assert stack(event)[0] == 503  # the provider retries; the item happens to be stored already
    assert stack.dynamo.attempts == ATTEMPTS
    status, body = stack(event)
    assert (status, body["status"]) == (200, "duplicate")
    assert len(stack.dynamo.items) == 1


# --- SSM -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "status", "attempts"), [("throttle", 503, 3), ("fault", 503, 3), ("down", 503, 3)])
def test_ssm_unavailable_is_503_after_the_configured_attempts_and_nothing_is_stored(
    stack: Stack,
    make_event: Callable[..., dict[str, Any]],
    make_payload: Callable[..., str],
    fault: str,
    status: int,
    attempts: int,
) -> None:
    stack.ssm.script = [fault] * 10
    code, body = stack(make_event(make_payload(), key=decode_secrets(OLD)[0]))
    assert (code, body["error"]["code"]) == (status, "secret_unavailable")
    assert stack.ssm.attempts == attempts == ATTEMPTS
    assert stack.dynamo.attempts == 0 and stack.dynamo.items == {}
    assert "arn:" not in json.dumps(body)


def test_ssm_access_denied_is_500_without_retries(
    stack: Stack, make_event: Callable[..., dict[str, Any]], make_payload: Callable[..., str]
) -> None:
    stack.ssm.script = ["denied"]
    code, body = stack(make_event(make_payload(), key=decode_secrets(OLD)[0]))
    assert (code, body["error"]["code"]) == (500, "secret_unavailable")
    assert stack.ssm.attempts == 1 and stack.dynamo.items == {}


def test_ssm_failure_is_not_cached_the_next_request_succeeds(
    stack: Stack, make_event: Callable[..., dict[str, Any]], make_payload: Callable[..., str]
) -> None:
    stack.ssm.script = ["throttle"] * ATTEMPTS
    event = make_event(make_payload(), key=decode_secrets(OLD)[0])
    assert stack(event)[0] == 503
    assert stack(event)[1]["status"] == "accepted"
    assert stack.ssm.attempts == ATTEMPTS + 1 and len(stack.dynamo.items) == 1


# --- secret rotation -------------------------------------------------------------------------------


def test_secret_rotation_within_the_cache_expiry(
    stack: Stack, make_event: Callable[..., dict[str, Any]], make_payload: Callable[..., str]
) -> None:
    ttl = wiring.SECRET_TTL_SECONDS
    old_key, new_key = decode_secrets(OLD)[0], decode_secrets(NEW)[0]
    counter = iter(range(1000))

    def status_with(key: bytes) -> int:
        n = next(counter)
        event = make_event(make_payload(transactionId=f"txn_rot_{n}"), webhook_id=f"msg_rot_{n}", key=key)
        return stack(event)[0]

    assert (status_with(old_key), status_with(new_key)) == (200, 401)

    stack.ssm.value = f"{OLD} {NEW}"  # step 1: add the new secret beside the old one
    stack.clock.now += ttl - 1
    assert status_with(new_key) == 401  # still the cached value: not yet visible
    stack.clock.now += 1
    assert (status_with(old_key), status_with(new_key)) == (200, 200)  # both verify

    stack.ssm.value = NEW  # step 3 (after the provider switched): remove the old secret
    stack.clock.now += ttl - 1
    assert status_with(old_key) == 200  # until the cache expires the old one still works
    stack.clock.now += 1
    assert (status_with(old_key), status_with(new_key)) == (401, 200)  # only the new one verifies

    assert stack.ssm.attempts == 3  # one fetch per cache lifetime, never per request
