"""Events out in the plan: streams on both tables, the publisher (same zip,
publisher.handler, arm64, X-Ray) fed by two event source mappings that keep order
and never drop a record silently, the FIFO queue, the bus with its archive (or
none), the publisher's exactly-scoped role, and the outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.harness import Planner, load_inventory

INVENTORY = load_inventory("root_default.json")
SUFFIX = INVENTORY["tf_vars"]["environment_suffix"]
NAME = f"payment-webhook-{SUFFIX}"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(**INVENTORY["tf_vars"])


@pytest.fixture(scope="module")
def plan_without_bus(planner: Planner) -> Any:
    return planner.plan(**{**INVENTORY["tf_vars"], "event_bus_enabled": False})


def resources(plan: Any) -> dict[str, Any]:
    return {address: r["values"] for address, r in plan.modules["module.events_out"].resources.items()}


def config(plan: Any, address: str) -> dict[str, Any]:
    module = plan["configuration"]["root_module"]["module_calls"]["events_out"]["module"]
    found: dict[str, Any] = next(r for r in module["resources"] if r["address"] == address)
    return found


def test_both_tables_stream_the_images_the_publisher_needs(plan: Any) -> None:
    tx = plan.modules["module.dynamodb"].resources["aws_dynamodb_table.this"]["values"]
    pay = plan.modules["module.payments_table"].resources["aws_dynamodb_table.this"]["values"]
    assert (tx["stream_enabled"], tx["stream_view_type"]) == (True, "NEW_IMAGE")
    assert (pay["stream_enabled"], pay["stream_view_type"]) == (True, "NEW_AND_OLD_IMAGES")


def test_publisher_function(plan: Any) -> None:
    fn = resources(plan)["aws_lambda_function.this"]
    receiver = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    assert fn["function_name"] == f"{NAME}-publisher"
    assert fn["handler"] == "publisher.handler"
    assert fn["architectures"] == ["arm64"]
    assert fn["tracing_config"] == [{"mode": "Active"}]
    assert fn["timeout"] <= 30
    assert fn["runtime"] == receiver["runtime"] and fn["filename"] == receiver["filename"]
    assert fn["environment"][0]["variables"] == {
        "TABLE_NAME": f"{NAME}-transactions",
        "PAYMENTS_TABLE_NAME": f"{NAME}-payments",
        "EVENTS_QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{NAME}-events.fifo",
        "EVENT_BUS_NAME": f"{NAME}-events",
        "ENVIRONMENT_SUFFIX": SUFFIX,
    }
    log_group = resources(plan)["aws_cloudwatch_log_group.this"]
    assert log_group["name"] == f"/aws/lambda/{NAME}-publisher"
    assert "aws_cloudwatch_log_group.this" in config(plan, "aws_lambda_function.this")["depends_on"]
    kms = plan.modules["module.kms"].resources["aws_kms_key.this"]["values"]["policy"]
    assert f"/aws/lambda/{NAME}-publisher" in kms  # CloudWatch Logs may use the key for its log group


def test_two_mappings_keep_order_and_never_drop_silently(plan: Any) -> None:
    mappings = {k: v for k, v in resources(plan).items() if k.startswith("aws_lambda_event_source_mapping")}
    assert sorted(mappings) == [
        'aws_lambda_event_source_mapping.this["payments"]',
        'aws_lambda_event_source_mapping.this["transactions"]',
    ]
    for mapping in mappings.values():
        assert mapping["starting_position"] == "TRIM_HORIZON"
        assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
        assert mapping["bisect_batch_on_function_error"] is True
        assert mapping["parallelization_factor"] == 1
        assert 0 <= mapping["maximum_retry_attempts"] <= 100
        assert 60 <= mapping["maximum_record_age_in_seconds"] <= 86400
        assert mapping["destination_config"][0]["on_failure"][0]["destination_arn"] == (
            f"arn:aws:sqs:us-east-1:{ACCOUNT}:{NAME}-publisher-failures"
        )


def test_queues_are_fifo_without_content_dedup_and_encrypted(plan: Any) -> None:
    kms_arn_ref = config(plan, "aws_sqs_queue.this")["expressions"]["kms_master_key_id"]["references"]
    assert "var.kms_key_arn" in kms_arn_ref
    events = resources(plan)['aws_sqs_queue.this["events"]']
    assert events["name"] == f"{NAME}-events.fifo"
    assert events["fifo_queue"] is True and events["content_based_deduplication"] is False
    failures = resources(plan)['aws_sqs_queue.this["failures"]']
    assert failures["fifo_queue"] is False and failures["message_retention_seconds"] == 1209600
    for queue in (events, failures):
        statement = json.loads(queue["policy"])["Statement"][0]
        assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_bus_and_archive(plan: Any, plan_without_bus: Any) -> None:
    bus = resources(plan)["aws_cloudwatch_event_bus.this[0]"]
    assert bus["name"] == f"{NAME}-events"
    assert resources(plan)["aws_cloudwatch_event_archive.this[0]"]["retention_days"] == 30
    assert plan.outputs["event_bus_name"] == f"{NAME}-events"
    off = resources(plan_without_bus)
    assert not [k for k in off if "event_bus" in k or "event_archive" in k]
    assert off["aws_lambda_function.this"]["environment"][0]["variables"]["EVENT_BUS_NAME"] == ""
    assert plan_without_bus.outputs["event_bus_name"] is None


# The module planned alone with known ARNs, so the role's policy is known at plan time.
TABLES = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
MODULE_VARS = {
    "name": NAME,
    "environment_suffix": SUFFIX,
    "kms_key_arn": KEY,
    "package_path": "lambda.zip",
    "package_base64sha256": "AAAA",
    "runtime": "python3.13",
    "transactions_table_name": f"{NAME}-transactions",
    "payments_table_name": f"{NAME}-payments",
    "transactions_stream_arn": f"{TABLES}/{NAME}-transactions/stream/2026-12-01T00:00:00.000",
    "payments_stream_arn": f"{TABLES}/{NAME}-payments/stream/2026-12-01T00:00:00.000",
}


def role_policy(planner: Planner, **overrides: Any) -> dict[str, Any]:
    plan = planner.plan("modules/events_out", **{**MODULE_VARS, **overrides})
    policy: dict[str, Any] = json.loads(plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    return policy


def test_without_bus_the_role_cannot_put_events(planner: Planner) -> None:
    policy = role_policy(planner, event_bus_enabled=False)
    assert not [s for s in policy["Statement"] if "events:PutEvents" in s["Action"]]


def test_publisher_role_is_exactly_scoped(planner: Planner) -> None:
    policy = role_policy(planner)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    actions = sorted(
        a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert not [a for a in actions if a.endswith("*") or a.startswith("dynamodb:PutItem") or a == "dynamodb:UpdateItem"]
    send = by_sid["SendToTheEventsAndFailureQueues"]
    assert sorted(send["Resource"]) == [
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:{NAME}-events.fifo",
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:{NAME}-publisher-failures",
    ]
    assert by_sid["PutEventsOnTheBus"]["Action"] == "events:PutEvents"
    assert by_sid["PutEventsOnTheBus"]["Resource"].endswith(f":event-bus/{NAME}-events")
    streams = by_sid["ReadTheTwoStreams"]
    assert sorted(streams["Resource"]) == [
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{NAME}-payments/stream/*",
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{NAME}-transactions/stream/*",
    ]
    kms = by_sid["UseTheKeyThroughSqsAndDynamoDB"]
    assert kms["Resource"] == KEY
    assert sorted(kms["Condition"]["StringEquals"]["kms:ViaService"]) == [
        "dynamodb.us-east-1.amazonaws.com",
        "sqs.us-east-1.amazonaws.com",
    ]
    assert [s["Sid"] for s in policy["Statement"] if s["Resource"] == "*"] == ["XRayTraces"]


def test_outputs(plan: Any) -> None:
    assert plan.outputs["events_queue_url"] == f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{NAME}-events.fifo"
    assert plan.outputs["events_queue_arn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:{NAME}-events.fifo"
    assert plan.outputs["publisher_function_name"] == f"{NAME}-publisher"


def test_publisher_alarms_are_wired(plan: Any) -> None:
    alarms = {
        r["values"]["alarm_name"]: r["values"]
        for r in plan.modules["module.alarms"].resources.values()
        if r["type"] == "aws_cloudwatch_metric_alarm"
    }
    assert alarms[f"{NAME}-publisher-iterator-age"]["dimensions"] == {"FunctionName": f"{NAME}-publisher"}
    failures = [a for a in alarms.values() if a.get("dimensions") == {"QueueName": f"{NAME}-publisher-failures"}]
    assert failures
