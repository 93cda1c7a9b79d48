"""Run Terraform on a copy of the root module, so state, lock files and
`.terraform/` never land in the repository (tftest also deletes them in the
folder it tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE_PARTS = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "modules", "lambda_src", "examples")
IGNORED = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__", "*.pyc", "build")


def terraform_binary() -> str:
    return os.environ.get("TERRAFORM", "terraform")


def copy_root_module(dest: Path) -> Path:
    """Copy the root module and everything it references into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in MODULE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=IGNORED, dirs_exist_ok=True)
        elif src.exists():
            shutil.copy2(src, dest / part)
    return dest


def run(args: list[str], cwd: Path, env: dict[str, str], capture: bool = False) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    return subprocess.run(
        [terraform_binary(), *args],
        cwd=cwd,
        env=full_env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
