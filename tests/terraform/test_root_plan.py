"""The root module's plan satisfies every invariant of the stack (behaviour.md, "The stack")."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.harness import ROOT, Planner, assert_subset, load_inventory

INVENTORY = load_inventory("root_default.json")
SUFFIX = INVENTORY["tf_vars"]["environment_suffix"]
NAME_ATTRIBUTES = ("name", "function_name", "role", "alarm_name")


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(**INVENTORY["tf_vars"])


def module_resources(plan: Any) -> dict[str, dict[str, Any]]:
    return {f"{mod}.{addr}": res for mod, module in plan.modules.items() for addr, res in module.resources.items()}


@pytest.mark.parametrize(
    ("module", "address"),
    [(mod, addr) for mod, resources in INVENTORY["resources"].items() for addr in resources],
)
def test_planned_values_match_inventory(plan: Any, module: str, address: str) -> None:
    expected = INVENTORY["resources"][module][address]
    assert_subset(expected, plan.modules[module].resources[address]["values"], f"{module}.{address}")


def test_root_module_only_wires_modules(plan: Any) -> None:
    assert plan.resources == {}
    assert set(plan.modules) == {
        "module.kms",
        "module.dynamodb",
        "module.payments_table",
        "module.iam",
        "module.lambda",
        "module.quarantine",
        "module.alarms",
        "module.events_out",
    }


def test_every_named_resource_carries_the_suffix(plan: Any) -> None:
    checked = []
    for address, resource in module_resources(plan).items():
        if resource["mode"] != "managed":
            continue
        for attribute in NAME_ATTRIBUTES:
            value = resource["values"].get(attribute)
            if isinstance(value, str) and not value.startswith("arn:"):
                assert SUFFIX in value, f"{address}.{attribute}={value!r} lacks the environment suffix"
                checked.append(address)
    # alias, 2 tables, role, role policy, log group, function, URL, 2 permissions,
    # 3 parameters, quarantine queue, 4 alarms
    assert len(set(checked)) >= 18, checked


def module_call_references(plan: Any, module: str, argument: str) -> list[str]:
    call = plan["configuration"]["root_module"]["module_calls"][module]
    return call["expressions"][argument]["references"]


def resource_expression(plan: Any, module: str, address: str, path: str) -> dict[str, Any]:
    call = plan["configuration"]["root_module"]["module_calls"][module.removeprefix("module.")]
    resource = next(r for r in call["module"]["resources"] if r["address"] == address)
    expression: Any = resource["expressions"]
    for part in path.split("."):
        expression = expression[part]
        if isinstance(expression, list):  # a nested block
            expression = expression[0]
    return expression


@pytest.mark.parametrize(
    ("module", "address", "attribute"),
    [
        (mod, addr, attr)
        for mod, entries in INVENTORY["encrypted_with_stack_key"].items()
        for addr, attr in entries.items()
    ],
)
def test_every_store_is_encrypted_with_the_stack_key(plan: Any, module: str, address: str, attribute: str) -> None:
    assert "var.kms_key_arn" in resource_expression(plan, module, address, attribute)["references"]
    assert "module.kms.key_arn" in module_call_references(plan, module.removeprefix("module."), "kms_key_arn")


def test_log_group_is_created_before_the_function(plan: Any) -> None:
    call = plan["configuration"]["root_module"]["module_calls"]["lambda"]["module"]
    function = next(r for r in call["resources"] if r["address"] == "aws_lambda_function.this")
    assert "aws_cloudwatch_log_group.this" in function.get("depends_on", [])


def test_function_limits(plan: Any) -> None:
    values = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    assert values["timeout"] <= 30
    major, minor = values["runtime"].removeprefix("python").split(".")
    assert (int(major), int(minor)) >= (3, 12)


def test_every_output_is_declared_and_known_names_are_right(plan: Any) -> None:
    assert set(INVENTORY["outputs"]) <= set(plan["configuration"]["root_module"]["outputs"])
    assert plan.outputs["function_name"] == f"payment-webhook-{SUFFIX}"
    assert plan.outputs["table_name"] == f"payment-webhook-{SUFFIX}-transactions"
    assert plan.outputs["log_group_name"] == f"/aws/lambda/payment-webhook-{SUFFIX}"
    for description in plan["configuration"]["root_module"]["outputs"].values():
        assert description.get("description"), "every output is described"


def key_policy(plan: Any) -> dict[str, Any]:
    return json.loads(plan.modules["module.kms"].resources["aws_kms_key.this"]["values"]["policy"])


def test_key_policy_lets_logs_lambda_dynamodb_ssm_and_sqs_use_the_key(plan: Any) -> None:
    statements = {s["Sid"]: s for s in key_policy(plan)["Statement"]}
    logs = statements["CloudWatchLogsEncryptsTheLogGroups"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    arns = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert sorted(arn.split(":log-group:")[1] for arn in ([arns] if isinstance(arns, str) else arns)) == [
        f"/aws/lambda/payment-webhook-{SUFFIX}",
        f"/aws/lambda/payment-webhook-{SUFFIX}-publisher",
    ]
    via = statements["AccountServicesUseKey"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert sorted(via) == [
        "dynamodb.us-east-1.amazonaws.com",
        "lambda.us-east-1.amazonaws.com",
        "sqs.us-east-1.amazonaws.com",
    ]
    # SSM: the account encrypts (puts secrets), only the secret readers decrypt (tests/iam).
    ssm = "ssm.us-east-1.amazonaws.com"
    assert statements["AccountEncryptsSecretsThroughSsm"]["Condition"]["StringEquals"]["kms:ViaService"] == ssm
    assert statements["SecretReadersDecryptThroughSsm"]["Condition"]["StringEquals"]["kms:ViaService"] == ssm
    for statement in statements.values():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "kms:*" not in actions and "*" not in actions


def test_inputs_reach_the_resources(planner: Planner) -> None:
    plan = planner.plan(
        environment_suffix="qa7",
        reserved_concurrency=7,
        lambda_timeout_seconds=20,
        kms_deletion_window_days=7,
        table_deletion_protection=True,
        signature_tolerance_seconds=120,
    )
    function = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    assert function["reserved_concurrent_executions"] == 7
    assert function["timeout"] == 20
    assert function["environment"][0]["variables"]["SIGNATURE_TOLERANCE_SECONDS"] == "120"
    assert plan.modules["module.kms"].resources["aws_kms_key.this"]["values"]["deletion_window_in_days"] == 7
    table = plan.modules["module.dynamodb"].resources["aws_dynamodb_table.this"]["values"]
    assert table["deletion_protection_enabled"] is True
    assert table["name"] == "payment-webhook-qa7-transactions"


def test_package_hash_does_not_churn_between_copies(planner: Planner, plan: Any, tmp_path: Path) -> None:
    """A second copy of the module (new mtimes, another directory) zips to the same hash."""
    other = Planner(planner.emulator, tmp_path)
    again = other.plan(**INVENTORY["tf_vars"])
    first = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]["source_code_hash"]
    second = again.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]["source_code_hash"]
    assert first and first == second


def test_package_holds_only_the_function_code(planner: Planner, plan: Any) -> None:
    zip_path = (
        next(Path(tf.tfdir) for key, tf in planner._ready.items() if key == ".") / "build" / f"lambda-{SUFFIX}.zip"
    )
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    assert "handler.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("tests/")]
    # Code, plus the one data file: botocore's models cut down to the calls made (webhook/aws.py).
    assert [n for n in names if not n.endswith(".py")] == ["webhook/botocore_models.json"], names


def test_nothing_is_protected_from_destroy() -> None:
    for tf_file in ROOT.glob("**/*.tf"):
        if "build" in tf_file.parts or ".terraform" in tf_file.parts:
            continue
        assert "prevent_destroy" not in tf_file.read_text(), tf_file
