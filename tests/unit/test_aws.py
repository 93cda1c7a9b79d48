from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from webhook import aws


@pytest.fixture(autouse=True)
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.reset_clients()
    yield
    aws.reset_clients()


@pytest.mark.parametrize("service", ["dynamodb", "ssm"])
def test_clients_have_timeouts_and_bounded_retries(service: str) -> None:
    config = aws.client(service).meta.config
    assert config.connect_timeout == aws.CONNECT_TIMEOUT_SECONDS
    assert config.read_timeout == aws.READ_TIMEOUT_SECONDS
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    worst_case = config.retries["total_max_attempts"] * (config.connect_timeout + config.read_timeout)
    assert worst_case <= 10  # two dependencies stay well within a 30 s function timeout


def test_clients_are_created_once_per_container() -> None:
    assert aws.client("ssm") is aws.client("ssm")
    assert aws.client("dynamodb") is not aws.client("ssm")


def test_importing_the_handler_does_not_import_boto3() -> None:
    code = "import sys, handler; assert 'boto3' not in sys.modules and 'botocore' not in sys.modules"
    src = str(aws.__file__).rsplit("/webhook/", 1)[0]
    subprocess.run([sys.executable, "-B", "-c", code], cwd=src, check=True)


def test_error_classification() -> None:
    from botocore.exceptions import ClientError, EndpointConnectionError

    def client_error(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "m"}}, "PutItem")

    assert aws.error_code(client_error("X")) == "X"
    assert aws.error_code(ValueError()) is None
    assert aws.is_retryable(client_error("ProvisionedThroughputExceededException"))
    assert not aws.is_retryable(client_error("ResourceNotFoundException"))
    assert aws.is_retryable(EndpointConnectionError(endpoint_url="x"))
    assert not aws.is_aws_error(RuntimeError())
