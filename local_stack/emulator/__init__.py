"""The one moto launcher: moto server (``local_stack.emulator.server``) on a free loopback port.

Shared by `make up`, `make plan`, the Terraform tests and the benchmark. Terraform and
boto3 reach it through AWS_ENDPOINT_URL; nothing in the Terraform code knows it is
talking to an emulator. By default every request is accepted (fake credentials
``testing``); the local stack starts it with IAM enforced (``unauthenticated_calls``,
see local_stack/iam.py). The server runs in its own process group, so it can outlive the
process that started it (`make up` returns while it runs) and stops with its children.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from local_stack.processes import ROOT, detached, free_port, stop_group, wait_until_up

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
REGION = "us-east-1"
SERVER_MODULE = "local_stack.emulator.server"  # also how `down` recognises the process it started


class EmulatorError(RuntimeError):
    """moto server did not come up."""


def aws_env(endpoint: str, region: str = REGION, credentials: Mapping[str, str] | None = None) -> dict[str, str]:
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


def without_aws(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without any AWS_* setting (nothing of a developer's AWS may leak into the harness)."""
    return {k: v for k, v in environ.items() if not k.startswith("AWS_")}


class Emulator:
    """moto server in its own process group, on ``port`` or a free one.

    ``unauthenticated_calls``: IAM is enforced after that many unauthenticated calls
    (``iam.BOOTSTRAP_CALLS``, the ones that create the harness user); None: never.
    ``lambda_concurrency_quota``: the account's Lambda concurrency quota (moto refuses
    reservations that leave fewer than 100 unreserved, Service Quotas answers it);
    ``service_quotas_denied``: every Service Quotas call is refused.
    """

    def __init__(
        self,
        log_path: Path,
        port: int | None = None,
        *,
        unauthenticated_calls: int | None = None,
        lambda_concurrency_quota: int | None = None,
        service_quotas_denied: bool = False,
    ) -> None:
        self.log_path = log_path
        self.fixed_port = port
        self.port = port or 0
        self.settings: dict[str, str] = {}
        if unauthenticated_calls is not None:
            self.settings["INITIAL_NO_AUTH_ACTION_COUNT"] = str(unauthenticated_calls)
        if lambda_concurrency_quota is not None:
            self.settings["MOTO_LAMBDA_CONCURRENCY_QUOTA"] = str(lambda_concurrency_quota)
        if service_quotas_denied:
            self.settings["MOTO_SERVICE_QUOTAS_ACCESS_DENIED"] = "1"
        self.pid = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The AWS_* settings of a client of this emulator (fake credentials)."""
        return aws_env(self.endpoint)

    def start(self, timeout: float = 30.0, attempts: int = 3) -> Emulator:
        """Start and wait until it answers; a port taken in between is retried on another."""
        env = {k: v for k, v in without_aws(os.environ).items() if not k.startswith("MOTO_")}
        env.update(self.settings)
        last: Exception | None = None
        for _ in range(1 if self.fixed_port else attempts):
            self.port = self.fixed_port or free_port()
            process = detached(
                [sys.executable, "-m", SERVER_MODULE, "-H", "127.0.0.1", "-p", str(self.port)], self.log_path, env, ROOT
            )
            try:
                wait_until_up(self.endpoint + "/moto-api/", timeout, process)
            except (RuntimeError, TimeoutError) as exc:
                last = exc
                stop_group(process.pid)
                process.wait(timeout=10)
                continue
            self.pid = process.pid
            return self
        raise EmulatorError(f"the emulator did not start: {last}; see {self.log_path}")

    def stop(self) -> None:
        if self.pid:
            stop_group(self.pid)
            self.pid = 0

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def answers(port: int | None) -> bool:
    """Whether an emulator listens on ``port``."""
    if not port:
        return False
    try:
        wait_until_up(f"http://127.0.0.1:{port}/moto-api/", 2.0)
    except (TimeoutError, RuntimeError, OSError):
        return False
    return True
