"""Reserved concurrency 100 by default, null = unreserved, and a
plan-time check that warns (never fails) when the account's concurrency quota
(Service Quotas L-B99A9384) leaves no room for the reservation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.harness import Emulator, Planner

CHECK = "module.lambda.check.reserved_concurrency_fits_the_account"


def function_of(plan: Any) -> dict[str, Any]:
    values: dict[str, Any] = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    return values


def check_of(plan: Any) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in plan["checks"] if c["address"]["to_display"] == CHECK)
    return found


@pytest.fixture(scope="module")
def small_account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planner]:
    """An account whose concurrency quota is 10, as new accounts often have."""
    workroot: Path = tmp_path_factory.mktemp("quota10")
    with Emulator(workroot / "moto.log", lambda_concurrency_quota=10) as emu:
        yield Planner(emu, workroot)


@pytest.fixture(scope="module")
def default_account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planner]:
    workroot: Path = tmp_path_factory.mktemp("quota1000")
    with Emulator(workroot / "moto.log", lambda_concurrency_quota=1000) as emu:
        yield Planner(emu, workroot)


def test_default_reservation_is_100(planner: Planner) -> None:
    assert function_of(planner.plan(environment_suffix="rc1"))["reserved_concurrent_executions"] == 100


def test_null_means_unreserved(planner: Planner) -> None:
    plan = planner.plan(environment_suffix="rc1", reserved_concurrency=None)
    assert function_of(plan)["reserved_concurrent_executions"] == -1  # the provider's "unreserved"


def test_small_account_gets_a_plain_warning_and_the_plan_still_succeeds(small_account: Planner) -> None:
    plan = small_account.plan(environment_suffix="rc1")
    check = check_of(plan)
    assert check["status"] == "fail"
    (instance,) = check["instances"]
    (problem,) = instance["problems"]
    message = problem["message"]
    assert "reserved_concurrency = 100 will fail to apply" in message
    assert "quota (Service Quotas L-B99A9384) is 10" in message
    assert "Set reserved_concurrency = null (unreserved)" in message
    assert "request a quota increase" in message
    printed = small_account.plan_text(environment_suffix="rc1")
    assert "Warning: Check block assertion failed" in printed
    assert "reserved_concurrency = 100 will fail to apply" in printed


def test_small_account_with_null_reservation_passes_the_check(small_account: Planner) -> None:
    assert check_of(small_account.plan(environment_suffix="rc1", reserved_concurrency=None))["status"] == "pass"


def test_default_account_passes_the_check(default_account: Planner) -> None:
    assert check_of(default_account.plan(environment_suffix="rc1"))["status"] == "pass"


def test_a_reservation_that_leaves_less_than_100_is_flagged(default_account: Planner) -> None:
    plan = default_account.plan(environment_suffix="rc1", reserved_concurrency=950)
    (problem,) = check_of(plan)["instances"][0]["problems"]
    assert "at most 900 can be reserved" in problem["message"]


def test_without_service_quotas_permission_the_plan_only_warns(tmp_path: Path) -> None:
    """A deployer who may not read Service Quotas: the check's data source fails, which
    a check block reports as a warning; the plan succeeds."""
    with Emulator(tmp_path / "moto.log", service_quotas_denied=True) as emu:
        planner = Planner(emu, tmp_path)
        plan = planner.plan(environment_suffix="rc1")
        assert check_of(plan)["status"] != "pass"
        assert function_of(plan)["reserved_concurrent_executions"] == 100
        printed = planner.plan_text(environment_suffix="rc1")
        assert "Warning:" in printed and "AccessDeniedException" in printed
