"""The function's role names exact actions on exact ARNs (modules/iam planned alone,
with known ARNs, so the policy document is fully known at plan time)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.harness import Planner

ACCOUNT = "123456789012"  # moto's default account
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/payment-webhook-t1-transactions"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:payment-webhook-t1-quarantine"
PAYMENTS = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/payment-webhook-t1-payments"
PARAMETERS = [
    "/payment-webhook/t1/webhook-signing-secrets",
    "/payment-webhook/t1/stripe-webhook-signing-secrets",
    "/payment-webhook/t1/adyen-hmac-keys",
]
PARAMETER_ARNS = [f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}" for name in PARAMETERS]
VIA = [
    "dynamodb.us-east-1.amazonaws.com",
    "lambda.us-east-1.amazonaws.com",
    "sqs.us-east-1.amazonaws.com",
    "ssm.us-east-1.amazonaws.com",
]

EXPECTED_STATEMENTS = {
    "WriteOwnLogs": (
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/payment-webhook-t1:log-stream:*"],
    ),
    "StoreWebhookEvents": (["dynamodb:PutItem"], [TABLE]),
    "StorePaymentStatus": (["dynamodb:PutItem"], [PAYMENTS]),
    "ReadSigningSecrets": (["ssm:GetParameter"], PARAMETER_ARNS),
    "DecryptWithStackKey": (["kms:Decrypt"], [KEY]),
    "QuarantineRefusedEvents": (["sqs:SendMessage"], [QUEUE]),
    "EncryptQuarantineWithStackKey": (["kms:GenerateDataKey"], [KEY]),
    "SendTraces": (["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]),
}


INPUTS = {
    "role_name": "payment-webhook-t1-lambda",
    "table_arn": TABLE,
    "payments_table_arn": PAYMENTS,
    "log_group_name": "/aws/lambda/payment-webhook-t1",
    "secret_parameter_names": PARAMETERS,
    "kms_key_arn": KEY,
    "quarantine_queue_arn": QUEUE,
}


@pytest.fixture(scope="module")
def iam_plan(planner: Planner) -> Any:
    return planner.plan("modules/iam", **INPUTS)


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


def test_stack_key_is_decrypted_only_through_the_services(iam_plan: Any) -> None:
    policy = json.loads(iam_plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    statement = next(s for s in policy["Statement"] if s["Sid"] == "DecryptWithStackKey")
    assert sorted(statement["Condition"]["StringEquals"]["kms:ViaService"]) == VIA


def test_no_quarantine_or_payments_statements_without_their_resources(planner: Planner) -> None:
    inputs = {k: v for k, v in INPUTS.items() if k not in ("quarantine_queue_arn", "payments_table_arn")}
    plan = planner.plan("modules/iam", **inputs)
    policy = json.loads(plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    sids = {s["Sid"] for s in policy["Statement"]}
    assert sids == set(EXPECTED_STATEMENTS) - {
        "QuarantineRefusedEvents",
        "EncryptQuarantineWithStackKey",
        "StorePaymentStatus",
    }


def test_secret_parameters_are_exactly_the_given_ones(planner: Planner) -> None:
    plan = planner.plan("modules/iam", **{**INPUTS, "secret_parameter_names": PARAMETERS[1:2]})
    policy = json.loads(plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    statement = next(s for s in policy["Statement"] if s["Sid"] == "ReadSigningSecrets")
    assert as_list(statement["Resource"]) == [PARAMETER_ARNS[1]]


def test_role_arn_is_output_only_after_the_policy_is_attached(iam_plan: Any) -> None:
    """The function is created with the role only once its policy exists."""
    output = iam_plan["configuration"]["root_module"]["outputs"]["role_arn"]
    assert output.get("depends_on") == ["aws_iam_role_policy.this"]
