"""Plan tests: tftest runs `terraform plan` on a copy of a module in a temp dir,
with moto server answering the data sources through AWS_ENDPOINT_URL. The
harness itself (Planner, Stack, inventory helpers; the emulator is the local stack's)
is tests/terraform/harness.py, shared with tests/iam, imported by package name
(`tests.terraform.harness`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import tftest

from tests.terraform.harness import Emulator, Planner


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp("emulator") / "moto.log") as emu:
        yield emu


@pytest.fixture(scope="session")
def planner(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Planner:
    return Planner(emulator, tmp_path_factory.mktemp("tf"))


@pytest.fixture(scope="session")
def plan_summary(planner: Planner) -> Callable[..., tftest.TerraformPlanOutput]:
    """The root module planned with the given variables (cached per variables)."""
    return planner.plan
