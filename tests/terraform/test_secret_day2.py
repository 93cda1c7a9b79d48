"""Day-2 operations on the stack's SecureStrings, applied to the emulator (issue 21, point 2).

The stack (Stripe reconciliation on, so the Stripe API-key parameter too) is applied
once; the operator then puts the secrets, and each test does what a team does later -
changes a parameter's description, puts a secret without --key-id or under another
key, imports a parameter after a state loss (an `import` block, then `terraform
import`) - and applies again. Every apply must succeed, every secret must stay exactly
what the operator put, and no secret may appear in the state, its backup or a saved
plan, except where the README says the CLI import puts it there.

Without the parameters' `ignore_changes` the provider sent PutParameter with an empty
value on the first three (moto refuses it, as AWS does) and, after an import, wrote the
placeholder over the live secret. The tests run in file order on one applied stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.terraform.harness import Emulator, Stack

SUFFIX = "day2"
SECRETS = {
    "standard": "whsec_c2VjcmV0LW9mLXRoZS1kYXktdHdvLXRlc3Q=",
    "stripe": "whsec_stripeDay2SecretValue0123456789abc",
    "adyen": "9F4A1C2B3D4E5F60718293A4B5C6D7E8F9011223344556677889900AABBCCDDEE",
    "stripe-api-key": "rk_test_day2RestrictedEventsReadKey0123",
}
ADDRESSES = {
    "standard": 'module.lambda.aws_ssm_parameter.secret["standard"]',
    "stripe-api-key": "module.reconciler[0].aws_ssm_parameter.this",
}
KEY_WARNING = "not encrypted with the stack's key"


class Applied:
    def __init__(self, stack: Stack, emulator: Emulator) -> None:
        self.stack = stack
        self.outputs = stack.outputs()
        self.ssm = self.client("ssm", emulator)
        self.kms = self.client("kms", emulator)
        self.plans = 0

    @staticmethod
    def client(service: str, emulator: Emulator) -> Any:
        return boto3.client(
            service,
            endpoint_url=emulator.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    @property
    def names(self) -> dict[str, str]:
        names: dict[str, str] = dict(self.outputs["provider_secret_parameter_names"])
        names["stripe-api-key"] = self.outputs["stripe_api_key_parameter_name"]
        return names

    def put(self, provider: str, **extra: Any) -> None:
        self.ssm.put_parameter(
            Name=self.names[provider], Value=SECRETS[provider], Type="SecureString", Overwrite=True, **extra
        )

    def key_of(self, provider: str) -> str:
        found = self.ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [self.names[provider]]}])[
            "Parameters"
        ]
        key: str = found[0]["KeyId"]
        return key

    def apply(self, *args: str) -> str:
        return self.stack.terraform("apply", "-input=false", "-no-color", "-auto-approve", *args)

    def state_texts(self) -> list[str]:
        texts = [p.read_text() for p in self.stack.workdir.glob("terraform.tfstate*")]
        assert texts, "no state file"
        return texts

    def saved_plan(self) -> tuple[dict[str, Any], str]:
        """A saved plan, `terraform show -json` of it, and everything it holds as text."""
        self.plans += 1
        name = f"day2-{self.plans}.tfplan"
        text = self.stack.terraform("plan", "-input=false", "-no-color", f"-out={name}")
        shown_text = self.stack.terraform("show", "-json", name)
        raw = shown_text + text + (self.stack.workdir / name).read_bytes().hex()
        shown: dict[str, Any] = json.loads(shown_text)
        return shown, raw

    def assert_secrets_intact(self) -> None:
        for provider, name in self.names.items():
            stored = self.ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
            assert stored["Value"] == SECRETS[provider], f"the {provider} secret was overwritten"

    def assert_secrets_intact_and_nowhere_in_terraform(self) -> None:
        self.assert_secrets_intact()
        plan, raw = self.saved_plan()
        texts = self.state_texts()
        for provider, secret in SECRETS.items():
            assert all(secret not in text for text in texts), f"the {provider} secret is in the state"
            assert secret not in raw, f"the {provider} secret is in the saved plan"
            assert secret.encode().hex() not in raw, f"the {provider} secret is in the plan file"
        changed = [
            c["address"]
            for c in plan.get("resource_changes", [])
            if c["type"] == "aws_ssm_parameter" and c["change"]["actions"] != ["no-op"]
        ]
        assert changed == [], f"a plan would write a secret parameter: {changed}"

    def forget(self, provider: str) -> None:
        """A state loss, for one parameter: Terraform no longer knows it; SSM still holds it."""
        self.stack.terraform("state", "rm", ADDRESSES[provider])
        for backup in self.stack.workdir.glob("terraform.tfstate.*backup"):
            backup.unlink()

    def drop_one_tag(self, provider: str) -> None:
        # README "Secrets: day-2 operations", import: a tag the configuration has and the
        # parameter lacks makes the first apply a tags-only update, which writes no value
        # and stores the parameter as write-only again.
        self.ssm.remove_tags_from_resource(
            ResourceType="Parameter", ResourceId=self.names[provider], TagKeys=["ManagedBy"]
        )


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    workroot: Path = tmp_path_factory.mktemp("day2")
    tf_vars = {"environment_suffix": SUFFIX, "stripe_reconciliation_enabled": True}
    with (
        Emulator(workroot / "moto.log", lambda_concurrency_quota=1000) as emulator,
        Stack(emulator, workroot / "stack", tf_vars) as stack,
    ):
        stack.apply()
        state = Applied(stack, emulator)
        try:
            yield state
        finally:
            stack.destroy()


def test_the_parameters_are_created_with_the_stack_key_and_no_value_in_state(applied: Applied) -> None:
    shown = applied.stack.show()
    parameters = [
        r
        for module in shown["values"]["root_module"].get("child_modules", [])
        for r in module.get("resources", [])
        if r["type"] == "aws_ssm_parameter"
    ]
    assert sorted(p["values"]["name"] for p in parameters) == sorted(applied.names.values())
    for parameter in parameters:
        values = parameter["values"]
        assert values["type"] == "SecureString"
        assert values["key_id"] == applied.outputs["kms_key_arn"]
        assert values["has_value_wo"] is True
        assert values.get("value") in (None, "")


def test_operator_puts_the_secrets_and_applies_keep_them_out(applied: Applied) -> None:
    for provider in SECRETS:
        applied.put(provider, KeyId=applied.outputs["kms_key_arn"])
    applied.apply()
    applied.assert_secrets_intact_and_nowhere_in_terraform()


def test_a_changed_description_is_no_change_to_terraform(applied: Applied) -> None:
    """Without ignore_changes: PutParameter with an empty value, refused, on every apply."""
    applied.put("stripe", KeyId=applied.outputs["kms_key_arn"], Description="edited in the console")
    applied.put("stripe-api-key", KeyId=applied.outputs["kms_key_arn"], Description="edited too")
    applied.apply()
    applied.assert_secrets_intact_and_nowhere_in_terraform()


def test_a_put_without_key_id_keeps_applies_working_and_is_reported(applied: Applied) -> None:
    """Without ignore_changes: key_id drift (aws/ssm), an empty PutParameter, every apply failed."""
    for provider in ("adyen", "stripe-api-key"):
        applied.put(provider)  # what the operator ran: no KeyId
        # AWS encrypts such a put with SSM's default key; moto keeps the parameter's
        # previous key, so the harness records AWS's result explicitly.
        applied.put(provider, KeyId="alias/aws/ssm")
        assert applied.key_of(provider) == "alias/aws/ssm"
    out = " ".join(applied.apply().split())
    applied.assert_secrets_intact_and_nowhere_in_terraform()
    assert KEY_WARNING in out and applied.names["adyen"] in out, out[-2000:]
    assert "Stripe API key parameter" in out
    # The fix the warning names: put it again with its command's --key-id.
    applied.put("adyen", KeyId=applied.outputs["kms_key_arn"])
    applied.put("stripe-api-key", KeyId=applied.outputs["kms_key_arn"])
    assert KEY_WARNING not in " ".join(applied.apply().split())


def test_a_parameter_under_another_key_keeps_applies_working(applied: Applied) -> None:
    """Any key_id difference between configuration and parameter was the same empty
    PutParameter. Replacing the stack's own key is not shown here: moto does not
    implement logs:AssociateKmsKey, which the log groups' key change calls."""
    other_key = applied.kms.create_key(Description="another team's key")["KeyMetadata"]["Arn"]
    applied.put("standard", KeyId=other_key)
    out = " ".join(applied.apply().split())
    applied.assert_secrets_intact_and_nowhere_in_terraform()
    assert KEY_WARNING in out
    assert applied.key_of("standard") == other_key, "Terraform moved the parameter itself"
    applied.put("standard", KeyId=applied.outputs["kms_key_arn"])


