"""Starting the stream runner (the publisher fed by the tables' streams) as a process of its own."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from local_stack import iam
from local_stack.emulator import REGION, aws_env, without_aws
from local_stack.layout import Layout
from local_stack.processes import detached, stop_group

MODULE = "local_stack.streams.runner"
MARKER = MODULE  # in the runner's command line: how `down` recognises it


class StreamRunnerError(RuntimeError):
    """The stream runner did not start."""


def start_stream_runner(
    layout: Layout, endpoint: str, function_name: str, package: Path, credentials: iam.Credentials | None
) -> int:
    """Start the publisher on RIE fed by the emulator's streams, detached; wait until it polls. Its pid."""
    layout.stream_runner_ready.unlink(missing_ok=True)
    log = layout.logs / "stream-runner.log"
    command = [sys.executable, "-m", MODULE, "--function-name", function_name, "--zip", str(package)]
    command += ["--endpoint-url", endpoint, "--region", REGION, "--code-dir", str(layout.publisher_code_dir)]
    command += ["--function-log", str(layout.logs / "publisher.log"), "--ready-file", str(layout.stream_runner_ready)]
    command += ["--iam-enforced"] if credentials is not None else []
    env = {**without_aws(os.environ), **aws_env(endpoint, REGION, credentials.env() if credentials else None)}
    process = detached(command, log, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(layout.stream_runner_ready.read_text()).get("pid") == process.pid:
                return process.pid
        time.sleep(0.1)
    stop_group(process.pid)
    raise StreamRunnerError(f"the stream poller did not start; see {layout.rel(log)}")
