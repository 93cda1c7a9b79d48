"""Plan tests: tftest runs `terraform plan` on a copy of a module in a temp dir,
with moto server answering the data sources through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tftest

from local_stack.emulator import Emulator
from local_stack.tfwork import copy_root_module, terraform_binary

ROOT = Path(__file__).resolve().parents[2]

INVENTORY = Path(__file__).parent / "inventory"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp("emulator") / "moto.log") as emu:
        yield emu


def load_inventory(name: str) -> dict[str, Any]:
    return json.loads((INVENTORY / name).read_text())


class Planner:
    """Plans a module copy once per set of variables and caches the result."""

    def __init__(self, emulator: Emulator, workroot: Path) -> None:
        self.emulator = emulator
        self.workroot = workroot
        self._ready: dict[str, tftest.TerraformTest] = {}
        self._plans: dict[str, tftest.TerraformPlanOutput] = {}

    def _module(self, module: str) -> tftest.TerraformTest:
        if module not in self._ready:
            copy = copy_root_module(self.workroot / module.replace("/", "_"))
            tfdir = copy if module == "." else copy / module
            tf = tftest.TerraformTest(str(tfdir), binary=terraform_binary(), env=self.emulator.env())
            tf.setup(upgrade=False)
            self._ready[module] = tf
        return self._ready[module]

    def plan(self, module: str = ".", **tf_vars: Any) -> tftest.TerraformPlanOutput:
        key = module + json.dumps(tf_vars, sort_keys=True)
        if key not in self._plans:
            self._plans[key] = self._plan(module, tf_vars)
        return self._plans[key]

    def _plan(self, module: str, tf_vars: dict[str, Any]) -> tftest.TerraformPlanOutput:
        tf = self._module(module)
        # A tfvars file keeps types (tftest passes tf_vars through str()).
        var_file = Path(tf.tfdir) / f"test-{abs(hash(json.dumps(tf_vars, sort_keys=True)))}.tfvars.json"
        var_file.write_text(json.dumps(tf_vars))
        return tf.plan(output=True, tf_var_file=var_file.name)

    def plan_error(self, module: str = ".", **tf_vars: Any) -> str:
        """Plan that must fail; returns what the user would read."""
        with pytest.raises(tftest.TerraformTestError) as failure:
            self._plan(module, tf_vars)
        return " ".join(str(failure.value).split())


@pytest.fixture(scope="session")
def planner(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Planner:
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