def test_an_import_block_alone_keeps_the_read_value_in_state(applied: Applied) -> None:
    """Why the README's import procedure drops a tag first: without a difference the
    import's apply is a no-op, and the value the import read (with decryption) stays in
    the state until the parameter's next update. The live secret is not written."""
    imports = applied.stack.workdir / "imports.tf"
    provider = "stripe"
    address = 'module.lambda.aws_ssm_parameter.secret["stripe"]'
    try:
        applied.stack.terraform("state", "rm", address)
        imports.write_text(f'import {{\n  to = {address}\n  id = "{applied.names[provider]}"\n}}\n')
        out = applied.apply()
        assert "1 imported" in out, out[-1500:]
        # (moto's drift modifies the key and the functions on every apply; not the parameter)
        assert f"{address}: Modifying" not in out and f"{address}: Modifications complete" not in out
    finally:
        imports.unlink(missing_ok=True)
    applied.assert_secrets_intact()
    assert SECRETS[provider] in applied.stack.state_file.read_text(), "the import kept the value out"
    applied.drop_one_tag(provider)  # the README's fix for a state that holds it: one tags-only update
    applied.apply()
    for backup in applied.stack.workdir.glob("terraform.tfstate.*backup"):
        backup.unlink()
    applied.assert_secrets_intact_and_nowhere_in_terraform()


