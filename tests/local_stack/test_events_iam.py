"""PutEvents with IAM enforced: moto evaluates it against the resource ``*`` unless the wrapper
names the bus (local_stack.moto_server.events_resource), so a role allowed PutEvents on exactly
its bus would be refused even there; with the bus named, it puts on its bus and is refused others."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_stack import iam, stack

pytestmark = pytest.mark.timeout(120)

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def test_put_events_is_authorized_on_the_named_bus(tmp_path: Any) -> None:
    layout = stack.Layout(tmp_path)
    pid, port = stack.start_emulator(layout, enforce_iam=True)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        admin = stack.bootstrap_iam(endpoint)
        admin_events = boto3.client("events", **stack.boto3_kwargs(endpoint, admin))
        own = admin_events.create_event_bus(Name="own-bus")["EventBusArn"]
        admin_events.create_event_bus(Name="other-bus")
        admin_iam = boto3.client("iam", **stack.boto3_kwargs(endpoint, admin))
        role_arn = admin_iam.create_role(RoleName="publisher-bus", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
            "Arn"
        ]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": own}],
        }
        admin_iam.put_role_policy(RoleName="publisher-bus", PolicyName="bus", PolicyDocument=json.dumps(policy))
        role = iam.assume_function_role(endpoint, stack.REGION, role_arn, "publisher-bus", admin, True)
        events = boto3.client("events", **stack.boto3_kwargs(endpoint, role))

        def put(bus: str) -> dict[str, Any]:
            entry = {"EventBusName": bus, "Source": "payment-webhooks.t", "DetailType": "t", "Detail": "{}"}
            answer: dict[str, Any] = events.put_events(Entries=[entry])
            return answer

        assert put("own-bus")["FailedEntryCount"] == 0
        for other in ("other-bus", "default"):
            with pytest.raises(ClientError) as refused:
                put(other)
            assert refused.value.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")
    finally:
        stack.stop_process(pid, stack.EMULATOR_MARKER, "emulator")
