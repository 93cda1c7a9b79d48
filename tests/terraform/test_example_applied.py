"""examples/complete applied to the emulator (issue 21, point 1): the deployable root
passes an aliased provider that assumes a deploy role (moto answers sts:AssumeRole),
pins the account and sets default tags; the module holds no provider block, so every
call it makes runs as the assumed role and every taggable resource carries the
caller's default tags, the module's `tags` input and Project/Environment/ManagedBy."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.emulator.cbor import CborProxy
from tests.terraform.harness import Emulator, copy_root_module, ensure_deploy_role, terraform_binary

ACCOUNT = "123456789012"  # moto's account
ROLE = f"arn:aws:iam::{ACCOUNT}:role/payments-deploy"


def resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workroot = tmp_path_factory.mktemp("example-applied")
    example = copy_root_module(workroot / "copy") / "examples" / "complete"
    (example / "test.auto.tfvars.json").write_text(
        json.dumps(
            {
                "environment_suffix": "ex1",
                "aws_region": "us-east-1",
                "deploy_role_arn": ROLE,
                "allowed_account_ids": [ACCOUNT],
                "default_tags": {"Owner": "payments-team", "CostCenter": "overridden-by-input"},
            }
        )
    )
    with Emulator(workroot / "moto.log", lambda_concurrency_quota=1000) as emulator:
        assert ensure_deploy_role(emulator, "payments-deploy") == ROLE
        shim = CborProxy(emulator.endpoint, "cloudwatch")
        with shim:
            env = {
                **os.environ,
                **emulator.env(),
                "AWS_ENDPOINT_URL_CLOUDWATCH": shim.endpoint,
                "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0",
            }
            for args in (("init", "-input=false"), ("apply", "-input=false", "-auto-approve")):
                done = subprocess.run(
                    [terraform_binary(), *args, "-no-color"],
                    cwd=example,
                    env=env,
                    text=True,
                    capture_output=True,
                    check=False,
                )
                assert done.returncode == 0, f"terraform {args[0]} failed:\n{done.stdout}\n{done.stderr}"
            shown = subprocess.run(
                [terraform_binary(), "show", "-json"], cwd=example, env=env, text=True, capture_output=True, check=True
            )
    # No destroy: the tables have deletion protection (the example's production
    # setting); the emulator and its data end with the test.
    loaded: dict[str, Any] = json.loads(shown.stdout)
    return loaded


def test_the_module_ran_as_the_assumed_role(state: dict[str, Any]) -> None:
    identities = [
        r
        for r in resources(state["values"]["root_module"])
        if r["address"].endswith("data.aws_caller_identity.current")
    ]
    assert identities
    for identity in identities:
        assert identity["values"]["arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/payments-deploy/")


def test_every_taggable_resource_carries_the_callers_tags(state: dict[str, Any]) -> None:
    managed = [r for r in resources(state["values"]["root_module"]) if r["mode"] == "managed"]
    taggable = [r for r in managed if "tags_all" in r["values"]]
    assert len(taggable) >= 15, [r["address"] for r in taggable]
    for resource in taggable:
        tags = resource["values"]["tags_all"]
        assert tags.get("Owner") == "payments-team", resource["address"]  # the caller's default_tags
        assert tags.get("CostCenter") == "payments", resource["address"]  # the module's input wins
        assert tags.get("DataClass") == "confidential", resource["address"]
        assert (tags.get("Project"), tags.get("Environment"), tags.get("ManagedBy")) == (
            "acme-payments",
            "ex1",
            "terraform",
        ), resource["address"]
        # The module's own tags are set on the resource, not only inherited.
        assert (resource["values"].get("tags") or {}).get("ManagedBy") == "terraform", resource["address"]
