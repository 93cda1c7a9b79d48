"""The one Terraform runner: `make up`/`down`, `make plan`, the Terraform tests and the bench run the CLI here.

Terraform always works on a copy of the root module (:func:`copy_root_module`), so
state, lock files and ``.terraform/`` never land in the repository (tftest also deletes
them in the folder it tests). While a :class:`Terraform` is open, the CloudWatch CBOR
proxy (emulator/cbor.py) serves the aws provider's CloudWatch calls, which moto cannot
parse in that protocol. Nothing of the caller's AWS_* environment reaches the CLI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from local_stack.emulator import REGION, without_aws
from local_stack.emulator.cbor import CborProxy
from local_stack.processes import ROOT

MODULE_PARTS = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "modules", "lambda_src", "examples")
IGNORED = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__", "*.pyc", "build")
STATE_FILES = ("terraform.tfstate", "terraform.tfstate.backup")
# Progress lines worth showing on a console; everything goes to the log.
PROGRESS = re.compile(
    r"(: (Creating|Creation complete|Destroying|Destruction complete|Modifying|Modifications complete)"
    r"|Apply complete|Destroy complete|No changes|Error|Warning|Terraform has been successfully initialized"
    r"|OpenTofu has been successfully initialized)"
)


class TerraformError(Exception):
    """A Terraform command failed; ``output`` holds the end of what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


def terraform_binary() -> str:
    """$TERRAFORM (terraform, or tofu for the OpenTofu pass)."""
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


def refresh_copy(dest: Path) -> None:
    """A fresh copy of the root module in ``dest``; its .terraform, lock file and state are kept."""
    keep = {".terraform", ".terraform.lock.hcl", *STATE_FILES}
    dest.mkdir(parents=True, exist_ok=True)
    for child in dest.iterdir():
        if child.name in keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    copy_root_module(dest)


def forget_state(workdir: Path) -> None:
    """The emulator keeps everything in memory: once it is gone, so is what the state describes."""
    for name in STATE_FILES:
        (workdir / name).unlink(missing_ok=True)


def walk_resources(module: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every resource of a `terraform show -json` module, child modules included."""
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from walk_resources(child)


def find_package(state: Mapping[str, Any], workdir: Path) -> tuple[Path, str]:
    """The zip Terraform built (the archive_file data source) and its base64 SHA-256."""
    resources = list(walk_resources(state.get("values", {}).get("root_module", {})))
    archives = [r for r in resources if r.get("mode") == "data" and r.get("type") == "archive_file"]
    functions = [r for r in resources if r.get("mode") == "managed" and r.get("type") == "aws_lambda_function"]
    if len(archives) == 1:
        values = archives[0]["values"]
        path, sha = values["output_path"], values["output_base64sha256"]
    elif len(functions) == 1 and functions[0]["values"].get("filename"):
        values = functions[0]["values"]
        path, sha = values["filename"], values.get("source_code_hash", "")
    else:
        raise TerraformError("cannot tell which zip Terraform deployed: expected one archive_file data source")
    package = (workdir / path).resolve()
    if not package.is_file():
        raise TerraformError(f"the deployment package {package} named in the state does not exist")
    return package, str(sha)


class Terraform:
    """$TERRAFORM run in ``workdir`` against the emulator; a context manager (the CBOR proxy runs while open).

    ``env``: the AWS_* settings of the emulator (``aws_env``); ``credentials`` (botocore
    Credentials): the key the CBOR proxy re-signs with when the emulator enforces IAM.
    ``log_path``: every line of output is appended there; ``progress``: called with the
    lines worth showing (all of them with ``verbose``).
    """

    def __init__(
        self,
        workdir: Path,
        env: Mapping[str, str],
        *,
        credentials: Any = None,
        log_path: Path | None = None,
        progress: Callable[[str], None] | None = None,
        verbose: bool = False,
    ) -> None:
        self.workdir = workdir
        self.binary = terraform_binary()
        self.log_path = log_path
        self.progress = progress
        self.verbose = verbose
        self.proxy = CborProxy(env["AWS_ENDPOINT_URL"], "cloudwatch", credentials, env.get("AWS_REGION", REGION))
        self.env = {
            **without_aws(os.environ),
            **env,
            "AWS_ENDPOINT_URL_CLOUDWATCH": self.proxy.endpoint,
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }

    def __enter__(self) -> Terraform:
        self.proxy.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.proxy.__exit__(*exc)

    def _log(self, text: str) -> None:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a") as log:
                log.write(text)

    def _popen(self, args: tuple[str, ...], stdout: int, stderr: int) -> subprocess.Popen[str]:
        try:
            return subprocess.Popen(
                [self.binary, *args],
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                text=True,
            )
        except FileNotFoundError:
            raise TerraformError(f"'{self.binary}' not found: install Terraform/OpenTofu or set TERRAFORM") from None

    def run(self, *args: str) -> None:
        """Run a command, its output streamed to the log (and the progress lines to ``progress``)."""
        self._log(f"\n$ {self.binary} {' '.join(args)}    # in {self.workdir}\n")
        process = self._popen(args, subprocess.PIPE, subprocess.STDOUT)
        tail: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            self._log(line)
            tail = [*tail[-39:], line.rstrip()]
            if self.progress is not None and (self.verbose or PROGRESS.search(line)):
                self.progress(line.rstrip())
        code = process.wait()
        if code != 0:
            where = f"; full output in {self.log_path}" if self.log_path else ""
            raise TerraformError(f"{self.binary} {args[0]} failed (exit {code}){where}", "\n".join(tail))

    def capture(self, *args: str) -> str:
        """Run a command and return its standard output (its standard error goes to the log)."""
        process = self._popen(args, subprocess.PIPE, subprocess.PIPE)
        stdout, stderr = process.communicate()
        self._log(f"\n$ {self.binary} {' '.join(args)}  (stdout captured)\n{stderr}")
        if process.returncode != 0:
            raise TerraformError(f"{self.binary} {' '.join(args)} failed: {stderr.strip()[-2000:]}", stdout[-4000:])
        return stdout

    def outputs(self) -> dict[str, Any]:
        """`terraform output -json`, as name -> value."""
        return {name: value["value"] for name, value in json.loads(self.capture("output", "-json")).items()}

    def state_resources(self) -> list[str]:
        """Managed resources in the state (data sources left out)."""
        if not (self.workdir / "terraform.tfstate").exists():
            return []
        lines = [line.strip() for line in self.capture("state", "list").splitlines()]
        return [line for line in lines if line and not re.search(r"(^|\.)data\.", line)]
