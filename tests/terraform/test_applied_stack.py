"""The root module applied to the emulator (moto with AWS's answers, see local_stack/emulator/aws_answers.py):

* after the operator puts the real secrets with the AWS API, a refresh and a plan keep
  them out of the state (and out of the plan file);
* the function's policy holds each Function URL permission exactly
  once, with its condition; removing the URL removes both; destroy leaves nothing;
* the applied role policy names exactly the enabled providers' parameters and both tables;
* event retention: the transactions table's TTL is on for ``expiresAt``, the payments
  table's is off, and the function is given ``EVENT_RETENTION_DAYS``.

The tests run in file order on one applied stack (module scope).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.terraform.harness import Emulator, Stack

SUFFIX = "app1"
RETENTION_DAYS = 400
SECRETS = {
    "standard": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "stripe": "whsec_stripe0123456789abcdefghijklmnopqrstuv",
    "adyen": "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
}


class Applied:
    def __init__(self, stack: Stack, emulator: Emulator) -> None:
        self.stack = stack
        self.outputs = stack.outputs()
        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self.endpoint = emulator.endpoint
        self.destroyed = False

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)

    def function_policy(self) -> dict[str, Any]:
        policy: dict[str, Any] = json.loads(
            self.client("lambda").get_policy(FunctionName=self.outputs["function_name"])["Policy"]
        )
        return policy


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    workroot: Path = tmp_path_factory.mktemp("applied")
    with (
        Emulator(workroot / "moto.log", lambda_concurrency_quota=1000) as emulator,
        Stack(
            emulator, workroot / "stack", {"environment_suffix": SUFFIX, "event_retention_days": RETENTION_DAYS}
        ) as stack,
    ):
        stack.apply()
        state = Applied(stack, emulator)
        try:
            yield state
        finally:
            if not state.destroyed:
                stack.destroy()


def test_apply_wrote_only_placeholders(applied: Applied) -> None:
    ssm = applied.client("ssm")
    names = applied.outputs["provider_secret_parameter_names"]
    assert set(names) == {"standard", "stripe", "adyen"}
    for name in names.values():
        parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert parameter["Type"] == "SecureString"
        assert parameter["Value"] == "unset"
    assert "unset" not in applied.stack.state_file.read_text()


def test_secrets_put_with_the_aws_api_never_reach_the_state(applied: Applied) -> None:
    ssm = applied.client("ssm")
    names = applied.outputs["provider_secret_parameter_names"]
    for provider, name in names.items():
        ssm.put_parameter(
            Name=name,
            Value=SECRETS[provider],
            Type="SecureString",
            KeyId=applied.outputs["kms_key_arn"],
            Overwrite=True,
        )
        assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == SECRETS[provider]
    applied.stack.terraform("apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color")
    applied.stack.terraform("plan", "-input=false", "-no-color", "-out=after-put.tfplan")
    plan_json = applied.stack.terraform("show", "-json", "after-put.tfplan")
    state = applied.stack.state_file.read_text()
    backups = [p.read_text() for p in applied.stack.workdir.glob("terraform.tfstate*")]
    for provider, secret in SECRETS.items():
        assert secret not in state, f"the {provider} secret is in terraform.tfstate"
        assert all(secret not in text for text in backups), f"the {provider} secret is in a state backup"
        assert secret not in plan_json, f"the {provider} secret is in the plan"
    shown = applied.stack.show()
    lam = next(m for m in shown["values"]["root_module"]["child_modules"] if m["address"] == "module.lambda")
    for resource in lam["resources"]:
        if resource["type"] == "aws_ssm_parameter":
            assert resource["values"]["has_value_wo"] is True
            assert resource["values"].get("value") in (None, "")
    # The operator's secret stays: Terraform does not write the placeholder again.
    assert not json.loads(plan_json).get("resource_changes") or all(
        change["change"]["actions"] == ["no-op"] or change["type"] != "aws_ssm_parameter"
        for change in json.loads(plan_json)["resource_changes"]
    )


def test_function_policy_holds_each_url_permission_once(applied: Applied) -> None:
    statements = applied.function_policy()["Statement"]
    by_sid: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        by_sid.setdefault(statement["Sid"], []).append(statement)
    assert {sid: len(found) for sid, found in by_sid.items()} == {
        "FunctionURLAllowPublicAccess": 1,
        "FunctionURLAllowInvokeAction": 1,
    }
    (public,) = by_sid["FunctionURLAllowPublicAccess"]
    (invoke,) = by_sid["FunctionURLAllowInvokeAction"]
    assert (public["Action"], public["Principal"]) == ("lambda:InvokeFunctionUrl", "*")
    assert public["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    assert (invoke["Action"], invoke["Principal"]) == ("lambda:InvokeFunction", "*")
    assert invoke["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}


def test_a_second_plan_does_not_touch_the_permissions(applied: Applied) -> None:
    applied.stack.terraform("plan", "-input=false", "-no-color", "-out=second.tfplan")
    changes = json.loads(applied.stack.terraform("show", "-json", "second.tfplan")).get("resource_changes", [])
    touched = [
        c["address"]
        for c in changes
        if c["type"] in ("aws_lambda_permission", "aws_lambda_function_url") and c["change"]["actions"] != ["no-op"]
    ]
    assert touched == []


def test_applied_role_policy_names_the_stacks_resources(applied: Applied) -> None:
    iam = applied.client("iam")
    role = applied.outputs["lambda_role_arn"].rsplit("/", 1)[1]
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    statements = {s["Sid"]: s for s in document["Statement"]}
    resources = statements["ReadSigningSecrets"]["Resource"]
    parameter_arn = "arn:aws:ssm:us-east-1:123456789012:parameter"
    assert sorted([resources] if isinstance(resources, str) else resources) == sorted(
        parameter_arn + name for name in applied.outputs["provider_secret_parameter_names"].values()
    )
    assert statements["StoreWebhookEvents"]["Resource"] == applied.outputs["table_arn"]
    assert statements["StorePaymentStatus"]["Resource"] == applied.outputs["payments_table_arn"]


def test_event_items_expire_and_payment_items_do_not(applied: Applied) -> None:
    ddb = applied.client("dynamodb")
    events = ddb.describe_time_to_live(TableName=applied.outputs["table_name"])["TimeToLiveDescription"]
    assert events == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    payments = ddb.describe_time_to_live(TableName=applied.outputs["payments_table_name"])["TimeToLiveDescription"]
    assert payments["TimeToLiveStatus"] == "DISABLED"
    function = applied.client("lambda").get_function_configuration(FunctionName=applied.outputs["function_name"])
    assert function["Environment"]["Variables"]["EVENT_RETENTION_DAYS"] == str(RETENTION_DAYS)


def test_removing_the_url_removes_both_permissions(applied: Applied) -> None:
    applied.stack.destroy(
        "module.lambda.aws_lambda_function_url.this",
        "module.lambda.aws_lambda_permission.function_url_public_access",
        "module.lambda.aws_lambda_permission.function_url_invoke_action",
    )
    lam = applied.client("lambda")
    assert lam.get_function(FunctionName=applied.outputs["function_name"])["Configuration"]
    with pytest.raises(ClientError) as missing:
        applied.function_policy()
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_destroy_leaves_nothing(applied: Applied) -> None:
    applied.stack.destroy()
    applied.destroyed = True
    assert applied.client("lambda").list_functions()["Functions"] == []
    assert applied.client("dynamodb").list_tables()["TableNames"] == []
    names = applied.outputs["provider_secret_parameter_names"].values()
    found = applied.client("ssm").get_parameters(Names=list(names))
    assert found["Parameters"] == [] and sorted(found["InvalidParameters"]) == sorted(names)
    assert applied.client("sqs").list_queues().get("QueueUrls", []) == []
    state = json.loads(applied.stack.state_file.read_text())
    assert state["resources"] == [] or all(r["mode"] == "data" for r in state["resources"])
