"""`make plan` (`python -m local_stack.plan`): plan the real root module against the
local emulator and write build/plan.json (`terraform show -json`)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from local_stack.emulator import Emulator
from local_stack.processes import ROOT
from local_stack.terraform import Terraform, TerraformError, copy_root_module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack.plan", description=__doc__)
    parser.add_argument("--environment-suffix", default="dev")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "plan.json")
    args = parser.parse_args(argv)

    workdir = ROOT / "build" / "plan"
    shutil.rmtree(workdir, ignore_errors=True)
    copy_root_module(workdir)
    logs = ROOT / "build" / "logs"
    try:
        with (
            Emulator(logs / "plan-emulator.log") as emulator,
            Terraform(workdir, emulator.env(), log_path=logs / "plan.log", progress=print) as terraform,
        ):
            terraform.run("init", "-input=false", "-no-color")
            terraform.run(
                "plan", "-input=false", "-no-color", "-out=tfplan", f"-var=environment_suffix={args.environment_suffix}"
            )
            shown = terraform.capture("show", "-json", "tfplan")
    except TerraformError as exc:
        print(f"{exc}\n{exc.output}")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(shown)
    print(f"plan written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
