"""The function's role names exact actions on exact ARNs (modules/iam planned alone,
with known ARNs, so the policy document is fully known at plan time)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Planner

ACCOUNT = "123456789012"  # moto's default account
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/payment-webhook-t1-transactions"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:payment-webhook-t1-quarantine"

EXPECTED_STATEMENTS = {
    "WriteOwnLogs": (
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/payment-webhook-t1:log-stream:*"],
    ),
    "StoreWebhookEvents": (["dynamodb:PutItem"], [TABLE]),
    "ReadSigningSecret": (
        ["ssm:GetParameter"],
        [f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/payment-webhook/t1/webhook-signing-secrets"],
    ),
    "DecryptWithStackKey": (["kms:Decrypt"], [KEY]),
    "QuarantineRefusedEvents": (["sqs:SendMessage"], [QUEUE]),
    "EncryptQuarantineWithStackKey": (["kms:GenerateDataKey"], [KEY]),
    "SendTraces": (["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]),
}


@pytest.fixture(scope="module")
def iam_plan(planner: Planner) -> Any:
    return planner.plan(
        "modules/iam",
        role_name="payment-webhook-t1-lambda",
        table_arn=TABLE,
        log_group_name="/aws/lambda/payment-webhook-t1",
        secret_parameter_name="/payment-webhook/t1/webhook-signing-secrets",
        kms_key_arn=KEY,
        quarantine_queue_arn=QUEUE,
    )


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else sorted(value)


def test_policy_names_exact_actions_on_exact_arns(iam_plan: Any) -> None:
    policy = json.loads(iam_plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    statements = {s["Sid"]: (as_list(s["Action"]), as_list(s["Resource"])) for s in policy["Statement"]}
    assert statements == {sid: (sorted(a), sorted(r)) for sid, (a, r) in EXPECTED_STATEMENTS.items()}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not any(a == "*" or a.endswith(":*") for a in as_list(statement["Action"]))


def test_only_xray_uses_a_wildcard_resource(iam_plan: Any) -> None:
    policy = json.loads(iam_plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    wildcard = [s["Sid"] for s in policy["Statement"] if "*" in as_list(s["Resource"])]
    assert wildcard == ["SendTraces"]


def test_role_is_assumable_by_lambda_of_this_account_only(iam_plan: Any) -> None:
    role = iam_plan.resources["aws_iam_role.this"]["values"]
    trust = json.loads(role["assume_role_policy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert not iam_plan.resources.get("aws_iam_role_policy_attachment.this"), "no managed policies"


def test_quarantine_key_use_only_through_sqs(iam_plan: Any) -> None:
    policy = json.loads(iam_plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    statement = next(s for s in policy["Statement"] if s["Sid"] == "EncryptQuarantineWithStackKey")
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}


def test_no_quarantine_statements_without_a_queue(planner: Planner) -> None:
    plan = planner.plan(
        "modules/iam",
        role_name="payment-webhook-t1-lambda",
        table_arn=TABLE,
        log_group_name="/aws/lambda/payment-webhook-t1",
        secret_parameter_name="/payment-webhook/t1/webhook-signing-secrets",
        kms_key_arn=KEY,
    )
    policy = json.loads(plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    sids = {s["Sid"] for s in policy["Statement"]}
    assert sids == set(EXPECTED_STATEMENTS) - {"QuarantineRefusedEvents", "EncryptQuarantineWithStackKey"}
