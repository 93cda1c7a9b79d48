"""The publisher fed by the emulator's streams: `python -m local_stack.streams.runner --function-name NAME --zip PATH`.

What Lambda's event source mappings do for a function on AWS, as one local process: the
function's mappings are read back from the emulator (ListEventSourceMappings), the
stream poller (poller.py) reads the mapped DynamoDB streams and invokes the
function on AWS's own runtime (local_stack.runtime: aws-lambda-rie + awslambdaric over the zip
Terraform built, the same execution environments as the local Function URL's), and
sends invocation records to the mapping's on-failure queue.

As on AWS, the streams are read and the on-failure queue is written with the function's
execution role (an sts:AssumeRole, iam.py); the mappings are read with the caller's
credentials (the harness user's when the emulator enforces IAM). Started by `make up`;
see local_stack/README.md ("The stream poller").
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from local_stack import iam
from local_stack.runtime.logs import LogRouter
from local_stack.runtime.pool import EnvironmentPool
from local_stack.runtime.rie import EnvironmentGone, ExecutionEnvironment, find_rie
from local_stack.runtime.spec import extract_code, lambda_environment, read_function_spec, zip_sha256
from local_stack.streams.mapping import (
    FunctionError,
    InvokeError,
    Invoker,
    MappingSettings,
    read_mappings,
    sqs_failure_sender,
)
from local_stack.streams.poller import StreamPoller


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    print(f"{stamp} {message}", flush=True)


def pool_invoker(pool: EnvironmentPool) -> Invoker:
    """Invoke through the pool: a result, FunctionError (error, timeout, exit) or InvokeError (none free)."""

    def invoke(payload: bytes) -> bytes:
        try:
            environment = pool.acquire()
        except EnvironmentGone as exc:
            raise InvokeError(f"the runtime did not start: {exc}") from exc
        if environment is None:
            raise InvokeError("no execution environment free (throttled)")
        reusable = False
        try:
            outcome = environment.invoke(payload, str(uuid.uuid4()))
            reusable = outcome.kind in ("result", "function_error") and environment.alive()
        except EnvironmentGone as exc:
            raise FunctionError(f"Runtime.ExitError: {exc}") from exc
        finally:
            pool.release(environment, reusable)
        if not outcome.ok:
            raise FunctionError(f"{outcome.kind} {outcome.error_type}")
        return outcome.payload

    return invoke


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local_stack.streams.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--function-name", required=True, help="the mapped function (as deployed to the emulator)")
    parser.add_argument("--zip", required=True, type=Path, help="the deployment package Terraform built and uploaded")
    parser.add_argument("--endpoint-url", help="emulator endpoint (default: $AWS_ENDPOINT_URL)")
    parser.add_argument("--region", help="region (default: $AWS_REGION or us-east-1)")
    parser.add_argument("--iam-enforced", action="store_true", help="the emulator enforces IAM (local_stack.iam)")
    parser.add_argument("--code-dir", type=Path, default=Path("build/publisher/code"), help="where the zip goes")
    parser.add_argument("--function-log", type=Path, default=Path("build/logs/publisher.log"))
    parser.add_argument("--ready-file", type=Path, help="written (JSON: pid, mappings) once polling")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise SystemExit("stream runner: --endpoint-url or AWS_ENDPOINT_URL is required (the emulator)")
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    rie = find_rie()
    import boto3

    caller = iam.Credentials.from_env(
        {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **os.environ}
    )
    lambda_client = boto3.client("lambda", endpoint_url=endpoint, region_name=region, **caller.boto3())
    spec = read_function_spec(lambda_client, args.function_name)
    if zip_sha256(args.zip) != spec.code_sha256:
        raise SystemExit(f"stream runner: {args.zip} is not the code deployed as {spec.name}; re-run the deployment")
    code_dir = extract_code(args.zip, args.code_dir.resolve(), spec.code_sha256)
    role = iam.assume_function_role(
        endpoint, region, spec.role_arn, spec.name, caller if args.iam_enforced else None, args.iam_enforced
    )
    args.function_log.parent.mkdir(parents=True, exist_ok=True)
    function_log: IO[str] = args.function_log.open("a", buffering=1)
    log_lock = threading.Lock()
    # One batch at a time per shard, one shard at a time: one environment is enough.
    pool = EnvironmentPool(
        1,
        lambda: ExecutionEnvironment(
            rie,
            spec,
            code_dir,
            lambda_environment(spec, code_dir, endpoint, role),
            LogRouter(function_log, function_log, log_lock),
        ),
    )
    # The role's clients, endpoint pinned: botocore may address DynamoDB Streams through an
    # account-specific endpoint that the emulator does not route.
    role_kwargs: dict[str, Any] = {"endpoint_url": endpoint, "region_name": region, **role.boto3()}
    invoker = pool_invoker(pool)
    poller = StreamPoller(
        boto3.client("dynamodbstreams", **role_kwargs),
        lambda _mapping: invoker,
        sqs_failure_sender(boto3.client("sqs", **role_kwargs)),
        options={"log": log},
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log(f"signal {signum}: stopping")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def read() -> list[MappingSettings]:
        mappings = read_mappings(lambda_client, spec.arn)
        if args.ready_file and not args.ready_file.exists():
            args.ready_file.parent.mkdir(parents=True, exist_ok=True)
            summary = [{"uuid": m.uuid, "batch_size": m.batch_size} for m in mappings]
            args.ready_file.write_text(json.dumps({"pid": os.getpid(), "mappings": summary}) + "\n")
            log(f"polling {len(mappings)} stream mapping(s) of {spec.name}")
        return mappings

    try:
        poller.run(read, stop.is_set)
    finally:
        pool.close()
        function_log.close()
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
