"""Terraform test harness shared by tests/terraform and tests/iam.

* `Planner`: plans a copy of a module (tftest) once per set of variables.
* `Stack`: applies the root module to an emulator and destroys it again, with the
  plain `terraform` CLI in a copy of the module (state stays in that copy).
* `AwsEmulator`: moto server through `local_stack/moto_server.py` (with `moto_aws_answers.py`), which answers
  like AWS where the stack depends on it (see that file).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tftest

from local_stack.cbor_shim import CborShim
from local_stack.emulator import Emulator, aws_env, free_port, moto_server_command, stop_process_group, wait_until_up
from local_stack.tfwork import copy_root_module, terraform_binary

ROOT = Path(__file__).resolve().parents[2]


__all__ = [
    "ROOT",
    "AwsEmulator",
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


class AwsEmulator:
    """moto server with AWS's answers for AddPermission and the Lambda concurrency quota.

    Every Terraform test uses it: plain moto does not implement Service Quotas'
    GetAWSDefaultServiceQuota, and the provider retries that 500 for many minutes.
    `lambda_concurrency_quota` sets MOTO_LAMBDA_CONCURRENCY_QUOTA in the server: moto's
    Lambda then refuses reservations that leave fewer than 100 unreserved, and Service
    Quotas answers L-B99A9384 with that value, as an AWS account with that quota does
    (unset: AWS's default 1000). `service_quotas_denied`: every Service Quotas call is
    refused, as for a deployer without servicequotas permissions.
    """

    def __init__(
        self, log_path: Path, lambda_concurrency_quota: int | None = None, service_quotas_denied: bool = False
    ) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.quota = lambda_concurrency_quota
        self.quotas_denied = service_quotas_denied
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return aws_env(self.endpoint)

    def __enter__(self) -> AwsEmulator:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.pop("MOTO_LAMBDA_CONCURRENCY_QUOTA", None)
        env.pop("MOTO_SERVICE_QUOTAS_ACCESS_DENIED", None)
        if self.quota is not None:
            env["MOTO_LAMBDA_CONCURRENCY_QUOTA"] = str(self.quota)
        if self.quotas_denied:
            env["MOTO_SERVICE_QUOTAS_ACCESS_DENIED"] = "1"
        # The repository root, so the wrapper finds the local stack's package.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*moto_server_command(), "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
        wait_until_up(self.endpoint + "/moto-api/", 30.0, self.process)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            stop_process_group(self.process.pid)
            self.process.wait(timeout=10)
            self.process = None


class Planner:
    """Plans a module copy once per set of variables and caches the result."""

    def __init__(self, emulator: Emulator | AwsEmulator, workroot: Path) -> None:
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
    """The root module applied to an emulator, in a copy of the module.

    A context manager: while open, the local stack's CloudWatch CBOR shim serves
    Terraform's CloudWatch calls (moto does not speak that protocol)."""

    def __init__(self, emulator: AwsEmulator | Emulator, workdir: Path, tf_vars: dict[str, Any]) -> None:
        self.emulator = emulator
        self.workdir = copy_root_module(workdir)
        (self.workdir / "stack.auto.tfvars.json").write_text(json.dumps(tf_vars))
        self.shim = CborShim(emulator.endpoint, "cloudwatch")

    def __enter__(self) -> Stack:
        self.shim.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shim.__exit__(*exc)

    @property
    def state_file(self) -> Path:
        return self.workdir / "terraform.tfstate"

    def terraform(self, *args: str, capture: bool = True) -> str:
        env = {
            **os.environ,
            **self.emulator.env(),
            "AWS_ENDPOINT_URL_CLOUDWATCH": self.shim.endpoint,
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
        }
        done = subprocess.run(
            [terraform_binary(), *args],
            cwd=self.workdir,
            env=env,
            text=True,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"terraform {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout or ""

    def apply(self) -> None:
        self.terraform("init", "-input=false", "-no-color")
        self.terraform("apply", "-input=false", "-no-color", "-auto-approve")

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.terraform("output", "-json"))
        return {name: value["value"] for name, value in raw.items()}

    def show(self) -> dict[str, Any]:
        shown: dict[str, Any] = json.loads(self.terraform("show", "-json"))
        return shown

    def destroy(self, *targets: str) -> None:
        self.terraform("destroy", "-input=false", "-no-color", "-auto-approve", *(f"-target={t}" for t in targets))
