"""The providers' secrets at plan time (docs/behaviour.md, "Providers"): one SecureString per enabled
provider, its name in the function's environment under the contract's variable,
outputs per provider, a validated input; the placeholder is write-only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.harness import ROOT, Planner, load_inventory

INVENTORY = load_inventory("root_default.json")
SUFFIX = INVENTORY["tf_vars"]["environment_suffix"]
PARAMETERS = {
    "standard": ("WEBHOOK_SECRET_PARAM", f"/payment-webhook/{SUFFIX}/webhook-signing-secrets"),
    "stripe": ("STRIPE_SECRET_PARAM", f"/payment-webhook/{SUFFIX}/stripe-webhook-signing-secrets"),
    "adyen": ("ADYEN_HMAC_KEY_PARAM", f"/payment-webhook/{SUFFIX}/adyen-hmac-keys"),
}
SECRET_VARIABLES = {variable for variable, _ in PARAMETERS.values()}


def parameters_of(plan: Any) -> dict[str, dict[str, Any]]:
    return {
        address.removeprefix('aws_ssm_parameter.secret["').removesuffix('"]'): resource["values"]
        for address, resource in plan.modules["module.lambda"].resources.items()
        if address.startswith("aws_ssm_parameter.secret")
    }


def environment_of(plan: Any) -> dict[str, str]:
    function = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    variables: dict[str, str] = function["environment"][0]["variables"]
    return variables


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(**INVENTORY["tf_vars"])


def test_every_provider_is_enabled_by_default(plan: Any) -> None:
    parameters = parameters_of(plan)
    assert {key: values["name"] for key, values in parameters.items()} == {
        key: name for key, (_, name) in PARAMETERS.items()
    }
    for values in parameters.values():
        assert values["type"] == "SecureString"
    environment = environment_of(plan)
    for variable, name in PARAMETERS.values():
        assert environment[variable] == name


@pytest.mark.parametrize(
    "enabled",
    [["stripe"], ["adyen"], ["standard"], ["stripe", "adyen"], ["standard", "adyen"]],
    ids=lambda e: "+".join(e),
)
def test_only_enabled_providers_get_a_parameter_and_a_variable(planner: Planner, enabled: list[str]) -> None:
    plan = planner.plan(environment_suffix=SUFFIX, enabled_providers=enabled)
    assert set(parameters_of(plan)) == set(enabled)
    environment = environment_of(plan)
    assert {v for v in environment if v in SECRET_VARIABLES} == {PARAMETERS[key][0] for key in enabled}
    for key in enabled:
        variable, name = PARAMETERS[key]
        assert environment[variable] == name
    assert plan.outputs["provider_secret_parameter_names"] == {key: PARAMETERS[key][1] for key in enabled}
    expected_standard = PARAMETERS["standard"][1] if "standard" in enabled else None
    assert plan.outputs["webhook_secret_parameter_name"] == expected_standard
    urls = plan["planned_values"]["outputs"]["provider_endpoint_urls"]
    assert urls.get("value") is None  # the URL is known only after apply ...
    declared = plan["configuration"]["root_module"]["outputs"]["provider_endpoint_urls"]
    assert "local.enabled" in declared["expression"]["references"]  # ... and its keys are the enabled providers


def test_role_reads_exactly_the_enabled_providers_parameters(plan: Any) -> None:
    call = plan["configuration"]["root_module"]["module_calls"]["iam"]["expressions"]
    assert "local.enabled" in call["secret_parameter_names"]["references"]
    lambda_call = plan["configuration"]["root_module"]["module_calls"]["lambda"]["expressions"]
    assert "local.enabled" in lambda_call["secret_parameters"]["references"]


@pytest.mark.parametrize(
    "value",
    [["paypal"], [], ["stripe", "Stripe"], ["standard", "adyen", "braintree"]],
    ids=["unknown", "empty", "case", "one-unknown"],
)
def test_invalid_provider_selection_is_refused_with_a_clear_message(planner: Planner, value: list[str]) -> None:
    message = planner.plan_error(environment_suffix="ok", enabled_providers=value)
    assert 'enabled_providers must name at least one provider, each one of "standard", "stripe" or "adyen"' in message


def test_placeholder_is_write_only(plan: Any) -> None:
    """value_wo: the placeholder reaches SSM once and is in neither plan nor state;
    `value` (which the provider would fill from a decrypting read) is never set."""
    for key, values in parameters_of(plan).items():
        assert values.get("value_wo") is None, key
        assert values["value_wo_version"] == 1, key
        assert values.get("value") in (None, ""), key
    config = plan["configuration"]["root_module"]["module_calls"]["lambda"]["module"]["resources"]
    parameter = next(r for r in config if r["address"] == "aws_ssm_parameter.secret")
    assert "value_wo" in parameter["expressions"], "the placeholder is the write-only argument"
    assert "value" not in parameter["expressions"]
    assert "unset" not in json.dumps(plan["planned_values"]), "no placeholder value in the planned values"


def test_secret_parameter_output_tells_how_to_put_the_secret(plan: Any) -> None:
    """The instruction names the stack's key, as the README does."""
    outputs = plan["configuration"]["root_module"]["outputs"]
    for name in ("webhook_secret_parameter_name", "provider_secret_parameter_names"):
        description = outputs[name]["description"]
        assert "aws ssm put-parameter --overwrite --type SecureString --key-id <kms_key_arn>" in description, name
    readme = (ROOT / "README.md").read_text()
    assert '--key-id "$(terraform output -raw kms_key_arn)"' in readme


def test_secret_parameters_ignore_what_would_re_put_a_value(plan: Any) -> None:
    """Issue 21 (2): after create only name and tags are managed (tests/terraform/
    test_secret_day2.py applies the day-2 operations); the key drift is a check's warning."""
    expected = {"description", "key_id", "type", "tier", "allowed_pattern", "data_type", "value_wo_version"}
    for module, address, check in (
        ("lambda", "aws_ssm_parameter.secret", "secrets_use_the_stack_key"),
        ("reconciler", "aws_ssm_parameter.this", "api_key_uses_the_stack_key"),
    ):
        source = (ROOT / "modules" / module / "main.tf").read_text()
        block = source[source.index(f'resource "aws_ssm_parameter" "{address.split(".")[1]}"') :]
        block = block[: block.index("\n}\n")]
        ignored = block[block.index("ignore_changes = [") :].split("]")[0]
        assert {word.strip() for word in ignored.removeprefix("ignore_changes = [").split(",")} == expected, module
        assert "tags" not in ignored and "name" not in ignored.split("[")[1], module
        assert f'check "{check}"' in source, module
