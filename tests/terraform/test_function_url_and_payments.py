"""Plan-level shape of the Function URL's two permissions (under the provider's own
statement ids, created before the URL) and of the payments table (docs/behaviour.md,
"Payment status": one item per transactionId, on-demand, PITR, the CMK, destroyable)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.terraform.harness import Planner, load_inventory

INVENTORY = load_inventory("root_default.json")
SUFFIX = INVENTORY["tf_vars"]["environment_suffix"]


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(**INVENTORY["tf_vars"])


def lambda_config(plan: Any, address: str) -> dict[str, Any]:
    resources = plan["configuration"]["root_module"]["module_calls"]["lambda"]["module"]["resources"]
    found: dict[str, Any] = next(r for r in resources if r["address"] == address)
    return found


def test_exactly_two_permissions_with_the_providers_statement_ids(plan: Any) -> None:
    permissions = {
        address: resource["values"]
        for address, resource in plan.modules["module.lambda"].resources.items()
        if address.startswith("aws_lambda_permission.")
    }
    assert {v["statement_id"] for v in permissions.values()} == {
        "FunctionURLAllowPublicAccess",
        "FunctionURLAllowInvokeAction",
    }
    public = permissions["aws_lambda_permission.function_url_public_access"]
    invoke = permissions["aws_lambda_permission.function_url_invoke_action"]
    assert (public["action"], public["principal"], public["function_url_auth_type"]) == (
        "lambda:InvokeFunctionUrl",
        "*",
        "NONE",
    )
    assert (invoke["action"], invoke["principal"], invoke["invoked_via_function_url"]) == (
        "lambda:InvokeFunction",
        "*",
        True,
    )


def test_permissions_exist_before_the_url(plan: Any) -> None:
    url = lambda_config(plan, "aws_lambda_function_url.this")
    assert set(url.get("depends_on", [])) == {
        "aws_lambda_permission.function_url_public_access",
        "aws_lambda_permission.function_url_invoke_action",
    }


def test_payments_table(plan: Any) -> None:
    table = plan.modules["module.payments_table"].resources["aws_dynamodb_table.this"]["values"]
    assert table["name"] == f"payment-webhook-{SUFFIX}-payments"
    assert table["hash_key"] == "transactionId"
    assert table.get("range_key") is None
    assert table["attribute"] == [{"name": "transactionId", "type": "S"}]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True
    assert table["deletion_protection_enabled"] is False
    call = plan["configuration"]["root_module"]["module_calls"]["payments_table"]
    assert call["source"] == "./modules/dynamodb"
    assert "module.kms.key_arn" in call["expressions"]["kms_key_arn"]["references"]


def test_payments_table_name_reaches_the_function_and_the_outputs(plan: Any) -> None:
    function = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    assert function["environment"][0]["variables"]["PAYMENTS_TABLE_NAME"] == f"payment-webhook-{SUFFIX}-payments"
    assert plan.outputs["payments_table_name"] == f"payment-webhook-{SUFFIX}-payments"
    iam = plan["configuration"]["root_module"]["module_calls"]["iam"]["expressions"]
    assert "module.payments_table.table_arn" in iam["payments_table_arn"]["references"]


def test_table_protection_input_covers_both_tables(planner: Planner) -> None:
    plan = planner.plan(environment_suffix=SUFFIX, table_deletion_protection=True)
    for module in ("module.dynamodb", "module.payments_table"):
        assert plan.modules[module].resources["aws_dynamodb_table.this"]["values"]["deletion_protection_enabled"]
