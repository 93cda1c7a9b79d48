"""A saved plan applied on a fresh runner (issue 21, point 5).

Two copies of the configuration stand for two CI runners that share only the
state (a remote backend) and the plan file: runner A runs `terraform plan -out`,
runner B - which never planned and has no build/ directory - runs
`terraform apply <plan>`. First deployment, then a code change. On the design of
before, B failed: the zip that archive_file wrote at plan time existed only on A.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local_stack.emulator.cbor import CborProxy
from tests.terraform.harness import Emulator, copy_root_module, terraform_binary

SUFFIX = "plan2"


class Runner:
    def __init__(self, workdir: Path, emulator: Emulator, shim: CborProxy) -> None:
        self.workdir = copy_root_module(workdir)
        (self.workdir / "runner.auto.tfvars.json").write_text(json.dumps({"environment_suffix": SUFFIX}))
        self.env = {
            **os.environ,
            **emulator.env(),
            "AWS_ENDPOINT_URL_CLOUDWATCH": shim.endpoint,
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
        }

    def terraform(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [terraform_binary(), *args], cwd=self.workdir, env=self.env, text=True, capture_output=True, check=False
        )

    def ok(self, *args: str) -> str:
        done = self.terraform(*args)
        assert done.returncode == 0, f"terraform {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def hand_over(source: Runner, target: Runner, plan: str) -> None:
    """What CI shares between jobs: the state (a backend) and the plan file; never build/."""
    for name in ("terraform.tfstate", plan):
        if (source.workdir / name).exists():
            shutil.copy2(source.workdir / name, target.workdir / name)
    shutil.rmtree(target.workdir / "build", ignore_errors=True)


def deployed_code_sha(emulator: Emulator) -> str:
    client = boto3.client(
        "lambda",
        endpoint_url=emulator.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    sha: str = client.get_function(FunctionName=f"payment-webhook-{SUFFIX}")["Configuration"]["CodeSha256"]
    return sha


def planned_hash(runner: Runner, plan: str) -> str:
    shown = json.loads(runner.ok("show", "-json", plan))
    for module in shown["planned_values"]["root_module"]["child_modules"]:
        for resource in module.get("resources", []):
            if resource["address"] == "module.lambda.aws_lambda_function.this":
                value: str = resource["values"]["source_code_hash"]
                return value
    raise AssertionError("no function in the plan")


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runner, Runner, Emulator]]:
    workroot = tmp_path_factory.mktemp("saved-plan")
    with Emulator(workroot / "moto.log", lambda_concurrency_quota=1000) as emulator:
        shim = CborProxy(emulator.endpoint, "cloudwatch")
        with shim:
            planner, applier = Runner(workroot / "a", emulator, shim), Runner(workroot / "b", emulator, shim)
            for runner in (planner, applier):
                runner.ok("init", "-input=false", "-no-color")
            try:
                yield planner, applier, emulator
            finally:
                applier.terraform("destroy", "-auto-approve", "-input=false", "-no-color")


def test_first_deployment_planned_on_one_runner_applies_on_another(
    runners: tuple[Runner, Runner, Emulator],
) -> None:
    planner, applier, emulator = runners
    planner.ok("plan", "-input=false", "-no-color", "-out=first.tfplan")
    hand_over(planner, applier, "first.tfplan")
    applier.ok("apply", "-input=false", "-no-color", "first.tfplan")
    assert deployed_code_sha(emulator) == planned_hash(planner, "first.tfplan")


def test_a_code_change_planned_on_one_runner_applies_on_another(
    runners: tuple[Runner, Runner, Emulator],
) -> None:
    planner, applier, emulator = runners
    for runner in (planner, applier):  # the same commit checked out on both runners
        (runner.workdir / "lambda_src" / "release.txt").write_text("release 2\n")
    hand_over(applier, planner, "none")  # the state B wrote, as a backend would serve it
    planner.ok("plan", "-input=false", "-no-color", "-out=second.tfplan")
    hand_over(planner, applier, "second.tfplan")
    before = deployed_code_sha(emulator)
    applier.ok("apply", "-input=false", "-no-color", "second.tfplan")
    after = deployed_code_sha(emulator)
    assert after != before
    assert after == planned_hash(planner, "second.tfplan")
    # The zip the function got is the one the plan described, byte for byte.
    (package,) = (applier.workdir / "build").glob(f"lambda-{SUFFIX}-*.zip")
    assert base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode() == after


def test_configuration_changes_and_a_recreated_function(runners: tuple[Runner, Runner, Emulator]) -> None:
    """A configuration-only update reads no zip: it applies on a runner without build/.
    The one case the rebuild does not cover - a function created again from an unchanged
    package - fails naming the zip; planned with the package replaced too (README), it applies."""
    planner, applier, _ = runners
    hand_over(applier, planner, "none")
    planner.ok("plan", "-input=false", "-no-color", "-out=third.tfplan", "-var=lambda_timeout_seconds=14")
    hand_over(planner, applier, "third.tfplan")
    applier.ok("apply", "-input=false", "-no-color", "third.tfplan")

    function = "-replace=module.lambda.aws_lambda_function.this"
    hand_over(applier, planner, "none")
    planner.ok("plan", "-input=false", "-no-color", "-out=fourth.tfplan", "-var=lambda_timeout_seconds=14", function)
    hand_over(planner, applier, "fourth.tfplan")
    done = applier.terraform("apply", "-input=false", "-no-color", "fourth.tfplan")
    assert done.returncode != 0
    assert "build/lambda-plan2-" in done.stderr

    hand_over(applier, planner, "none")
    planner.ok(
        "plan",
        "-input=false",
        "-no-color",
        "-out=fifth.tfplan",
        "-var=lambda_timeout_seconds=14",
        function,
        "-replace=module.lambda.archive_file.package",
    )
    hand_over(planner, applier, "fifth.tfplan")
    applier.ok("apply", "-input=false", "-no-color", "fifth.tfplan")
