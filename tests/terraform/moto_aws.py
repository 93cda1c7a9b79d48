"""moto server that answers like AWS where the stack's Terraform depends on it.

moto 5.2 differs from AWS in three ways that matter to the Function URL and the
reserved-concurrency check; the stack follows AWS, so this wrapper (the test
harness) gives the emulator AWS's answers instead of bending the Terraform:

* Lambda AddPermission with a statement id the function's policy already holds:
  AWS refuses it (409 ResourceConflictException "The statement id (X) provided
  already exists. ..."), moto appends a second statement with the same id. The
  aws provider relies on AWS's answer when it creates a Function URL.
* AddPermission's FunctionUrlAuthType / InvokedViaFunctionUrl: AWS renders them
  as conditions (`StringEquals lambda:FunctionUrlAuthType`, `Bool
  lambda:InvokedViaFunctionUrl`), moto keeps the raw request fields.
* Service Quotas knows only VPC quotas in moto. With MOTO_LAMBDA_CONCURRENCY_QUOTA
  set (the variable moto's own Lambda already enforces reservations against), the
  Lambda quota L-B99A9384 "Concurrent executions" answers that value; unset, it
  answers NoSuchResourceException as plain moto does.

Everything the local stack's own moto wrapper does comes first
(local_stack/moto_server.py, or tools/moto_atomic.py before the harness moved).

Usage: python tests/terraform/moto_aws.py -H 127.0.0.1 -p PORT   (same flags as moto_server)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from moto import server
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy
from moto.servicequotas.exceptions import NoSuchResource
from moto.servicequotas.models import ServiceQuotasBackend

LAMBDA_CONCURRENCY_QUOTA_CODE = "L-B99A9384"


class StatementIdExists(LambdaClientError):
    code = 409

    def __init__(self, sid: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement id,"
            " or remove the existing statement.",
        )


_original_add_statement = Policy.add_statement


def add_statement(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
    request = json.loads(raw)
    sid = request.get("StatementId")
    if sid and any(statement.get("Sid") == sid for statement in self.statements):
        raise StatementIdExists(sid)
    statement, revision = _original_add_statement(self, raw, qualifier)
    conditions = statement.setdefault("Condition", {})
    auth_type = statement.pop("FunctionUrlAuthType", None)
    if auth_type is not None:
        conditions.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = auth_type
    via_url = statement.pop("InvokedViaFunctionUrl", None)
    if via_url is not None:
        conditions.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = str(bool(via_url)).lower()
    if not conditions:
        del statement["Condition"]
    return statement, revision


def lambda_concurrency_quota(region: str) -> dict[str, Any] | None:
    value = os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA")
    if value is None:
        return None
    return {
        "Adjustable": True,
        "GlobalQuota": False,
        "QuotaArn": f"arn:aws:servicequotas:{region}::lambda/{LAMBDA_CONCURRENCY_QUOTA_CODE}",
        "QuotaCode": LAMBDA_CONCURRENCY_QUOTA_CODE,
        "QuotaName": "Concurrent executions",
        "ServiceCode": "lambda",
        "ServiceName": "AWS Lambda",
        "Unit": "None",
        "Value": float(value),
    }


_original_list_defaults = ServiceQuotasBackend.list_aws_default_service_quotas
_original_get_quota = ServiceQuotasBackend.get_service_quota


def list_aws_default_service_quotas(self: ServiceQuotasBackend, service_code: str) -> list[dict[str, Any]]:
    if service_code == "lambda":
        quota = lambda_concurrency_quota(self.region_name)
        if quota is None:
            raise NoSuchResource
        return [quota]
    return _original_list_defaults(self, service_code)


def get_service_quota(self: ServiceQuotasBackend, service_code: str, quota_code: str) -> dict[str, Any]:
    if service_code == "lambda" and quota_code == LAMBDA_CONCURRENCY_QUOTA_CODE:
        quota = lambda_concurrency_quota(self.region_name)
        if quota is None:
            raise NoSuchResource
        return quota
    return _original_get_quota(self, service_code, quota_code)


def install() -> None:
    Policy.add_statement = add_statement  # type: ignore[method-assign]
    ServiceQuotasBackend.list_aws_default_service_quotas = list_aws_default_service_quotas  # type: ignore[method-assign]
    ServiceQuotasBackend.get_service_quota = get_service_quota  # type: ignore[method-assign]


def install_local_stack() -> None:
    """The local stack's moto changes (atomic DynamoDB, ...), wherever they live."""
    try:
        from local_stack import moto_server  # type: ignore[import-not-found]
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
        from moto_atomic import AtomicDynamoDBApplication  # type: ignore[import-not-found]

        server.DomainDispatcherApplication = AtomicDynamoDBApplication
    else:
        moto_server.install()


if __name__ == "__main__":
    install_local_stack()
    install()
    server.main()
