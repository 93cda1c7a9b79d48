"""Plan tests: tftest runs `terraform plan` on a copy of a module in a temp dir,
with moto server answering the data sources through AWS_ENDPOINT_URL. The
harness itself (Planner, Stack, AwsEmulator) is in harness.py, shared with tests/iam."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tftest
from harness import ROOT, AwsEmulator, Planner

__all__ = ["ROOT", "Planner", "assert_subset", "load_inventory"]

INVENTORY = Path(__file__).parent / "inventory"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    with AwsEmulator(tmp_path_factory.mktemp("emulator") / "moto.log") as emu:
        yield emu


def load_inventory(name: str) -> dict[str, Any]:
    return json.loads((INVENTORY / name).read_text())


@pytest.fixture(scope="session")
def planner(emulator: AwsEmulator, tmp_path_factory: pytest.TempPathFactory) -> Planner:
    return Planner(emulator, tmp_path_factory.mktemp("tf"))


@pytest.fixture(scope="session")
def plan_summary(planner: Planner) -> Callable[..., tftest.TerraformPlanOutput]:
    """The root module planned with the given variables (cached per variables)."""
    return planner.plan


def assert_subset(expected: Any, actual: Any, path: str = "") -> None:
    """Every key/value of `expected` appears in `actual` (lists element-wise)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key}: missing"
            assert_subset(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{path}: expected {len(expected)} blocks, got {actual!r}"
        )
        for index, (exp, act) in enumerate(zip(expected, actual, strict=True)):
            assert_subset(exp, act, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: expected {expected!r}, got {actual!r}"
