"""Terraform test harness shared by tests/terraform and tests/iam.

* `Planner`: plans a copy of a module (tftest) once per set of variables.
* `Stack`: applies the root module to an emulator and destroys it again, with the
  local stack's Terraform runner (local_stack.terraform) in a copy of the module.
* `Emulator`: the local stack's moto launcher (local_stack.emulator), which answers like
  AWS where the stack depends on it (see local_stack/emulator/aws_answers.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tftest

from local_stack.emulator import Emulator
from local_stack.layout import boto3_kwargs
from local_stack.terraform import Terraform, TerraformError, copy_root_module, terraform_binary

ROOT = Path(__file__).resolve().parents[2]


__all__ = [
    "ROOT",
    "Emulator",
    "Planner",
    "Stack",
    "assert_subset",
    "copy_root_module",
    "load_inventory",
    "terraform_binary",
]

INVENTORY = Path(__file__).parent / "inventory"


def load_inventory(name: str) -> dict[str, Any]:
    """Expected values in tests/terraform/inventory."""
    loaded: dict[str, Any] = json.loads((INVENTORY / name).read_text())
    return loaded


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


class Planner:
    """Plans a module copy once per set of variables and caches the result."""

    def __init__(self, emulator: Emulator, workroot: Path) -> None:
        self.emulator = emulator
        self.workroot = workroot
        self._ready: dict[str, tftest.TerraformTest] = {}
        self._plans: dict[str, tftest.TerraformPlanOutput] = {}

    def module_dir(self, module: str = ".") -> Path:
        return Path(self._module(module).tfdir)

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

    def _var_file(self, tf: tftest.TerraformTest, tf_vars: dict[str, Any]) -> str:
        # A tfvars file keeps types (tftest passes tf_vars through str()).
        var_file = Path(tf.tfdir) / f"test-{abs(hash(json.dumps(tf_vars, sort_keys=True)))}.tfvars.json"
        var_file.write_text(json.dumps(tf_vars))
        return var_file.name

    def _plan(self, module: str, tf_vars: dict[str, Any]) -> tftest.TerraformPlanOutput:
        tf = self._module(module)
        return tf.plan(output=True, tf_var_file=self._var_file(tf, tf_vars))

    def plan_text(self, module: str = ".", **tf_vars: Any) -> str:
        """What `terraform plan` prints (warnings included), for messages a user reads."""
        tf = self._module(module)
        var_file = self._var_file(tf, tf_vars)
        done = tf.execute_command("plan", "-input=false", "-no-color", f"-var-file={var_file}")
        return " ".join(f"{done.out}\n{done.err or ''}".split())

    def plan_error(self, module: str = ".", **tf_vars: Any) -> str:
        """Plan that must fail; returns what the user would read."""
        with pytest.raises(tftest.TerraformTestError) as failure:
            self._plan(module, tf_vars)
        # The message and stderr as text (str() of the exception shows a tuple with
        # escaped newlines, which would split a wrapped message).
        return " ".join(" ".join(str(part) for part in failure.value.args if part).split())


class Stack:
    """The root module applied to an emulator, in a copy of the module; a context manager
    (while open, the local stack's CloudWatch CBOR proxy serves Terraform's CloudWatch calls)."""

    def __init__(self, emulator: Emulator, workdir: Path, tf_vars: dict[str, Any]) -> None:
        self.emulator = emulator
        self.workdir = copy_root_module(workdir)
        (self.workdir / "stack.auto.tfvars.json").write_text(json.dumps(tf_vars))
        self.runner = Terraform(self.workdir, emulator.env())

    def __enter__(self) -> Stack:
        self.runner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.runner.__exit__(*exc)

    @property
    def state_file(self) -> Path:
        return self.workdir / "terraform.tfstate"

    def terraform(self, *args: str) -> str:
        """A command's standard output; an AssertionError with what it printed when it fails."""
        try:
            return self.runner.capture(*args)
        except TerraformError as exc:
            raise AssertionError(f"terraform {' '.join(args)} failed:\n{exc.output}\n{exc}") from None

    def apply(self) -> None:
        self.terraform("init", "-input=false", "-no-color")
        self.terraform("apply", "-input=false", "-no-color", "-auto-approve")

    def outputs(self) -> dict[str, Any]:
        return self.runner.outputs()

    def show(self) -> dict[str, Any]:
        shown: dict[str, Any] = json.loads(self.terraform("show", "-json"))
        return shown

    def destroy(self, *targets: str) -> None:
        self.terraform("destroy", "-input=false", "-no-color", "-auto-approve", *(f"-target={t}" for t in targets))


def ensure_deploy_role(emulator: Emulator, name: str) -> str:
    """A caller's deploy role, as it exists in a real account before anyone assumes it: the root
    module reads it back (aws_iam_session_context calls iam:GetRole for an assumed role), and
    moto lets AssumeRole through for a role that does not exist."""
    import boto3

    iam = boto3.client(
        "iam", **boto3_kwargs(emulator.endpoint, {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
