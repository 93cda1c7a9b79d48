"""The Stripe reconciler in the plan: off by default and without Stripe; when on, the function
(same zip, reconcile.handler, arm64, X-Ray, its env), its encrypted log group, the API-key
SecureString without a value in state, the schedule and its role, the exactly-scoped role, the
outputs and the alarm wiring."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.harness import Planner, load_inventory

INVENTORY = load_inventory("root_default.json")
SUFFIX = INVENTORY["tf_vars"]["environment_suffix"]
NAME = f"payment-webhook-{SUFFIX}"
ACCOUNT = "123456789012"
FUNCTION = f"{NAME}-reconciler"
PARAMETER = f"/payment-webhook/{SUFFIX}/stripe-api-key"


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(
        **{**INVENTORY["tf_vars"], "stripe_reconciliation_enabled": True, "stripe_api_version": "2024-06-20"}
    )


def resources(plan: Any) -> dict[str, Any]:
    return {address: r["values"] for address, r in plan.modules["module.reconciler[0]"].resources.items()}


def test_off_by_default_and_without_stripe(planner: Planner) -> None:
    default = planner.plan(**INVENTORY["tf_vars"])
    assert not [m for m in default.modules if m.startswith("module.reconciler")]
    assert default.outputs["reconciler_function_name"] is None
    assert default.outputs["stripe_api_key_parameter_name"] is None
    no_stripe = planner.plan(
        **{**INVENTORY["tf_vars"], "stripe_reconciliation_enabled": True, "enabled_providers": ["standard", "adyen"]}
    )
    assert not [m for m in no_stripe.modules if m.startswith("module.reconciler")]
    assert no_stripe.outputs["stripe_api_key_parameter_name"] is None


def test_function_and_environment(plan: Any) -> None:
    fn = resources(plan)["aws_lambda_function.this"]
    receiver = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    assert fn["function_name"] == FUNCTION
    assert fn["handler"] == "reconcile.handler"
    assert fn["architectures"] == ["arm64"]
    assert fn["tracing_config"] == [{"mode": "Active"}]
    assert fn["timeout"] == 300
    assert fn["runtime"] == receiver["runtime"] and fn["filename"] == receiver["filename"]
    assert fn["environment"][0]["variables"] == {
        "STRIPE_API_KEY_PARAM": PARAMETER,
        "STRIPE_API_BASE": "https://api.stripe.com",
        "RECONCILE_LOOKBACK_SECONDS": "2592000",
        "STRIPE_API_VERSION": "2024-06-20",
        "TABLE_NAME": f"{NAME}-transactions",
        "PAYMENTS_TABLE_NAME": f"{NAME}-payments",
        "QUARANTINE_QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{NAME}-quarantine",
    }
    log_group = resources(plan)["aws_cloudwatch_log_group.this"]
    assert log_group["name"] == f"/aws/lambda/{FUNCTION}"
    kms = plan.modules["module.kms"].resources["aws_kms_key.this"]["values"]["policy"]
    assert f"/aws/lambda/{FUNCTION}" in kms  # CloudWatch Logs may use the key for its log group


def test_api_key_parameter_holds_no_value_in_state(plan: Any) -> None:
    parameter = resources(plan)["aws_ssm_parameter.this"]
    assert parameter["name"] == PARAMETER and parameter["type"] == "SecureString"
    assert parameter.get("value") is None and parameter.get("value_wo") is None
    assert parameter["value_wo_version"] == 1
    assert plan.outputs["stripe_api_key_parameter_name"] == PARAMETER
    assert plan.outputs["reconciler_function_name"] == FUNCTION


def test_schedule(plan: Any, planner: Planner) -> None:
    schedule = resources(plan)["aws_scheduler_schedule.this"]
    assert schedule["schedule_expression"] == "rate(1 hour)"
    assert schedule["flexible_time_window"] == [{"mode": "OFF", "maximum_window_in_minutes": None}]
    trust = json.loads(resources(plan)["aws_iam_role.scheduler"]["assume_role_policy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    custom = planner.plan(
        **{
            **INVENTORY["tf_vars"],
            "stripe_reconciliation_enabled": True,
            "stripe_reconcile_schedule": "rate(15 minutes)",
        }
    )
    values = custom.modules["module.reconciler[0]"].resources["aws_scheduler_schedule.this"]["values"]
    assert values["schedule_expression"] == "rate(15 minutes)"


def test_reconciler_alarm_is_wired(plan: Any) -> None:
    alarms = {
        r["values"]["alarm_name"]: r["values"]
        for r in plan.modules["module.alarms"].resources.values()
        if r["type"] == "aws_cloudwatch_metric_alarm"
    }
    wired = [a for a in alarms.values() if a.get("dimensions") == {"FunctionName": FUNCTION}]
    assert wired, sorted(alarms)


# The module planned alone with known ARNs, so both policies are known at plan time.
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{NAME}-quarantine"
MODULE_VARS = {
    "name": NAME,
    "kms_key_arn": KEY,
    "package_path": "lambda.zip",
    "package_base64sha256": "AAAA",
    "runtime": "python3.13",
    "transactions_table_name": f"{NAME}-transactions",
    "payments_table_name": f"{NAME}-payments",
    "quarantine_queue_url": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{NAME}-quarantine",
    "quarantine_queue_arn": QUEUE_ARN,
    "api_key_parameter_name": PARAMETER,
}


def test_roles_are_exactly_scoped(planner: Planner) -> None:
    module = planner.plan("modules/reconciler", **MODULE_VARS)
    policy = json.loads(module.resources["aws_iam_role_policy.this"]["values"]["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert sorted(by_sid) == [
        "DecryptThroughServices",
        "EncryptQuarantineWithStackKey",
        "QuarantineRefusedEvents",
        "ReadTheStripeApiKey",
        "StoreEventsAndPaymentStatus",
        "WriteItsLogs",
        "XRayTraces",
    ]
    assert by_sid["ReadTheStripeApiKey"]["Action"] == "ssm:GetParameter"
    assert by_sid["ReadTheStripeApiKey"]["Resource"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{PARAMETER}"
    assert by_sid["StoreEventsAndPaymentStatus"]["Action"] == "dynamodb:PutItem"
    assert sorted(by_sid["StoreEventsAndPaymentStatus"]["Resource"]) == [
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{NAME}-payments",
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{NAME}-transactions",
    ]
    decrypt = by_sid["DecryptThroughServices"]
    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"] == KEY
    assert "ssm.us-east-1.amazonaws.com" in decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    assert (by_sid["QuarantineRefusedEvents"]["Action"], by_sid["QuarantineRefusedEvents"]["Resource"]) == (
        "sqs:SendMessage",
        QUEUE_ARN,
    )
    generate = by_sid["EncryptQuarantineWithStackKey"]
    assert generate["Condition"]["StringEquals"]["kms:ViaService"] == "sqs.us-east-1.amazonaws.com"
    assert by_sid["WriteItsLogs"]["Resource"] == (
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{FUNCTION}:*"
    )
    assert [s["Sid"] for s in policy["Statement"] if s["Resource"] == "*"] == ["XRayTraces"]
    invoke = json.loads(module.resources["aws_iam_role_policy.scheduler"]["values"]["policy"])
    assert invoke["Statement"] == [
        {
            "Sid": "InvokeTheReconciler",
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION}",
        }
    ]
