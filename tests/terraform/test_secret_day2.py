"""Day-2 operations on the signing secrets, applied to the emulator (issue 21, point 2).

The stack is applied once; the operator then puts the secrets, and each test does
what a team does later - changes a parameter's description, puts a secret without
--key-id or under another key, tries to import a parameter after a state loss -
and then applies again. Every apply must succeed, the secrets must stay exactly what
the operator put, and no secret may appear in the state, its backups or a saved plan.

On the design of before (aws_ssm_parameter with write-only value_wo) the provider
sent PutParameter with an empty value on the first three (moto refuses it as AWS
does) and `terraform import` copied the decrypted secret into the state.
The tests run in file order on one applied stack (module scope).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from harness import AwsEmulator, Stack

SUFFIX = "day2"
SECRETS = {
    "standard": "whsec_c2VjcmV0LW9mLXRoZS1kYXktdHdvLXRlc3Q=",
    "stripe": "whsec_stripeDay2SecretValue0123456789abc",
    "adyen": "9F4A1C2B3D4E5F60718293A4B5C6D7E8F9011223344556677889900AABBCCDDEE",
}


class Applied:
    def __init__(self, stack: Stack, emulator: AwsEmulator) -> None:
        self.stack = stack
        self.outputs = stack.outputs()
        self.ssm = boto3.client(
            "ssm",
            endpoint_url=emulator.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        self.plans = 0

    @property
    def names(self) -> dict[str, str]:
        names: dict[str, str] = self.outputs["provider_secret_parameter_names"]
        return names

    def put(self, provider: str, **extra: Any) -> None:
        self.ssm.put_parameter(
            Name=self.names[provider], Value=SECRETS[provider], Type="SecureString", Overwrite=True, **extra
        )

    def apply(self, *args: str) -> None:
        self.stack.terraform("apply", "-input=false", "-no-color", "-auto-approve", *args)

    def saved_plan(self) -> dict[str, Any]:
        self.plans += 1
        name = f"day2-{self.plans}.tfplan"
        self.stack.terraform("plan", "-input=false", "-no-color", f"-out={name}")
        shown: dict[str, Any] = json.loads(self.stack.terraform("show", "-json", name))
        shown["_raw"] = self.stack.terraform("show", "-json", name) + (self.stack.workdir / name).read_bytes().hex()
        return shown

    def assert_secrets_intact_and_nowhere_in_terraform(self) -> None:
        for provider, name in self.names.items():
            stored = self.ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
            assert stored["Value"] == SECRETS[provider], f"the {provider} secret was overwritten"
        plan = self.saved_plan()
        texts = [p.read_text() for p in self.stack.workdir.glob("terraform.tfstate*")]
        assert texts, "no state file"
        for provider, secret in SECRETS.items():
            assert all(secret not in text for text in texts), f"the {provider} secret is in the state"
            assert secret not in plan["_raw"], f"the {provider} secret is in the saved plan"
            assert secret.encode().hex() not in plan["_raw"], f"the {provider} secret is in the plan file"
        changed = [
            c["address"]
            for c in plan.get("resource_changes", [])
            if c["type"] == "aws_ssm_parameter" and c["change"]["actions"] != ["no-op"]
        ]
        assert changed == [], f"a plan would write a signing-secret parameter: {changed}"


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    workroot: Path = tmp_path_factory.mktemp("day2")
    with (
        AwsEmulator(workroot / "moto.log", lambda_concurrency_quota=1000) as emulator,
        Stack(emulator, workroot / "stack", {"environment_suffix": SUFFIX}) as stack,
    ):
        stack.apply()
        state = Applied(stack, emulator)
        try:
            yield state
        finally:
            stack.destroy()


def test_operator_puts_the_secrets_and_applies_keep_them_out(applied: Applied) -> None:
    for provider in SECRETS:
        applied.put(provider, KeyId=applied.outputs["kms_key_arn"])
    applied.apply()
    applied.assert_secrets_intact_and_nowhere_in_terraform()


def test_a_changed_description_is_no_change_to_terraform(applied: Applied) -> None:
    """Before: description drift made the provider PutParameter an empty value."""
    applied.put("stripe", KeyId=applied.outputs["kms_key_arn"], Description="edited in the console")
    applied.apply()
    applied.assert_secrets_intact_and_nowhere_in_terraform()


def test_a_put_without_key_id_does_not_break_applies(applied: Applied) -> None:
    """Before: the parameter moved to aws/ssm, key_id drift, empty PutParameter, every apply failed."""
    applied.put("adyen")  # no KeyId: SSM's default key
    applied.apply()
    applied.assert_secrets_intact_and_nowhere_in_terraform()
    applied.put("adyen", KeyId=applied.outputs["kms_key_arn"])  # back under the stack's key


def test_a_parameter_moved_to_another_key_does_not_break_applies(applied: Applied) -> None:
    """Before: any key_id difference between the configuration and the parameter (a
    new stack key, or the operator's put under another key) was the same empty
    PutParameter. Replacing the stack's own key is not shown here: moto does not
    implement logs:AssociateKmsKey, which the log group's key change calls."""
    kms = boto3.client(
        "kms",
        endpoint_url=applied.ssm.meta.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    other_key = kms.create_key(Description="another team's key")["KeyMetadata"]["Arn"]
    applied.put("standard", KeyId=other_key)
    applied.apply()
    applied.assert_secrets_intact_and_nowhere_in_terraform()
    applied.put("standard", KeyId=applied.outputs["kms_key_arn"])  # the README's fix: put it again


def test_a_lost_state_needs_no_import_of_a_secret(applied: Applied) -> None:
    """Before: `terraform import` of a parameter read the decrypted secret into the state,
    and the next apply wrote the placeholder over it. Now the state holds no parameter,
    and Terraform refuses to import one (there is no resource to import it into)."""
    listed = applied.stack.terraform("state", "list").split()
    assert [a for a in listed if a.startswith("module.lambda.aws_ssm_parameter")] == []
    address = 'module.lambda.aws_ssm_parameter.secret["standard"]'
    with pytest.raises(AssertionError, match=r"does not exist in the configuration"):
        applied.stack.terraform("import", "-input=false", "-no-color", address, applied.names["standard"])
    applied.apply()
    applied.assert_secrets_intact_and_nowhere_in_terraform()


def test_the_put_commands_read_the_secret_from_a_file(applied: Applied) -> None:
    commands: dict[str, str] = applied.outputs["secret_put_commands"]
    assert set(commands) == set(SECRETS)
    for provider, command in commands.items():
        assert command.startswith("aws ssm put-parameter --overwrite --type SecureString ")
        assert f"--key-id {applied.outputs['kms_key_arn']} " in command
        assert f"--name {applied.names[provider]} " in command
        assert command.endswith(f"--value file://{provider}-secret.txt")
