"""An emulator with IAM enforced, as `make up` starts it: the harness user first, then proof that IAM is on."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from local_stack import iam
from local_stack.emulator import REGION, Emulator
from local_stack.layout import boto3_kwargs

# A role the Lambda service may assume (the function roles' trust policy).
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class Enforced:
    """An IAM-enforced emulator and its harness user (the admin of these tests)."""

    def __init__(self, endpoint: str, admin: iam.Credentials) -> None:
        self.endpoint = endpoint
        self.admin = admin

    def client(self, service: str, credentials: iam.Credentials | None = None) -> Any:
        return boto3.client(service, **boto3_kwargs(self.endpoint, credentials or self.admin))

    def assume(self, role_arn: str, session: str) -> iam.Credentials:
        """The role's credentials, assumed the way the Lambda service assumes a function's role."""
        return iam.assume_function_role(self.endpoint, REGION, role_arn, session, self.admin, True)


@contextlib.contextmanager
def enforced_emulator(log_path: Path) -> Iterator[Enforced]:
    with Emulator(log_path, unauthenticated_calls=iam.BOOTSTRAP_CALLS) as emulator:
        admin = iam.create_harness_user(emulator.endpoint, REGION)
        iam.check_enforced(emulator.endpoint, REGION, admin)
        yield Enforced(emulator.endpoint, admin)
