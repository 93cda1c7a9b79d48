"""`python -m local_stack.gateway --function-name NAME --zip PATH`: see local_stack/gateway/__init__.py."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import IO, Any

from local_stack import iam
from local_stack.gateway.server import DEFAULT_MAX_WORKERS, FunctionUrlServer, log
from local_stack.runtime.logs import LogRouter
from local_stack.runtime.pool import EnvironmentPool
from local_stack.runtime.rie import ExecutionEnvironment, find_rie
from local_stack.runtime.spec import extract_code, lambda_environment, read_function_spec, zip_sha256


def write_ready_file(path: Path, info: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    tmp.replace(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_stack.gateway",
        description="Serve a function deployed to the local emulator through a local Lambda Function URL.",
    )
    parser.add_argument("--function-name", required=True, help="function to serve (as deployed to the emulator)")
    parser.add_argument("--zip", required=True, type=Path, help="the deployment package Terraform built and uploaded")
    parser.add_argument("--endpoint-url", help="emulator endpoint (default: $AWS_ENDPOINT_URL)")
    parser.add_argument("--region", help="region (default: $AWS_REGION or us-east-1)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address; only loopback is allowed")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--max-workers",
        type=int,
        default=DEFAULT_MAX_WORKERS,
        help=f"cap on execution environments (default {DEFAULT_MAX_WORKERS})",
    )
    parser.add_argument(
        "--iam-enforced",
        action="store_true",
        help="the emulator enforces IAM (local_stack.iam): assume the role in its one unauthenticated call",
    )
    parser.add_argument("--code-dir", type=Path, default=Path("build/gateway/code"), help="where the zip is extracted")
    parser.add_argument(
        "--function-log",
        type=Path,
        default=Path("build/logs/function.log"),
        help="the function's log (CloudWatch stand-in)",
    )
    parser.add_argument(
        "--runtime-log", type=Path, help="RIE's own (rapid) log lines (default: runtime.log next to --function-log)"
    )
    parser.add_argument(
        "--ready-file", type=Path, help="written (JSON: url, pid, ...) once the server accepts requests"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        raise SystemExit(f"gateway: refusing to bind {args.host}: loopback only")
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise SystemExit("gateway: --endpoint-url or AWS_ENDPOINT_URL is required (the emulator, never real AWS)")
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    try:
        rie = find_rie()
    except FileNotFoundError as exc:
        raise SystemExit(f"gateway: {exc}") from None

    import boto3  # only to read the configuration back and to assume the role

    caller = iam.Credentials.from_env(
        {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **os.environ}
    )
    lambda_client = boto3.client("lambda", endpoint_url=endpoint, region_name=region, **caller.boto3())
    spec = read_function_spec(lambda_client, args.function_name)
    actual = zip_sha256(args.zip)
    if actual != spec.code_sha256:
        raise SystemExit(
            f"gateway: {args.zip} (sha256 {actual}) is not the code deployed as {spec.name} "
            f"(CodeSha256 {spec.code_sha256}); re-run the deployment"
        )
    code_dir = extract_code(args.zip, args.code_dir.resolve(), spec.code_sha256)
    local_python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if spec.runtime and spec.runtime != local_python:
        log(f"note: function runtime is {spec.runtime}; the environments run the local {local_python}")
    role = iam.assume_function_role(
        endpoint, region, spec.role_arn, spec.name, caller if args.iam_enforced else None, args.iam_enforced
    )
    env = lambda_environment(spec, code_dir, endpoint, role)

    reserved = spec.reserved_concurrency
    capacity = args.max_workers if reserved is None else min(reserved, args.max_workers)
    args.function_log.parent.mkdir(parents=True, exist_ok=True)
    function_log: IO[str] = args.function_log.open("a", buffering=1)
    runtime_log: IO[str] = (args.runtime_log or args.function_log.with_name("runtime.log")).open("a", buffering=1)
    log_lock = threading.Lock()
    platform = LogRouter(function_log, runtime_log, log_lock)
    pool = EnvironmentPool(
        capacity, lambda: ExecutionEnvironment(rie, spec, code_dir, env, LogRouter(function_log, runtime_log, log_lock))
    )

    url_id = hashlib.sha256(spec.arn.encode()).hexdigest()[:32]
    server = FunctionUrlServer((args.host, args.port), pool, spec, platform, url_id)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    url = f"http://{host}:{port}/"

    def stop(signum: int, _frame: object) -> None:
        log(f"signal {signum}: shutting down")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    info = {
        "url": url,
        "port": port,
        "pid": os.getpid(),
        "function_name": spec.name,
        "handler": spec.handler,
        "timeout_seconds": spec.timeout,
        "memory_mb": spec.memory_mb,
        "reserved_concurrency": reserved,
        "max_workers": capacity,
        "code_sha256": spec.code_sha256,
        "code_dir": str(code_dir),
        "fingerprint": spec.fingerprint(),
        "runtime": f"{rie.name} + awslambdaric ({local_python})",
        "role_arn": spec.role_arn,
        "iam_enforced": args.iam_enforced,
    }
    log(
        f"serving {spec.name} ({spec.handler}, timeout {spec.timeout}s, reserved concurrency {reserved}, "
        f"environments <= {capacity}, {info['runtime']}, role {spec.role_arn.rsplit('/', 1)[-1]}) "
        f"from {args.zip} at {url}"
    )
    if args.ready_file:
        write_ready_file(args.ready_file, info)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        pool.close()
        log(f"stopped; {json.dumps(pool.snapshot())}")
        function_log.close()
        runtime_log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
