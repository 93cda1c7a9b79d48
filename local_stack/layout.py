"""The local stack's build folder: where everything lives, the run record, console output.

LOCAL_STACK_BUILD_DIR (default <repo>/build) names the folder; tests use their own so
they never touch a developer's stack. ``run/stack.json`` records what `up` started (pids,
ports, the harness user's emulator key): `down` reads it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local_stack import iam
from local_stack.emulator import REGION
from local_stack.envfile import read_env_file
from local_stack.processes import ROOT


class Layout:
    """The paths of one build folder."""

    def __init__(self, build: Path) -> None:
        self.build = build
        self.stack_dir = build / "stack"
        self.logs = build / "logs"
        self.run = build / "run"
        self.record = self.run / "stack.json"
        self.gateway_ready = self.run / "gateway.json"
        self.code_dir = build / "gateway" / "code"
        self.stream_runner_ready = self.run / "stream-runner.json"
        self.publisher_code_dir = build / "publisher" / "code"
        self.local_env = build / "local.env"
        self.state_json = build / "state.json"

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(ROOT))
        except ValueError:
            return str(path)


def layout_from_env() -> Layout:
    return Layout(Path(os.environ.get("LOCAL_STACK_BUILD_DIR") or ROOT / "build").resolve())


def say(message: str = "") -> None:
    """Progress for the person running make; never lets a closed stdout stop a cleanup."""
    with contextlib.suppress(OSError):  # BrokenPipeError included
        print(message, flush=True)


def read_record(layout: Layout) -> dict[str, Any]:
    try:
        record: dict[str, Any] = json.loads(layout.record.read_text())
    except (OSError, ValueError):
        return {}
    return record


def write_record(layout: Layout, record: Mapping[str, Any]) -> None:
    """run/stack.json, mode 0600: it holds the harness user's emulator key."""
    layout.run.mkdir(parents=True, exist_ok=True)
    tmp = layout.record.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(record, indent=2) + "\n")
    tmp.replace(layout.record)


def local_env(layout: Layout) -> dict[str, str]:
    """build/local.env, or nothing when it does not exist."""
    return read_env_file(layout.local_env) if layout.local_env.exists() else {}


def record_credentials(record: Mapping[str, Any]) -> iam.Credentials | None:
    keys = record.get("harness_credentials") or {}
    return iam.Credentials.from_env(keys) if keys else None


def boto3_kwargs(endpoint: str, credentials: iam.Credentials | Mapping[str, str] | None = None) -> dict[str, Any]:
    """boto3.client(...) arguments for the emulator at ``endpoint``.

    Credentials: the ones given (iam.Credentials, or a mapping with AWS_ACCESS_KEY_ID
    and AWS_SECRET_ACCESS_KEY such as local.env's values); else, when the local.env of
    this build folder belongs to that endpoint, the harness user's from it (the stack
    enforces IAM); else the fake ones an emulator without IAM accepts.
    """
    if credentials is None:
        values = local_env(layout_from_env())
        if values.get("AWS_ENDPOINT_URL") == endpoint and values.get("AWS_ACCESS_KEY_ID"):
            credentials = values
    if isinstance(credentials, Mapping):
        credentials = iam.Credentials.from_env(credentials)
    keys = credentials.boto3() if credentials else {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return {"endpoint_url": endpoint, "region_name": REGION, **keys}
