"""What the emulator still holds after a destroy: the proof that everything was destroyable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The user the local stack acts as (iam.HARNESS_USER): the emulator's, not the stack's.
HARNESS_USERS = ("local-stack-harness",)


def leftovers(client_kwargs: Mapping[str, Any]) -> list[str]:
    """Every function, table, parameter, log group, role, user, queue, alarm and customer key left."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, **client_kwargs)

    found = [f"function {f['FunctionName']}" for f in client("lambda").list_functions()["Functions"]]
    found += [f"table {t}" for t in client("dynamodb").list_tables()["TableNames"]]
    found += [f"parameter {p['Name']}" for p in client("ssm").describe_parameters()["Parameters"]]
    found += [f"log group {g['logGroupName']}" for g in client("logs").describe_log_groups()["logGroups"]]
    found += [f"role {r['RoleName']}" for r in client("iam").list_roles()["Roles"]]
    found += [
        f"user {u['UserName']}" for u in client("iam").list_users()["Users"] if u["UserName"] not in HARNESS_USERS
    ]
    found += [f"queue {url.rsplit('/', 1)[-1]}" for url in client("sqs").list_queues().get("QueueUrls", [])]
    found += [f"alarm {a['AlarmName']}" for a in client("cloudwatch").describe_alarms()["MetricAlarms"]]
    kms = client("kms")
    # moto creates the AWS-managed keys (alias/aws/dynamodb, ...) lazily and reports them
    # as customer keys; on AWS they belong to the account, not to the stack.
    aws_managed = {
        alias.get("TargetKeyId")
        for alias in kms.list_aliases()["Aliases"]
        if alias["AliasName"].startswith("alias/aws/")
    }
    for key in kms.list_keys()["Keys"]:
        if key["KeyId"] in aws_managed:
            continue
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if metadata.get("KeyManager") == "CUSTOMER" and metadata["KeyState"] != "PendingDeletion":
            found.append(f"KMS key {key['KeyId']} ({metadata['KeyState']})")
    return found
