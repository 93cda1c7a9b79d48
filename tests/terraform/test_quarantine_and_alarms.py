"""The quarantine queue (SSE with the stack's CMK, 14-day retention), its wiring to the
function and the role, and the CloudWatch alarms (names, metrics, optional SNS topic)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.harness import Planner, load_inventory

INVENTORY = load_inventory("root_default.json")
SUFFIX = INVENTORY["tf_vars"]["environment_suffix"]
TOPIC = "arn:aws:sns:us-east-1:123456789012:payments-oncall"
ALARMS = {
    "errors": ("AWS/Lambda", "Errors"),
    "throttles": ("AWS/Lambda", "Throttles"),
    "url-5xx": ("AWS/Lambda", "Url5xxCount"),
    "quarantine-not-empty": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
}


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(**INVENTORY["tf_vars"])


def module_call(plan: Any, name: str) -> dict[str, Any]:
    call: dict[str, Any] = plan["configuration"]["root_module"]["module_calls"][name]
    return call


def module_resource_config(plan: Any, module: str, address: str) -> dict[str, Any]:
    resources = module_call(plan, module)["module"]["resources"]
    found: dict[str, Any] = next(r for r in resources if r["address"] == address)
    return found


def alarms_of(plan: Any) -> dict[str, dict[str, Any]]:
    """Every alarm of the alarms module by its name's key (`<prefix>-<key>`)."""
    resources = plan.modules["module.alarms"].resources
    prefix = f"payment-webhook-{plan['variables']['environment_suffix']['value']}-"
    return {
        resource["values"]["alarm_name"].removeprefix(prefix): resource["values"]
        for resource in resources.values()
        if resource["type"] == "aws_cloudwatch_metric_alarm"
    }


def test_quarantine_queue_is_encrypted_with_the_stack_key_and_keeps_14_days(plan: Any) -> None:
    queue = plan.modules["module.quarantine"].resources["aws_sqs_queue.this"]["values"]
    assert queue["name"] == f"payment-webhook-{SUFFIX}-quarantine"
    assert queue["message_retention_seconds"] == 14 * 24 * 3600
    assert queue.get("sqs_managed_sse_enabled") in (None, False)  # SSE-KMS with the CMK, not SSE-SQS
    expression = module_resource_config(plan, "quarantine", "aws_sqs_queue.this")["expressions"]
    assert "var.kms_key_arn" in expression["kms_master_key_id"]["references"]
    assert "module.kms.key_arn" in module_call(plan, "quarantine")["expressions"]["kms_key_arn"]["references"]
    # Room for a 256 KiB body base64-encoded, plus headers.
    assert queue["max_message_size"] >= 4 * (256 * 1024) // 3 + 4096


def test_quarantine_queue_refuses_requests_without_tls(plan: Any) -> None:
    queue = plan.modules["module.quarantine"].resources["aws_sqs_queue.this"]["values"]
    statement, _operators_only = json.loads(queue["policy"])["Statement"]  # the second: tests/iam
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Resource"] == f"arn:aws:sqs:us-east-1:123456789012:payment-webhook-{SUFFIX}-quarantine"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_function_and_role_are_wired_to_the_queue(plan: Any) -> None:
    lambda_call = module_call(plan, "lambda")["expressions"]
    iam_call = module_call(plan, "iam")["expressions"]
    assert "module.quarantine.queue_url" in lambda_call["quarantine_queue_url"]["references"]
    assert "module.quarantine.queue_arn" in iam_call["quarantine_queue_arn"]["references"]
    function = module_resource_config(plan, "lambda", "aws_lambda_function.this")["expressions"]
    variables = function["environment"][0]["variables"]["references"]
    assert "var.quarantine_queue_url" in variables
    planned = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]["environment"][0]
    assert planned["variables"]["QUARANTINE_QUEUE_URL"] == (
        f"https://sqs.us-east-1.amazonaws.com/123456789012/payment-webhook-{SUFFIX}-quarantine"
    )


def test_first_four_alarms_named_with_the_suffix_without_notifications_by_default(plan: Any) -> None:
    alarms = alarms_of(plan)
    assert set(ALARMS) <= set(alarms)  # the others: tests/terraform/test_alarms_module.py
    for key, (namespace, metric) in ALARMS.items():
        alarm = alarms[key]
        assert alarm["alarm_name"] == f"payment-webhook-{SUFFIX}-{key}"
        assert (alarm["namespace"], alarm["metric_name"]) == (namespace, metric)
        assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
        # SQS publishes nothing for an idle queue, even one holding messages: no
        # data keeps the quarantine alarm's state instead of clearing it.
        assert alarm["treat_missing_data"] == ("ignore" if key == "quarantine-not-empty" else "notBreaching")
    for alarm in alarms.values():
        assert not alarm["alarm_actions"] and not alarm["ok_actions"]
    for key in ("errors", "throttles", "url-5xx"):
        assert alarms[key]["dimensions"] == {"FunctionName": f"payment-webhook-{SUFFIX}"}
    assert alarms["quarantine-not-empty"]["dimensions"] == {"QueueName": f"payment-webhook-{SUFFIX}-quarantine"}


def test_topic_and_retention_inputs_reach_the_resources(planner: Planner) -> None:
    plan = planner.plan(environment_suffix="qa8", alarm_sns_topic_arn=TOPIC, quarantine_retention_days=3)
    for alarm in alarms_of(plan).values():
        assert alarm["alarm_actions"] == [TOPIC]
        assert alarm["ok_actions"] == [TOPIC]
        assert "qa8" in alarm["alarm_name"]
    queue = plan.modules["module.quarantine"].resources["aws_sqs_queue.this"]["values"]
    assert queue["message_retention_seconds"] == 3 * 86400


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("quarantine_retention_days", 15, "quarantine_retention_days must be a whole number between 1 and 14"),
        ("quarantine_retention_days", 0, "quarantine_retention_days must be a whole number between 1 and 14"),
        ("alarm_sns_topic_arn", "payments-oncall", "alarm_sns_topic_arn must be null or the ARN of an SNS topic"),
        (
            "alarm_sns_topic_arn",
            "arn:aws:sqs:us-east-1:123456789012:q",
            "alarm_sns_topic_arn must be null or the ARN of an SNS topic",
        ),
    ],
)
def test_invalid_quarantine_and_alarm_inputs_are_rejected(
    planner: Planner, variable: str, value: object, message: str
) -> None:
    assert message in planner.plan_error(environment_suffix="ok", **{variable: value})
