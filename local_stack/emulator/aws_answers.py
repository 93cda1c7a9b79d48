"""AWS's answers where moto differs and the stack's Terraform depends on it.

moto 5.2 differs from AWS in three ways that matter to the Function URL and the
reserved-concurrency check; the stack follows AWS, so this wrapper (the test
harness) gives the emulator AWS's answers instead of bending the Terraform
(installed by local_stack/emulator/server.py, the one moto wrapper of the stack, the
Terraform tests and the benchmark):

* Lambda AddPermission with a statement id the function's policy already holds:
  AWS refuses it (409 ResourceConflictException "The statement id (X) provided
  already exists. ..."), moto appends a second statement with the same id. The
  aws provider relies on AWS's answer when it creates a Function URL.
* AddPermission's FunctionUrlAuthType / InvokedViaFunctionUrl: AWS renders them
  as conditions (`StringEquals lambda:FunctionUrlAuthType`, `Bool
  lambda:InvokedViaFunctionUrl`), moto keeps the raw request fields.
* Service Quotas: moto 5.2 knows only VPC quotas and does not implement
  GetAWSDefaultServiceQuota at all (HTTP 500 NotImplemented, which the aws provider
  retries for many minutes: a plan with the stack's quota check hangs). Here the
  Lambda quota L-B99A9384 "Concurrent executions" answers like an account:
  AWS's default 1000, or MOTO_LAMBDA_CONCURRENCY_QUOTA when set (the variable moto's
  own Lambda enforces reservations against, so both agree); the applied quota
  (GetServiceQuota) exists only when that variable is set. With
  MOTO_SERVICE_QUOTAS_ACCESS_DENIED=1 every Service Quotas call answers
  AccessDeniedException, as for a deployer without servicequotas permissions.
"""

from __future__ import annotations

import json
import os
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy
from moto.core.exceptions import JsonRESTError
from moto.servicequotas.exceptions import NoSuchResource
from moto.servicequotas.models import ServiceQuotasBackend
from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS
from moto.servicequotas.responses import ServiceQuotasResponse

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


AWS_DEFAULT_LAMBDA_CONCURRENCY = 1000.0


class AccessDenied(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("AccessDeniedException", "User is not authorized to perform: servicequotas:*")


def _refuse_if_denied() -> None:
    if os.environ.get("MOTO_SERVICE_QUOTAS_ACCESS_DENIED") == "1":
        raise AccessDenied


def lambda_concurrency_quota(region: str, *, applied: bool) -> dict[str, Any] | None:
    """The account's quota: the configured one, else (default quota only) AWS's default."""
    configured = os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA")
    if configured is None and applied:
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
        "Value": float(configured) if configured is not None else AWS_DEFAULT_LAMBDA_CONCURRENCY,
    }


_original_list_defaults = ServiceQuotasBackend.list_aws_default_service_quotas
_original_get_quota = ServiceQuotasBackend.get_service_quota


def list_aws_default_service_quotas(self: ServiceQuotasBackend, service_code: str) -> list[dict[str, Any]]:
    _refuse_if_denied()
    if service_code == "lambda":
        quota = lambda_concurrency_quota(self.region_name, applied=False)
        assert quota is not None
        return [quota]
    return _original_list_defaults(self, service_code)


def get_service_quota(self: ServiceQuotasBackend, service_code: str, quota_code: str) -> dict[str, Any]:
    _refuse_if_denied()
    if service_code == "lambda" and quota_code == LAMBDA_CONCURRENCY_QUOTA_CODE:
        quota = lambda_concurrency_quota(self.region_name, applied=True)
        if quota is None:
            raise NoSuchResource
        return quota
    return _original_get_quota(self, service_code, quota_code)


def get_aws_default_service_quota(self: ServiceQuotasBackend, service_code: str, quota_code: str) -> dict[str, Any]:
    _refuse_if_denied()
    if service_code == "lambda" and quota_code == LAMBDA_CONCURRENCY_QUOTA_CODE:
        quota = lambda_concurrency_quota(self.region_name, applied=False)
        assert quota is not None
        return quota
    if service_code == "vpc":
        for quota in VPC_DEFAULT_QUOTAS:
            if quota["QuotaCode"] == quota_code:
                return quota
    raise NoSuchResource


def get_aws_default_service_quota_response(self: ServiceQuotasResponse) -> str:
    params = json.loads(self.body)
    quota = get_aws_default_service_quota(self.backend, str(params.get("ServiceCode")), str(params.get("QuotaCode")))
    return json.dumps({"Quota": quota})


def install() -> None:
    Policy.add_statement = add_statement  # type: ignore[method-assign]
    ServiceQuotasBackend.list_aws_default_service_quotas = list_aws_default_service_quotas  # type: ignore[method-assign]
    ServiceQuotasBackend.get_service_quota = get_service_quota  # type: ignore[method-assign]
    ServiceQuotasResponse.get_aws_default_service_quota = get_aws_default_service_quota_response  # type: ignore[attr-defined]
