"""The key policy lets services create grants only for AWS resources,
DynamoDB describe the key only for this account, and names CloudWatch Logs'
principal in the partition's own DNS suffix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.harness import Planner, load_inventory

INVENTORY = load_inventory("root_default.json")
ACCOUNT = "123456789012"


def statements(plan: Any) -> dict[str, dict[str, Any]]:
    policy = json.loads(plan.modules["module.kms"].resources["aws_kms_key.this"]["values"]["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(**INVENTORY["tf_vars"])


def test_create_grant_only_for_aws_resources(plan: Any) -> None:
    by_sid = statements(plan)
    granting = {sid: s for sid, s in by_sid.items() if "kms:CreateGrant" in actions(s)}
    assert set(granting) == {"AccountServicesCreateGrants"}, "no other statement may allow kms:CreateGrant"
    grant = granting["AccountServicesCreateGrants"]
    assert actions(grant) == ["kms:CreateGrant"]
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grant["Condition"]["StringEquals"]["kms:CallerAccount"] == ACCOUNT
    assert sorted(grant["Condition"]["StringEquals"]["kms:ViaService"]) == [
        "dynamodb.us-east-1.amazonaws.com",
        "lambda.us-east-1.amazonaws.com",
        "sqs.us-east-1.amazonaws.com",
    ]


def test_dynamodb_service_statement_is_limited_to_this_account(plan: Any) -> None:
    dynamodb = statements(plan)["DynamoDBDescribesKey"]
    assert dynamodb["Principal"] == {"Service": "dynamodb.amazonaws.com"}
    assert dynamodb["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_logs_principal_and_arns_follow_the_partition(planner: Planner) -> None:
    """In aws-cn the principal is logs.<region>.amazonaws.com.cn and ARNs are arn:aws-cn:."""
    plan = planner.plan("examples/minimal", environment_suffix="cn1", aws_region="cn-north-1")
    key = plan.modules["module.webhook"].child_modules["module.kms"].resources["aws_kms_key.this"]
    by_sid = {s["Sid"]: s for s in json.loads(key["values"]["policy"])["Statement"]}
    logs = by_sid["CloudWatchLogsEncryptsTheLogGroups"]
    assert logs["Principal"] == {"Service": "logs.cn-north-1.amazonaws.com.cn"}
    assert f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:log-group:/aws/lambda/payment-webhook-cn1" in (
        logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    )
    assert by_sid["AccountAdministersKey"]["Principal"] == {"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"}
    via = by_sid["AccountServicesUseKey"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert "dynamodb.cn-north-1.amazonaws.com.cn" in via
