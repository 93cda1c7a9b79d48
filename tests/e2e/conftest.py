"""Shared fixtures of the end-to-end tests.

Every process a test starts (moto server, local Function URL, its execution
environments: aws-lambda-rie and the runtime under it) is stopped in a fixture
finalizer, so nothing is left running when a test fails.
Tests use their own build directory (LOCAL_STACK_BUILD_DIR), never the
developer's build/, so they can run while `make up` is up.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from local_stack import processes
from local_stack.emulator import SERVER_MODULE, Emulator
from local_stack.gateway import launch
from local_stack.layout import Layout, boto3_kwargs

ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server of our own, started and stopped like `make up` does it."""
    emulator = Emulator(tmp_path_factory.mktemp("emulator") / "logs" / "emulator.log").start()
    pid = emulator.pid
    try:
        yield emulator.endpoint
    finally:
        processes.stop_process(pid, SERVER_MODULE, "emulator", print)
        assert not processes.pid_alive(pid)


def aws_client(service: str, endpoint: str):
    return boto3.client(service, **boto3_kwargs(endpoint))


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def deploy(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Create a function in moto from source files; returns the zip path (as Terraform would have built it)."""
    iam = aws_client("iam", moto_endpoint)
    role_arn = iam.create_role(RoleName="e2e-gateway-role", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    lam = aws_client("lambda", moto_endpoint)
    folder = tmp_path_factory.mktemp("packages")

    def _deploy(
        name: str,
        files: dict[str, str],
        handler: str = "app.handler",
        timeout: int = 3,
        reserved: int | None = None,
        environment: dict[str, str] | None = None,
    ) -> Path:
        data = make_zip(files)
        path = folder / f"{name}.zip"
        path.write_bytes(data)
        lam.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role_arn,
            Handler=handler,
            Code={"ZipFile": data},
            Timeout=timeout,
            MemorySize=256,
            Architectures=["arm64"],
            Environment={"Variables": environment or {}},
            TracingConfig={"Mode": "Active"},
        )
        if reserved is not None:
            lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
        return path

    return _deploy


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class RunningGateway:
    def __init__(self, pid: int, info: dict, layout: Layout) -> None:
        self.pid = pid
        self.info = info
        self.url = info["url"]
        self.layout = layout

    def worker_pids(self) -> list[int]:
        """Live processes under this gateway: its aws-lambda-rie processes and the runtimes they run.

        The runtimes run in process groups of their own (RIE starts them so), so the
        gateway's descendants are found through their parent pids.
        """
        return [pid for pid in processes.descendants(self.pid) if processes.pid_alive(pid)]

    def runtime_pids(self) -> list[int]:
        """The Python runtimes (awslambdaric) alive under this gateway."""
        return [pid for pid in self.worker_pids() if cmdline(pid).split(b"\0")[:3][1:] == [b"-m", b"awslambdaric"]]

    def function_log(self) -> str:
        path = self.layout.logs / "function.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture()
def gateway(moto_endpoint: str, tmp_path: Path) -> Iterator[Callable[..., RunningGateway]]:
    """Start local Function URLs for deployed functions; all stopped (workers included) afterwards."""
    started: list[RunningGateway] = []

    def _start(function_name: str, package: Path, *extra_args: str) -> RunningGateway:
        layout = Layout(tmp_path / f"gw-{len(started)}")
        pid, info = launch.start_gateway(layout, moto_endpoint, function_name, package, extra_args=extra_args)
        running = RunningGateway(pid, info, layout)
        started.append(running)
        return running

    try:
        yield _start
    finally:
        for running in started:
            workers = running.worker_pids()
            processes.stop_process(running.pid, launch.MARKER, "gateway", print)
            assert not processes.pid_alive(running.pid)
            assert not [pid for pid in workers if processes.pid_alive(pid)], "workers outlived their gateway"
