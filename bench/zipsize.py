"""Size of the archive Terraform builds: `terraform init` + `plan` of a copy of the root
module against its own emulator (the `archive_file` data source writes
`build/lambda-<suffix>.zip` inside the copy at plan time)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

from bench.common import log
from local_stack.emulator import Emulator
from local_stack.terraform import Terraform, TerraformError, copy_root_module

SUFFIX = "bench"


def build_zip(workdir: Path, keep_as: Path) -> dict[str, Any]:
    """Plan a copy of the root module; return the zip's size and content, and keep the zip at ``keep_as``."""
    shutil.rmtree(workdir, ignore_errors=True)
    copy_root_module(workdir)
    logs = workdir.parent / "logs"
    try:
        with (
            Emulator(logs / "zip-emulator.log") as emulator,
            Terraform(workdir, emulator.env(), log_path=logs / "zip-terraform.log") as terraform,
        ):
            terraform.run("init", "-input=false", "-no-color")
            terraform.run("plan", "-input=false", "-no-color", "-refresh=false", f"-var=environment_suffix={SUFFIX}")
    except TerraformError as exc:
        raise RuntimeError(str(exc)) from None
    archive = workdir / "build" / f"lambda-{SUFFIX}.zip"
    if not archive.exists():
        raise RuntimeError(f"terraform plan did not write {archive}")
    keep_as.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(archive, keep_as)
    with zipfile.ZipFile(archive) as zipped:
        infos = zipped.infolist()
    size = archive.stat().st_size
    log(f"zip: {size} bytes, {len(infos)} files")
    shutil.rmtree(workdir, ignore_errors=True)
    return {
        "zip_bytes": size,
        "files": len(infos),
        "uncompressed_bytes": sum(i.file_size for i in infos),
        "largest": sorted(((i.filename, i.compress_size) for i in infos), key=lambda x: -x[1])[:3],
    }
