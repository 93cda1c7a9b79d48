"""Event retention: ``event_retention_days`` turns on the transactions table's TTL on
``expiresAt`` and gives the function ``EVENT_RETENTION_DAYS``; the default keeps events
forever, and payment-status items never expire."""

from __future__ import annotations

from typing import Any

import pytest

from tests.terraform.harness import Planner, load_inventory

INVENTORY = load_inventory("root_default.json")


def table(plan: Any, module: str) -> dict[str, Any]:
    values: dict[str, Any] = plan.modules[module].resources["aws_dynamodb_table.this"]["values"]
    return values


def function_env(plan: Any) -> dict[str, str]:
    values = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    variables: dict[str, str] = values["environment"][0]["variables"]
    return variables


def test_default_keeps_events_forever(planner: Planner) -> None:
    plan = planner.plan(**INVENTORY["tf_vars"])
    assert not table(plan, "module.dynamodb").get("ttl")
    assert not table(plan, "module.payments_table").get("ttl")
    assert "EVENT_RETENTION_DAYS" not in function_env(plan)


def test_retention_turns_on_ttl_for_events_only(planner: Planner) -> None:
    plan = planner.plan(**{**INVENTORY["tf_vars"], "event_retention_days": 400})
    assert table(plan, "module.dynamodb")["ttl"] == [{"enabled": True, "attribute_name": "expiresAt"}]
    assert not table(plan, "module.payments_table").get("ttl")
    assert function_env(plan)["EVENT_RETENTION_DAYS"] == "400"


@pytest.mark.parametrize("days", [0, 1.5, 36501])
def test_retention_is_validated(planner: Planner, days: float) -> None:
    message = planner.plan_error(**{**INVENTORY["tf_vars"], "event_retention_days": days})
    assert "event_retention_days must be null or a whole number" in " ".join(message.split())
