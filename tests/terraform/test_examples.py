"""Both examples are complete root modules whose plans honour their inputs."""

from __future__ import annotations

from tests.terraform.harness import Planner


def test_minimal_example_plans_with_defaults(planner: Planner) -> None:
    plan = planner.plan("examples/minimal")
    webhook = plan.modules["module.webhook"]
    function = webhook.child_modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    assert function["function_name"] == "payment-webhook-example"
    assert function["reserved_concurrent_executions"] == 100
    assert set(plan["configuration"]["root_module"]["outputs"]) == {
        "function_url",
        "webhook_secret_parameter_name",
        "secret_put_commands",
    }


def test_complete_example_sets_every_input(planner: Planner) -> None:
    plan = planner.plan("examples/complete")
    webhook = plan.modules["module.webhook"]
    lam = webhook.child_modules["module.lambda"].resources
    function = lam["aws_lambda_function.this"]["values"]
    assert function["function_name"] == "acme-payments-prod"
    assert function["reserved_concurrent_executions"] == 50
    assert function["timeout"] == 10
    assert function["memory_size"] == 512
    assert function["runtime"] == "python3.12"
    variables = function["environment"][0]["variables"]
    assert variables["SIGNATURE_TOLERANCE_SECONDS"] == "180"
    assert variables["STRIPE_SECRET_PARAM"] == "/acme-payments/prod/stripe-webhook-signing-secrets"
    assert "ADYEN_HMAC_KEY_PARAM" not in variables
    assert sorted(k for k in lam if k.startswith("aws_ssm_parameter")) == [
        'aws_ssm_parameter.secret["standard"]',
        'aws_ssm_parameter.secret["stripe"]',
    ]
    assert function["tags_all"]["CostCenter"] == "payments"
    assert lam["aws_cloudwatch_log_group.this"]["values"]["retention_in_days"] == 90
    kms = webhook.child_modules["module.kms"].resources["aws_kms_key.this"]["values"]
    assert kms["deletion_window_in_days"] == 14
    table = webhook.child_modules["module.dynamodb"].resources["aws_dynamodb_table.this"]["values"]
    assert table["deletion_protection_enabled"] is True
    policy = kms["policy"]
    assert "logs.eu-west-1.amazonaws.com" in policy
    queue = webhook.child_modules["module.quarantine"].resources["aws_sqs_queue.this"]["values"]
    assert queue["message_retention_seconds"] == 7 * 86400
    alarms = [
        r
        for r in webhook.child_modules["module.alarms"].resources.values()
        if r["type"] == "aws_cloudwatch_metric_alarm"
    ]
    assert alarms
    for alarm in alarms:
        assert alarm["values"]["alarm_actions"] == ["arn:aws:sns:eu-west-1:123456789012:payments-oncall"]
