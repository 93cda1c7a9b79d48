"""`make plan` (`python -m local_stack.plan`): plan the real root module against the
local emulator and write build/plan.json (`terraform show -json`)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from local_stack.emulator import Emulator
from local_stack.tfwork import ROOT, copy_root_module, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack.plan", description=__doc__)
    parser.add_argument("--environment-suffix", default="dev")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "plan.json")
    args = parser.parse_args()

    workdir = ROOT / "build" / "plan"
    shutil.rmtree(workdir, ignore_errors=True)
    copy_root_module(workdir)
    with Emulator(ROOT / "build" / "logs" / "plan-emulator.log") as emulator:
        env = emulator.env()
        run(["init", "-input=false", "-no-color"], workdir, env)
        run(
            ["plan", "-input=false", "-no-color", "-out=tfplan", f"-var=environment_suffix={args.environment_suffix}"],
            workdir,
            env,
        )
        shown = run(["show", "-json", "tfplan"], workdir, env, capture=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(shown.stdout)
    print(f"plan written to {args.out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