def test_an_import_block_adopts_a_parameter_without_reading_or_writing_its_secret(applied: Applied) -> None:
    """After a state loss the parameters exist and a create fails (ParameterAlreadyExists):
    they are imported. Without ignore_changes the import's apply put the placeholder over
    the live secret (value_wo_version null -> 1). With one tag dropped first, the apply
    is a tags-only update and the imported value never reaches a state file."""
    imports = applied.stack.workdir / "imports.tf"
    try:
        for provider in ADDRESSES:
            applied.forget(provider)
            applied.drop_one_tag(provider)
        imports.write_text(
            "".join(
                f'import {{\n  to = {address}\n  id = "{applied.names[provider]}"\n}}\n'
                for provider, address in ADDRESSES.items()
            )
        )
        out = applied.apply()
        assert "2 imported" in out, out[-1500:]
        for provider in ADDRESSES:
            listed = applied.stack.terraform("state", "show", ADDRESSES[provider])
            assert "has_value_wo     = true" in listed or "has_value_wo = true" in " ".join(listed.split())
    finally:
        imports.unlink(missing_ok=True)
    applied.assert_secrets_intact_and_nowhere_in_terraform()


def test_a_cli_import_holds_the_secret_in_state_until_the_tags_only_apply(applied: Applied) -> None:
    """`terraform import` has no configuration to plan with: the provider reads the
    decrypted value into the state (README names it). The next apply - again a tags-only
    update - takes it out of the state and leaves the live secret alone; the backup of
    the state before that apply still holds it."""
    provider = "standard"
    applied.forget(provider)
    applied.stack.terraform("import", "-input=false", "-no-color", ADDRESSES[provider], applied.names[provider])
    assert any(SECRETS[provider] in text for text in applied.state_texts()), "import kept the value out"
    applied.assert_secrets_intact()
    applied.drop_one_tag(provider)
    applied.apply()
    assert SECRETS[provider] not in applied.stack.state_file.read_text()
    backups = [p.read_text() for p in applied.stack.workdir.glob("terraform.tfstate.*backup")]
    assert any(SECRETS[provider] in text for text in backups), "the backup of the imported state"
    for backup in applied.stack.workdir.glob("terraform.tfstate.*backup"):
        backup.unlink()
    applied.assert_secrets_intact_and_nowhere_in_terraform()


def test_the_put_commands_read_the_secret_from_a_file(applied: Applied) -> None:
    commands: dict[str, str] = applied.outputs["secret_put_commands"]
    assert set(commands) == set(SECRETS)
    for provider, command in commands.items():
        assert command.startswith("aws ssm put-parameter --overwrite --type SecureString ")
        assert f"--key-id {applied.outputs['kms_key_arn']} " in command
        assert f"--name {applied.names[provider]} " in command
        assert command.endswith(f"--value file://{provider}-secret.txt") or command.endswith(
            f"--value file://{provider}.txt"
        )
