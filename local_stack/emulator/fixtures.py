"""Resources created with boto3 the way the Terraform modules configure them, for harnesses that skip Terraform
(the functional tests, the bench, the fault tests' quick mode)."""

from __future__ import annotations

import json
from typing import Any


def create_payments_table(dynamodb: Any, name: str) -> None:
    """The payments table (behaviour.md, "Payment status") as modules/dynamodb makes it: key transactionId only."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "transactionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "transactionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def create_transactions_table(dynamodb: Any, name: str) -> None:
    """Create the transactions table on an emulator with the key schema of modules/dynamodb."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "transactionId", "KeyType": "HASH"},
            {"AttributeName": "eventId", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "transactionId", "AttributeType": "S"},
            {"AttributeName": "eventId", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_function(
    iam: Any,
    lambda_client: Any,
    *,
    name: str,
    package: bytes,
    environment: dict[str, str],
    timeout: int = 15,
    reserved_concurrency: int = 100,
) -> None:
    """Create the webhook function on an emulator the way modules/lambda configures it
    (handler, runtime, arm64, tracing, reserved concurrency), for harnesses that skip Terraform."""
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role = iam.create_role(
        RoleName=f"{name}-lambda",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
    )["Role"]["Arn"]
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": package},
        Timeout=timeout,
        MemorySize=256,
        Architectures=["arm64"],
        Environment={"Variables": environment},
        TracingConfig={"Mode": "Active"},
    )
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved_concurrency)
