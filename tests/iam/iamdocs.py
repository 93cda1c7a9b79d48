"""The documents the IAM evaluation runs over and the names the requests use
(shared by tests/iam/conftest.py and the tests: a module name of its own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"
DNS_SUFFIX = "amazonaws.com"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
SUFFIX = "iam1"
# The operator named in operator_role_arns, and a power user (ssm:*, kms:*, sqs:* on *) who is not.
OPERATOR_ROLE = f"arn:{PARTITION}:iam::{ACCOUNT}:role/payments-operator"
POWER_USER_ROLE = f"arn:{PARTITION}:iam::{ACCOUNT}:role/power-user"


@dataclass(frozen=True)
class Documents:
    """The planned policies and the ARNs the requests are made against."""

    role_policy: dict[str, Any]
    trust_policy: dict[str, Any]
    key_policy: dict[str, Any]
    queue_policy: dict[str, Any]
    function_policy: dict[str, Any]
    names: dict[str, str]  # placeholder -> value
    root_plan: Any
    # Principal placeholder -> its identity policy, for the roles other than the function's
    # (the Stripe reconciler's role and its schedule's role, from a plan of modules/reconciler).
    other_roles: dict[str, dict[str, Any]] = field(default_factory=dict)


def arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT}:{resource}"


def function_policy(function_arn: str, permissions: list[dict[str, Any]]) -> dict[str, Any]:
    """The function's resource policy as Lambda renders the planned permissions (GetPolicy)."""
    statements = []
    for permission in permissions:
        statement: dict[str, Any] = {
            "Sid": permission["statement_id"],
            "Effect": "Allow",
            "Principal": permission["principal"],
            "Action": permission["action"],
            "Resource": function_arn,
        }
        condition: dict[str, dict[str, str]] = {}
        if permission.get("function_url_auth_type"):
            condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = permission[
                "function_url_auth_type"
            ]
        if permission.get("invoked_via_function_url"):
            condition.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
        if permission.get("source_account"):
            condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = permission["source_account"]
        if permission.get("source_arn"):
            condition.setdefault("ArnLike", {})["AWS:SourceArn"] = permission["source_arn"]
        if condition:
            statement["Condition"] = condition
        statements.append(statement)
    return {"Version": "2012-10-17", "Id": "default", "Statement": statements}


def resources_of(plan: Any, module: str, resource_type: str) -> list[dict[str, Any]]:
    return [
        r["values"] for address, r in plan.modules[module].resources.items() if address.startswith(resource_type + ".")
    ]
