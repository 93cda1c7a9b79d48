"""The function as the local runtime needs it: read back from the emulator, its code, its environment."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_stack.iam import Credentials


@dataclass(frozen=True)
class FunctionSpec:
    """What the local Function URL needs of the deployed function, read back from the emulator."""

    name: str
    arn: str
    handler: str
    runtime: str
    timeout: int
    memory_mb: int
    environment: dict[str, str]
    reserved_concurrency: int | None  # None: no reservation (uses unreserved account concurrency)
    code_sha256: str
    log_group: str
    role_arn: str
    tracing_mode: str = "PassThrough"
    architectures: tuple[str, ...] = field(default_factory=tuple)

    @property
    def region(self) -> str:
        return self.arn.split(":")[3] if self.arn.count(":") >= 6 else "us-east-1"

    @property
    def account_id(self) -> str:
        return self.arn.split(":")[4] if self.arn.count(":") >= 6 else "123456789012"

    def fingerprint(self) -> str:
        """Changes whenever anything the Function URL uses changes (code included)."""
        data = json.dumps(asdict(self), sort_keys=True, default=list).encode()
        return hashlib.sha256(data).hexdigest()[:16]


def read_function_spec(lambda_client: Any, function_name: str) -> FunctionSpec:
    config = lambda_client.get_function_configuration(FunctionName=function_name)
    concurrency = lambda_client.get_function_concurrency(FunctionName=function_name)
    name = config["FunctionName"]
    logging_config = config.get("LoggingConfig") or {}
    return FunctionSpec(
        name=name,
        arn=config["FunctionArn"],
        handler=config["Handler"],
        runtime=config.get("Runtime", ""),
        timeout=int(config.get("Timeout", 3)),
        memory_mb=int(config.get("MemorySize", 128)),
        environment=dict((config.get("Environment") or {}).get("Variables") or {}),
        reserved_concurrency=concurrency.get("ReservedConcurrentExecutions"),
        code_sha256=config["CodeSha256"],
        log_group=logging_config.get("LogGroup") or f"/aws/lambda/{name}",
        role_arn=config["Role"],
        tracing_mode=(config.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        architectures=tuple(config.get("Architectures") or ()),
    )


def zip_sha256(path: Path) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 of the zip file's bytes."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def extract_code(zip_path: Path, code_root: Path, sha256_b64: str) -> Path:
    """Extract the zip once per code version into code_root/<hash> (the environments' /var/task)."""
    digest = base64.b64decode(sha256_b64).hex()[:16]
    target = code_root / digest
    marker = target / ".extracted"
    if not marker.exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(target)
        marker.write_text(sha256_b64)
    return target


def lambda_environment(spec: FunctionSpec, code_dir: Path, endpoint: str, credentials: Credentials) -> dict[str, str]:
    """The environment of an execution environment: the function's variables plus what Lambda sets.

    RIE passes its whole environment on to the runtime, so this is all the function
    sees: nothing of the caller's environment except PATH. The credentials are the
    execution role's (sts:AssumeRole); AWS_ENDPOINT_URL points the SDK at the emulator.
    """
    stream = datetime.now(UTC).strftime("%Y/%m/%d") + "/[$LATEST]" + uuid.uuid4().hex
    env = dict(spec.environment)
    env.update(
        {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only on Lambda
            "PYTHONUNBUFFERED": "1",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,  # Lambda sets both; boto3 reads this one
            **credentials.env(),
            "AWS_ENDPOINT_URL": endpoint,
            # Never a developer's ~/.aws: only the emulator is reachable.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env
