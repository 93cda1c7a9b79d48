"""IAM enforced on the local emulator, the way AWS enforces it (README.md, "IAM, enforced").

moto server starts with ``INITIAL_NO_AUTH_ACTION_COUNT`` = the number of calls the
bootstrap needs (``BOOTSTRAP_CALLS``): exactly those calls run unauthenticated and
create the harness's own IAM user with an admin policy and an access key. From the
next call on, moto checks every request's SigV4 signature against the IAM users and
STS sessions it knows and evaluates their identity policies, so:

* Terraform applies as that user (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` of
  the user; the fake ``testing`` keys are refused);
* the function runs with the credentials of an ``sts:AssumeRole`` of its own
  execution role (:func:`assume_function_role`), as Lambda gives them, so a
  permission missing from the role is an AccessDenied, as on AWS.

The admin policy is harness-only: it exists in the emulator, never in the Terraform code.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

HARNESS_USER = "local-stack-harness"
HARNESS_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "HarnessOnlyAdmin", "Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
)
# create_user, put_user_policy, create_access_key: the calls moto lets through unauthenticated.
BOOTSTRAP_CALLS = 3
LAMBDA_SERVICE = "lambda.amazonaws.com"


class IamError(RuntimeError):
    """The emulator's IAM did not behave as the harness needs."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: float | None = None  # Unix time; None: a long-term user key

    def env(self) -> dict[str, str]:
        """As AWS_* environment variables (what Lambda sets for the function, what a CLI reads)."""
        values = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            values["AWS_SESSION_TOKEN"] = self.session_token
        return values

    def boto3(self) -> dict[str, str | None]:
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials:
        return cls(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN") or None)


def _client(service: str, endpoint: str, region: str, credentials: Credentials | None) -> Any:
    keys = credentials.boto3() if credentials else {"aws_access_key_id": "bootstrap", "aws_secret_access_key": "x"}
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **keys)


def create_harness_user(endpoint: str, region: str) -> Credentials:
    """The bootstrap: the harness's admin user and its key, in the emulator's unauthenticated calls."""
    iam = _client("iam", endpoint, region, None)
    iam.create_user(UserName=HARNESS_USER)
    iam.put_user_policy(UserName=HARNESS_USER, PolicyName="harness-only-admin", PolicyDocument=HARNESS_POLICY)
    key = iam.create_access_key(UserName=HARNESS_USER)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def check_enforced(endpoint: str, region: str, admin: Credentials) -> None:
    """Fail unless the emulator refuses unknown keys and accepts the harness user's."""
    try:
        _client("sts", endpoint, region, Credentials("AKIAFAKEFAKEFAKEFAKE", "fake")).get_caller_identity()
    except ClientError:
        pass
    else:
        raise IamError("the emulator accepted an unknown access key: IAM is not enforced")
    arn = _client("sts", endpoint, region, admin).get_caller_identity()["Arn"]
    if not arn.endswith(f":user/{HARNESS_USER}"):
        raise IamError(f"the harness key authenticates as {arn}, not as {HARNESS_USER}")


def _reset_auth(endpoint: str, unauthenticated_calls: str) -> str:
    """moto's /moto-api/reset-auth: allow that many unauthenticated calls from now on; returns the previous limit."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=unauthenticated_calls.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


def trusts_lambda(trust_policy: Mapping[str, Any] | str) -> bool:
    """True when the role's trust policy lets the Lambda service assume it (what CreateFunction checks)."""
    document = json.loads(trust_policy) if isinstance(trust_policy, str) else trust_policy
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        services = (statement.get("Principal") or {}).get("Service", [])
        services = [services] if isinstance(services, str) else services
        if statement.get("Effect") == "Allow" and "sts:AssumeRole" in actions and LAMBDA_SERVICE in services:
            return True
    return False


def assume_function_role(
    endpoint: str, region: str, role_arn: str, session_name: str, admin: Credentials | None, enforced: bool
) -> Credentials:
    """Credentials of the function's execution role, as the Lambda service obtains them.

    On AWS the Lambda service principal assumes the role; no IAM user could (the trust
    policy names only ``lambda.amazonaws.com``). moto evaluates a trust policy only
    against an IAM user or role (and fails on a Service principal), so with IAM
    enforced this opens exactly one unauthenticated call (``reset-auth`` 1), the
    AssumeRole, standing in for the service; the trust policy itself is checked here
    first. Should another client take that one call, the AssumeRole is refused and is
    tried again.
    """
    if admin is not None:
        role = _client("iam", endpoint, region, admin).get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        if not trusts_lambda(role["AssumeRolePolicyDocument"]):
            raise IamError(f"the function's role does not trust {LAMBDA_SERVICE}: Lambda could not assume it")
    last: Exception | None = None
    for attempt in range(5):
        if enforced:
            # The previous limit is the number of unauthenticated calls moto was started with
            # (already used up); infinite means IAM was never enforced.
            previous = _reset_auth(endpoint, "1")
            if float(previous) == float("inf"):
                _reset_auth(endpoint, "inf")
                raise IamError("expected an emulator with IAM enforced; this one accepts every call")
        try:
            sts = _client("sts", endpoint, region, None)
            found = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
            credentials = Credentials(
                found["AccessKeyId"], found["SecretAccessKey"], found["SessionToken"], found["Expiration"].timestamp()
            )
        except ClientError as exc:  # another client's call took the unauthenticated slot
            last = exc
            time.sleep(0.2 * (attempt + 1))
            continue
        arn = _client("sts", endpoint, region, credentials).get_caller_identity()["Arn"]
        if ":assumed-role/" not in arn:
            raise IamError(f"AssumeRole of the function's role answered credentials of {arn}")
        return credentials
    raise IamError(f"could not assume the function's role {role_arn}: {last}")
