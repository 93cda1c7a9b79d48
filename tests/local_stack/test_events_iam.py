"""PutEvents with IAM enforced: moto evaluates it against the resource ``*`` unless the wrapper
names the bus (local_stack.emulator.server.events_resource), so a role allowed PutEvents on exactly
its bus would be refused even there; with the bus named, it puts on its bus and is refused others."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local_stack.enforced import LAMBDA_TRUST, enforced_emulator

pytestmark = pytest.mark.timeout(120)



def test_put_events_is_authorized_on_the_named_bus(tmp_path: Any) -> None:
    with enforced_emulator(tmp_path / "emulator.log") as emulator:
        admin_events = emulator.client("events")
        own = admin_events.create_event_bus(Name="own-bus")["EventBusArn"]
        admin_events.create_event_bus(Name="other-bus")
        admin_iam = emulator.client("iam")
        trust = json.dumps(LAMBDA_TRUST)
        role_arn = admin_iam.create_role(RoleName="publisher-bus", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": own}],
        }
        admin_iam.put_role_policy(RoleName="publisher-bus", PolicyName="bus", PolicyDocument=json.dumps(policy))
        role = emulator.assume(role_arn, "publisher-bus")
        events = emulator.client("events", role)

        def put(bus: str) -> dict[str, Any]:
            entry = {"EventBusName": bus, "Source": "payment-webhooks.t", "DetailType": "t", "Detail": "{}"}
            answer: dict[str, Any] = events.put_events(Entries=[entry])
            return answer

        assert put("own-bus")["FailedEntryCount"] == 0
        for other in ("other-bus", "default"):
            with pytest.raises(ClientError) as refused:
                put(other)
            assert refused.value.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")
