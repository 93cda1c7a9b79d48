"""Starting the local Function URL as a process of its own (`make up`, the e2e tests, the bench)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from local_stack import iam
from local_stack.emulator import REGION, aws_env, without_aws
from local_stack.layout import Layout, boto3_kwargs
from local_stack.processes import detached, stop_group

MODULE = "local_stack.gateway"
MARKER = MODULE  # in the gateway's command line: how `down` recognises it


class GatewayError(RuntimeError):
    """The local Function URL did not start."""


def start_gateway(
    layout: Layout,
    endpoint: str,
    function_name: str,
    package: Path,
    port: int = 0,
    extra_args: tuple[str, ...] = (),
    credentials: iam.Credentials | None = None,
) -> tuple[int, dict[str, Any]]:
    """Start the local Function URL detached and wait until it serves: (pid, ready info).

    ``credentials``: the harness user's, when the emulator enforces IAM (the gateway
    then reads the function back as that user and assumes the function's role the way
    the Lambda service does); None for an emulator without IAM.
    """
    enforced = ("--iam-enforced",) if credentials is not None else ()
    env = {**without_aws(os.environ), **aws_env(endpoint, REGION, credentials.env() if credentials else None)}
    log_path = layout.logs / "gateway.log"
    for attempt_port in [port, 0] if port else [0]:
        layout.gateway_ready.unlink(missing_ok=True)
        command = [sys.executable, "-m", MODULE, "--function-name", function_name, "--zip", str(package)]
        command += ["--endpoint-url", endpoint, "--region", REGION, "--host", "127.0.0.1", "--port", str(attempt_port)]
        command += ["--code-dir", str(layout.code_dir), "--function-log", str(layout.logs / "function.log")]
        command += ["--ready-file", str(layout.gateway_ready), *enforced, *extra_args]
        process = detached(command, log_path, env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                info: dict[str, Any] = json.loads(layout.gateway_ready.read_text())
                if info.get("pid") == process.pid:
                    return process.pid, info
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        else:
            stop_group(process.pid)
            raise GatewayError(f"the local Function URL did not start in time; see {layout.rel(log_path)}")
    raise GatewayError(f"the local Function URL exited at start; see {layout.rel(log_path)}")


def function_fingerprint(endpoint: str, function_name: str, credentials: iam.Credentials | None) -> str:
    """Changes whenever anything the local Function URL serves changes (code, configuration)."""
    import boto3

    from local_stack.runtime.spec import read_function_spec

    client = boto3.client("lambda", **boto3_kwargs(endpoint, credentials))
    return read_function_spec(client, function_name).fingerprint()
