"""Server-side failures: always a sanitized 5xx, never a 2xx without a stored item."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from webhook import aws as aws_clients
from webhook import wiring

TABLE = "webhook-transactions-functest"  # as in conftest.py
PARAM = "/webhook/functest/signing-secret"


def assert_sanitized(result: Any, secret: str) -> None:
    text = result.response["body"]
    assert set(result.body) == {"error"} and set(result.body["error"]) == {"code", "message"}
    for leak in (
        "arn:",
        TABLE,
        PARAM,
        secret,
        secret.removeprefix("whsec_"),
        "Traceback",
        "Exception",
        "botocore",
        "An error occurred",
    ):
        assert leak not in text, leak


def test_table_missing_is_500(aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str) -> None:
    aws.ddb.delete_table(TableName=TABLE)
    result = invoke(make_event(make_payload()))
    assert (result.status, result.body["error"]["code"]) == (500, "storage_error")
    assert_sanitized(result, secret)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ProvisionedThroughputExceededException", 503),
        ("ThrottlingException", 503),
        ("RequestLimitExceeded", 503),
        ("InternalServerError", 503),
        ("AccessDeniedException", 500),
    ],
)
def test_dynamodb_errors_are_5xx_and_nothing_stored(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str, code: str, status: int
) -> None:
    client = aws_clients.client("dynamodb")  # the very client the handler uses
    with Stubber(client) as stub:
        stub.add_client_error(
            "put_item",
            service_error_code=code,
            service_message=f"Rate exceeded for arn:aws:dynamodb:eu-west-1:123456789012:table/{TABLE}",
            http_status_code=400 if code != "InternalServerError" else 500,
        )
        result = invoke(make_event(make_payload()))
    assert result.status == status
    assert result.body["error"]["code"] in ("storage_unavailable", "storage_error")
    assert_sanitized(result, secret)
    assert aws.items() == []


def test_secret_parameter_missing_is_500(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str
) -> None:
    aws.ssm.delete_parameter(Name=PARAM)
    result = invoke(make_event(make_payload()))
    assert (result.status, result.body["error"]["code"]) == (500, "secret_unavailable")
    assert_sanitized(result, secret)
    assert aws.items() == []


@pytest.mark.parametrize("value", [" ", "not-base64-at-all!"])
def test_secret_parameter_unusable_is_500(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str, value: str
) -> None:
    aws.set_secret(value)
    result = invoke(make_event(make_payload()))
    assert (result.status, result.body["error"]["code"]) == (500, "secret_unavailable")
    assert aws.items() == []


@pytest.mark.parametrize(
    ("code", "status"), [("ThrottlingException", 503), ("InternalServerError", 503), ("AccessDeniedException", 500)]
)
def test_ssm_unavailable_is_5xx(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str, code: str, status: int
) -> None:
    with Stubber(aws_clients.client("ssm")) as stub:
        stub.add_client_error(
            "get_parameter", service_error_code=code, service_message=f"arn:aws:ssm:eu-west-1:1:parameter{PARAM}"
        )
        result = invoke(make_event(make_payload()))
    assert (result.status, result.body["error"]["code"]) == (status, "secret_unavailable")
    assert_sanitized(result, secret)
    assert aws.items() == []


def test_missing_configuration_is_500(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TABLE_NAME")
    result = invoke(make_event(make_payload()))
    assert (result.status, result.body["error"]["code"]) == (500, "configuration_error")
    assert_sanitized(result, secret)
    assert "TABLE_NAME" not in result.response["body"]


def test_unexpected_error_is_sanitized_500(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webhook.providers.standard as standard

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"boom arn:aws:dynamodb:eu-west-1:1:table/{TABLE} {secret}")

    monkeypatch.setattr(standard, "validate", explode)
    result = invoke(make_event(make_payload()))
    assert (result.status, result.body["error"]["code"]) == (500, "internal_error")
    assert_sanitized(result, secret)
    assert "boom" not in result.response["body"]
    assert aws.items() == []


def test_error_log_line_has_detail_but_no_secret(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, secret: str, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.ddb.delete_table(TableName=TABLE)
    capsys.readouterr()
    invoke(make_event(make_payload()))
    (line,) = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert record["outcome"] == "error" and record["statusCode"] == 500
    assert record["detail"] == "ResourceNotFoundException"
    assert secret not in line and "arn:" not in line


# --- a slow dependency becomes a 5xx, quickly -------------------------------------------


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A TCP endpoint on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def test_slow_dynamodb_is_503_within_the_timeout_budget(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, blackhole: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_clients, "READ_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", blackhole)  # moto does not intercept this endpoint
    aws_clients.reset_clients()
    try:
        started = time.monotonic()
        result = invoke(make_event(make_payload()))
        elapsed = time.monotonic() - started
    finally:
        aws_clients.reset_clients()
    assert (result.status, result.body["error"]["code"]) == (503, "storage_unavailable")
    assert elapsed < 10
    assert aws.items() == []


def test_slow_ssm_is_503(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, blackhole: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_clients, "READ_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", blackhole)
    aws_clients.reset_clients()
    wiring.reset(clients=False)
    try:
        result = invoke(make_event(make_payload()))
    finally:
        aws_clients.reset_clients()
    assert (result.status, result.body["error"]["code"]) == (503, "secret_unavailable")


def test_names_match_the_fixture(aws: Any) -> None:
    assert (aws.table, aws.param) == (TABLE, PARAM)
