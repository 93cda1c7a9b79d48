"""The root is a module a team calls with its own provider: it holds no provider
block, so a caller's assume_role, allowed_account_ids and default_tags apply to
every resource, and tags come from the `tags` input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.terraform.harness import Planner, ensure_deploy_role

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"  # moto's account: what the assumed role resolves to


def test_root_and_modules_hold_no_provider_block() -> None:
    files = [ROOT / name for name in ("main.tf", "versions.tf", "variables.tf", "outputs.tf")]
    files += sorted((ROOT / "modules").glob("*/*.tf"))
    offenders = [str(f.relative_to(ROOT)) for f in files if 'provider "aws"' in f.read_text()]
    assert offenders == []


def resources(module: Any) -> list[dict[str, Any]]:
    found = list(module.resources.values())
    for child in module.child_modules.values():
        found += resources(child)
    return found


def test_aliased_caller_provider_with_assume_role_tags_every_resource(planner: Planner) -> None:
    plan = planner.plan(
        "examples/complete",
        deploy_role_arn=ensure_deploy_role(planner.emulator, "payments-deploy"),
        allowed_account_ids=[ACCOUNT],
        default_tags={"Owner": "payments-team", "CostCenter": "overridden-by-input"},
    )
    taggable = [r for r in resources(plan.modules["module.webhook"]) if "tags_all" in r["values"]]
    assert len(taggable) >= 9  # key, two tables, role, parameters, log group, function, queue, alarms
    for resource in taggable:
        tags = resource["values"]["tags_all"]
        assert tags["Owner"] == "payments-team", resource["address"]  # the caller's default_tags
        assert tags["CostCenter"] == "payments", resource["address"]  # the module's input wins over defaults
        assert tags["Project"] == "acme-payments" and tags["Environment"] == "prod", resource["address"]
        assert tags["ManagedBy"] == "terraform", resource["address"]
    assert "aws.deploy" in plan["configuration"]["provider_config"]


def test_a_wrong_account_is_refused(planner: Planner) -> None:
    message = planner.plan_error("examples/complete", allowed_account_ids=["999999999999"])
    assert "999999999999" in message or "not allowed" in " ".join(message.split()).lower()
