"""Start and stop moto server, the local AWS emulator, as a separate process.

Shared by `make plan`, the Terraform plan tests and the local stack. Terraform and
boto3 reach it through AWS_ENDPOINT_URL; nothing in the Terraform code knows it is
talking to an emulator. By default every request is accepted (fake credentials
`testing`); the local stack (`make up`) runs it with IAM enforced instead (see
local_stack/iam.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aws_env(endpoint: str, region: str = REGION, credentials: dict[str, str] | None = None) -> dict[str, str]:
    """Environment that points every AWS SDK (and the aws provider) at the emulator.

    ``credentials`` (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally
    AWS_SESSION_TOKEN) default to the fake ones an emulator without IAM accepts.
    """
    return {
        "AWS_ENDPOINT_URL": endpoint,
        **(credentials or FAKE_CREDENTIALS),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def moto_server_command() -> list[str]:
    # moto server with atomic DynamoDB requests and resource ARNs for IAM (see moto_server.py).
    return [sys.executable, "-m", "local_stack.moto_server"]


def repo_root() -> Path:
    """The repository root: the working directory moto server needs to import local_stack."""
    return Path(__file__).resolve().parent.parent


class Emulator:
    """moto server on a free loopback port, in its own process group."""

    def __init__(self, log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def env(self) -> dict[str, str]:
        return aws_env(self.endpoint)

    def start(self, timeout: float = 30.0) -> Emulator:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*moto_server_command(), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=repo_root(),
            start_new_session=True,
        )
        log.close()
        wait_until_up(self.endpoint + "/moto-api/", timeout, self.process)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process.pid)
            self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until_up(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def stop_process_group(pid: int, grace: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left. Safe if already gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.05)


def create_payments_table(dynamodb: Any, name: str) -> None:
    """Create the payments table (CONTRACT §5) with the key schema of modules/dynamodb: transactionId only."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "transactionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "transactionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def create_transactions_table(dynamodb: Any, name: str) -> None:
    """Create the transactions table on an emulator with the key schema of modules/dynamodb."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "transactionId", "KeyType": "HASH"},
            {"AttributeName": "eventId", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "transactionId", "AttributeType": "S"},
            {"AttributeName": "eventId", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_function(
    iam: Any,
    lambda_client: Any,
    *,
    name: str,
    package: bytes,
    environment: dict[str, str],
    timeout: int = 15,
    reserved_concurrency: int = 100,
) -> None:
    """Create the webhook function on an emulator the way modules/lambda configures it
    (handler, runtime, arm64, tracing, reserved concurrency), for harnesses that skip Terraform."""
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role = iam.create_role(
        RoleName=f"{name}-lambda",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
    )["Role"]["Arn"]
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": package},
        Timeout=timeout,
        MemorySize=256,
        Architectures=["arm64"],
        Environment={"Variables": environment},
        TracingConfig={"Mode": "Active"},
    )
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved_concurrency)
