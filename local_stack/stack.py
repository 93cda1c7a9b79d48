"""The local stack: `make up`, `make down` (CONTRACT.md section 3): `python -m local_stack up|down`.

up    start moto server (the AWS emulator) as its own process on a free loopback
      port with IAM enforced, create the harness's IAM user (local_stack.iam);
      `terraform apply` the unmodified root module to it as that user, from a copy
      in build/stack (state stays there); put fresh signing secrets into each
      provider's SSM parameter; start the local Function URL (local_stack.gateway)
      as a separate process: the zip Terraform built, on AWS's Lambda runtime
      (aws-lambda-rie + awslambdaric) with the execution role's credentials; write
      build/local.env and build/state.json. Running it again on a running stack
      re-applies and keeps what is still valid (emulator, secrets, gateway if the
      function is unchanged).
down  `terraform destroy` against the emulator (proof that everything is
      destroyable), then stop every process `up` started and remove
      build/local.env. Safe to run when nothing is up.

Environment: TERRAFORM (CLI, default terraform; meant to work with tofu), ENV_SUFFIX (default
dev), TF_CLI_CONFIG_FILE (passed through), LOCAL_STACK_BUILD_DIR (default
<repo>/build; tests use their own so they never touch a developer's stack).
Nothing here reaches real AWS: every AWS_* variable of the caller is dropped and
replaced by the emulator's endpoint and fake credentials.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_stack import emulator as emulator_tools
from local_stack import iam, tfwork
from local_stack.cbor_shim import CborShim
from local_stack.envfile import read_env_file, write_env_file

ROOT = Path(__file__).resolve().parent.parent
REGION = emulator_tools.REGION
GATEWAY_MODULE = "local_stack.gateway"
GATEWAY_MARKER = "local_stack.gateway"  # in the gateway's command line: how `down` recognises it
EMULATOR_MARKER = "local_stack.moto_server"
STREAM_RUNNER_MODULE = STREAM_RUNNER_MARKER = "local_stack.stream_runner"  # the publisher fed by the streams
OVERRIDE_FILE = "zz_local_emulator_override.tf"

# Each provider's SSM parameter (Terraform output `provider_secret_parameter_names`, by
# provider) and the local.env key that carries the secret `up` puts there.
PROVIDER_SECRET_KEYS = {"standard": "WEBHOOK_SECRET", "stripe": "STRIPE_SECRET", "adyen": "ADYEN_HMAC_KEY"}

# Settings the aws provider needs only because it talks to moto, applied through
# an override file in the build/stack copy (never in the repository). Empty while
# the provider needs none; see README.md.
EMULATOR_PROVIDER_OVERRIDE = ""


class StackError(Exception):
    """A step failed; the message says which and where its log is."""


# --------------------------------------------------------------------------- layout


class Layout:
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


# --------------------------------------------------------------------------- processes


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own exited child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def process_is_ours(pid: int, marker: str) -> bool:
    """Only touch a recorded pid if it is still the process we started (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        return marker in cmdline and os.getpgid(pid) == pid
    except (OSError, ProcessLookupError):
        return False


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (by parent pid), whatever its process group.

    The gateway's execution environments are aws-lambda-rie processes in its group, but
    RIE starts each runtime in a process group of its own.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_process(pid: int | None, marker: str, name: str) -> None:
    """SIGTERM the process group `up` started, wait, then SIGKILL what is left (runtimes below it included)."""
    if not pid or not pid_alive(pid):
        return
    if not process_is_ours(pid, marker):
        say(f"  {name}: pid {pid} is no longer the process `up` started; leaving it alone")
        return
    below = {child: _cmdline(child) for child in descendants(pid)}
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.05)
        if not pid_alive(pid):
            break
    # Whatever else is left in the group (e.g. an execution environment stuck in a handler),
    # and below it in groups of their own (a runtime whose RIE was killed before it).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for child, command in below.items():
        if pid_alive(child) and _cmdline(child) == command:  # still the same process, not a reused pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(child, signal.SIGKILL)
    say(f"  stopped {name} (pid {pid})")


def detached(cmd: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start cmd in its own session (own process group), output to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
            close_fds=True,
        )


def emulator_env(endpoint: str, credentials: iam.Credentials | None = None) -> dict[str, str]:
    """The caller's environment without any AWS_* setting, pointed at the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(emulator_tools.aws_env(endpoint, REGION, credentials.env() if credentials else None))
    env.pop("AWS_PROFILE", None)  # an empty AWS_PROFILE makes boto3 look for a profile named ""
    return env


def start_emulator(layout: Layout, attempts: int = 3, enforce_iam: bool = False) -> tuple[int, int]:
    """moto server on a free 127.0.0.1 port, in its own process group: (pid, port).

    With ``enforce_iam``, moto lets only the first iam.BOOTSTRAP_CALLS calls through
    unauthenticated (create_harness_user makes them) and enforces IAM from then on.
    """
    last_error: Exception | None = None
    for _ in range(attempts):
        port = emulator_tools.free_port()
        endpoint = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        if enforce_iam:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(iam.BOOTSTRAP_CALLS)
        process = detached(
            [*emulator_tools.moto_server_command(), "-H", "127.0.0.1", "-p", str(port)],
            layout.logs / "emulator.log",
            env,
        )
        try:
            emulator_tools.wait_until_up(endpoint + "/moto-api/", 30.0, process)
            return process.pid, port
        except (RuntimeError, TimeoutError) as exc:  # e.g. the port was taken in between
            last_error = exc
            emulator_tools.stop_process_group(process.pid)
            process.wait(timeout=10)
    raise StackError(f"the emulator did not start: {last_error}; see {layout.rel(layout.logs / 'emulator.log')}")


def emulator_answers(port: int | None) -> bool:
    if not port:
        return False
    try:
        emulator_tools.wait_until_up(f"http://127.0.0.1:{port}/moto-api/", 2.0)
        return True
    except (TimeoutError, RuntimeError, OSError):
        return False


# --------------------------------------------------------------------------- records


def read_record(layout: Layout) -> dict:
    try:
        return json.loads(layout.record.read_text())
    except (OSError, ValueError):
        return {}


def write_record(layout: Layout, record: dict) -> None:
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


# --------------------------------------------------------------------------- terraform


class Terraform:
    """The CLI ($TERRAFORM) run in build/stack against the emulator.

    A context manager: while it is open, the CloudWatch CBOR shim (cbor_shim.py)
    serves Terraform's CloudWatch calls, which moto cannot parse in that protocol.
    """

    # Progress lines worth showing on the console; everything goes to the log.
    _PROGRESS = re.compile(
        r"(: (Creating|Creation complete|Destroying|Destruction complete|Modifying|Modifications complete)"
        r"|Apply complete|Destroy complete|No changes|Error|Warning|Terraform has been successfully initialized"
        r"|OpenTofu has been successfully initialized)"
    )

    def __init__(
        self, layout: Layout, endpoint: str, credentials: iam.Credentials | None, verbose: bool = False
    ) -> None:
        self.layout = layout
        self.binary = tfwork.terraform_binary()
        self.env = emulator_env(endpoint, credentials)
        self.env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
        self.verbose = verbose
        self.log_path = layout.logs / "terraform.log"
        self.shim = CborShim(endpoint, "cloudwatch", botocore_credentials(credentials), REGION)
        self.env["AWS_ENDPOINT_URL_CLOUDWATCH"] = self.shim.endpoint

    def __enter__(self) -> Terraform:
        self.shim.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shim.__exit__(*exc)

    def run(self, *args: str) -> None:
        cmd = [self.binary, *args]
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(f"\n$ {' '.join(cmd)}    # in {self.layout.stack_dir}\n")
            log.flush()
            try:
                process = subprocess.Popen(
                    cmd,
                    cwd=self.layout.stack_dir,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            except FileNotFoundError:
                raise StackError(f"'{self.binary}' not found: install Terraform/OpenTofu or set TERRAFORM") from None
            tail: list[str] = []
            assert process.stdout is not None
            for line in process.stdout:
                log.write(line)
                tail = [*tail[-39:], line.rstrip()]
                if self.verbose or self._PROGRESS.search(line):
                    say("    " + line.rstrip())
            code = process.wait()
        if code != 0:
            say("    ... last lines of the log:")
            for line in tail:
                say("    | " + line)
            raise StackError(
                f"{self.binary} {args[0]} failed (exit {code}); full output in {self.layout.rel(self.log_path)}"
            )

    def capture(self, *args: str) -> str:
        result = subprocess.run(
            [self.binary, *args],
            cwd=self.layout.stack_dir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        with self.log_path.open("a") as log:
            log.write(f"\n$ {self.binary} {' '.join(args)}  (stdout captured)\n{result.stderr}")
        if result.returncode != 0:
            raise StackError(f"{self.binary} {' '.join(args)} failed: {result.stderr.strip()[-2000:]}")
        return result.stdout

    def state_resources(self) -> list[str]:
        """Managed resources in the state (data sources left out)."""
        if not (self.layout.stack_dir / "terraform.tfstate").exists():
            return []
        lines = [line.strip() for line in self.capture("state", "list").splitlines()]
        return [line for line in lines if line and not re.search(r"(^|\.)data\.", line)]


def botocore_credentials(credentials: iam.Credentials | None) -> Any:
    if credentials is None:
        return None
    from botocore.credentials import Credentials

    return Credentials(credentials.access_key_id, credentials.secret_access_key, credentials.session_token)


def prepare_stack_dir(layout: Layout) -> None:
    """A fresh copy of the root module in build/stack; .terraform and state are kept."""
    keep = {".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup"}
    layout.stack_dir.mkdir(parents=True, exist_ok=True)
    for child in layout.stack_dir.iterdir():
        if child.name in keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    tfwork.copy_root_module(layout.stack_dir)
    if EMULATOR_PROVIDER_OVERRIDE:
        (layout.stack_dir / OVERRIDE_FILE).write_text(EMULATOR_PROVIDER_OVERRIDE)


def forget_state(layout: Layout) -> None:
    """The emulator keeps everything in memory: once it is gone, so is what the state describes."""
    for name in ("terraform.tfstate", "terraform.tfstate.backup"):
        (layout.stack_dir / name).unlink(missing_ok=True)


def walk_resources(module: dict):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from walk_resources(child)


def find_package(state: dict, stack_dir: Path) -> tuple[Path, str]:
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
        raise StackError("cannot tell which zip Terraform deployed: expected one archive_file data source in the state")
    package = (stack_dir / path).resolve()
    if not package.is_file():
        raise StackError(f"the deployment package {package} named in the state does not exist")
    return package, sha


# --------------------------------------------------------------------------- gateway


def start_gateway(
    layout: Layout,
    endpoint: str,
    function_name: str,
    package: Path,
    port: int = 0,
    extra_args: tuple[str, ...] = (),
    credentials: iam.Credentials | None = None,
) -> tuple[int, dict]:
    """Start the local Function URL detached and wait until it serves: (pid, ready info).

    ``credentials``: the harness user's, when the emulator enforces IAM (the gateway
    then reads the function back as that user and assumes the function's role the way
    the Lambda service does); None for an emulator without IAM.
    """
    enforced = ("--iam-enforced",) if credentials is not None else ()
    for attempt_port in [port, 0] if port else [0]:
        layout.gateway_ready.unlink(missing_ok=True)
        process = detached(
            [
                sys.executable,
                "-m",
                GATEWAY_MODULE,
                "--function-name",
                function_name,
                "--zip",
                str(package),
                "--endpoint-url",
                endpoint,
                "--region",
                REGION,
                "--host",
                "127.0.0.1",
                "--port",
                str(attempt_port),
                "--code-dir",
                str(layout.code_dir),
                "--function-log",
                str(layout.logs / "function.log"),
                "--ready-file",
                str(layout.gateway_ready),
                *enforced,
                *extra_args,
            ],
            layout.logs / "gateway.log",
            emulator_env(endpoint, credentials),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                info = json.loads(layout.gateway_ready.read_text())
                if info.get("pid") == process.pid:
                    return process.pid, info
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        else:
            emulator_tools.stop_process_group(process.pid)
            raise StackError(
                f"the local Function URL did not start in time; see {layout.rel(layout.logs / 'gateway.log')}"
            )
    raise StackError(f"the local Function URL exited at start; see {layout.rel(layout.logs / 'gateway.log')}")


def start_stream_runner(
    layout: Layout, endpoint: str, function_name: str, package: Path, credentials: iam.Credentials | None
) -> int:
    """Start the publisher on RIE fed by the emulator's streams (local_stack.stream_runner), detached;
    wait until it polls. Returns its pid."""
    layout.stream_runner_ready.unlink(missing_ok=True)
    log = layout.logs / "stream-runner.log"
    command = [sys.executable, "-m", STREAM_RUNNER_MODULE, "--function-name", function_name, "--zip", str(package)]
    command += ["--endpoint-url", endpoint, "--region", REGION, "--code-dir", str(layout.publisher_code_dir)]
    command += ["--function-log", str(layout.logs / "publisher.log"), "--ready-file", str(layout.stream_runner_ready)]
    command += ["--iam-enforced"] if credentials is not None else []
    process = detached(command, log, emulator_env(endpoint, credentials))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(layout.stream_runner_ready.read_text()).get("pid") == process.pid:
                return process.pid
        time.sleep(0.1)
    emulator_tools.stop_process_group(process.pid)
    raise StackError(f"the stream poller did not start; see {layout.rel(log)}")


def function_fingerprint(endpoint: str, function_name: str, credentials: iam.Credentials | None) -> str:
    import boto3

    from local_stack.runtime import read_function_spec

    client = boto3.client("lambda", **boto3_kwargs(endpoint, credentials))
    return read_function_spec(client, function_name).fingerprint()


def boto3_kwargs(endpoint: str, credentials: iam.Credentials | Mapping[str, str] | None = None) -> dict[str, Any]:
    """boto3.client(...) arguments for the emulator at ``endpoint``.

    Credentials: the ones given (iam.Credentials, or a mapping with AWS_ACCESS_KEY_ID
    and AWS_SECRET_ACCESS_KEY such as local.env's values); else, when the local.env of
    this build directory (LOCAL_STACK_BUILD_DIR) belongs to that endpoint, the harness
    user's from it (the stack enforces IAM); else the fake ones an emulator without IAM
    accepts.
    """
    if credentials is None:
        values = local_env(layout_from_env())
        if values.get("AWS_ENDPOINT_URL") == endpoint and values.get("AWS_ACCESS_KEY_ID"):
            credentials = values
    if isinstance(credentials, Mapping):
        credentials = iam.Credentials.from_env(credentials)
    keys = credentials.boto3() if credentials else {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return {"endpoint_url": endpoint, "region_name": REGION, **keys}


# --------------------------------------------------------------------------- up


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_stripe_secret() -> str:
    """A Stripe endpoint secret: whsec_ + 32 random letters and digits (Stripe keys the HMAC with the whole string)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "whsec_" + "".join(secrets.choice(alphabet) for _ in range(32))


def new_adyen_key() -> str:
    """An Adyen HMAC key: 64 hex characters, a 32-byte key."""
    return secrets.token_hex(32).upper()


NEW_SECRET = {"standard": new_secret, "stripe": new_stripe_secret, "adyen": new_adyen_key}


def provider_parameters(outputs: Mapping[str, Any]) -> dict[str, str]:
    """SSM parameter of each provider the stack enables, from the Terraform outputs.

    `provider_secret_parameter_names` (or `webhook_secret_parameter_names`): a map by
    provider; `webhook_secret_parameter_name` alone (the stack before providers) is
    the standard one. Providers without a parameter, or unknown, are left out.
    """
    names = outputs.get("provider_secret_parameter_names") or outputs.get("webhook_secret_parameter_names") or {}
    found = {provider: name for provider, name in dict(names).items() if provider in NEW_SECRET and name}
    if "standard" not in found and outputs.get("webhook_secret_parameter_name"):
        found["standard"] = outputs["webhook_secret_parameter_name"]
    return found


def put_secret(
    endpoint: str,
    parameter: str,
    kms_key_arn: str,
    keep: str | None,
    credentials: iam.Credentials | None = None,
    make: Any = new_secret,
) -> str:
    """Store a fresh secret in the SSM parameter (or keep `keep` if it is still the stored one)."""
    import boto3

    ssm = boto3.client("ssm", **boto3_kwargs(endpoint, credentials))
    if keep:
        try:
            current = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
            if current == keep:
                return keep
        except ssm.exceptions.ParameterNotFound:
            pass
    value = make()
    ssm.put_parameter(Name=parameter, Value=value, Type="SecureString", KeyId=kms_key_arn, Overwrite=True)
    stored = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]
    if stored["Value"] != value or stored["Type"] != "SecureString":
        raise StackError(f"the secret did not round-trip through SSM parameter {parameter}")
    return value


def bootstrap_iam(endpoint: str) -> iam.Credentials:
    """The harness user in the emulator's unauthenticated calls, then proof that IAM is on."""
    try:
        credentials = iam.create_harness_user(endpoint, REGION)
        iam.check_enforced(endpoint, REGION, credentials)
    except Exception as exc:
        raise StackError(f"could not set up IAM in the emulator: {exc}") from exc
    return credentials


def up(layout: Layout, suffix: str, verbose: bool = False) -> dict[str, str]:
    """Bring the stack up (or reconcile a running one). Returns the local.env values."""
    for directory in (layout.build, layout.logs, layout.run):
        directory.mkdir(parents=True, exist_ok=True)
    record = read_record(layout)
    running = bool(record) and pid_alive(record.get("emulator_pid")) and emulator_answers(record.get("emulator_port"))
    credentials = record_credentials(record) if running else None
    running = running and credentials is not None
    started: list[tuple[int, str, str]] = []  # processes this call started, stopped again if it fails

    if running:
        say(f"The stack is already up (emulator pid {record['emulator_pid']}); re-applying to converge.")
        port = record["emulator_port"]
    else:
        if record:
            say("Cleaning up what a previous `up` left behind (its emulator is gone).")
            stop_process(record.get("gateway_pid"), GATEWAY_MARKER, "local Function URL")
            stop_process(record.get("stream_runner_pid"), STREAM_RUNNER_MARKER, "stream poller")
            stop_process(record.get("emulator_pid"), EMULATOR_MARKER, "emulator")
        forget_state(layout)
        layout.local_env.unlink(missing_ok=True)
        say("[1/5] Starting the AWS emulator (moto server, IAM enforced) on a free 127.0.0.1 port")
        emulator_pid, port = start_emulator(layout, enforce_iam=True)
        started.append((emulator_pid, EMULATOR_MARKER, "emulator"))
        record = {
            "emulator_pid": emulator_pid,
            "emulator_port": port,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_record(layout, record)
        say(f"      emulator pid {emulator_pid} at http://127.0.0.1:{port}")
    endpoint = f"http://127.0.0.1:{port}"

    try:
        if credentials is None:
            credentials = bootstrap_iam(endpoint)
            record["harness_credentials"] = credentials.env()
            write_record(layout, record)
            say(f"      IAM enforced; Terraform and the harness act as emulator user {iam.HARNESS_USER}")
        record["environment_suffix"] = suffix
        record["terraform"] = tfwork.terraform_binary()
        write_record(layout, record)
        say(f"[2/5] terraform apply of the root module (environment_suffix={suffix}) in {layout.rel(layout.stack_dir)}")
        prepare_stack_dir(layout)
        with Terraform(layout, endpoint, credentials, verbose) as terraform:
            terraform.run("init", "-input=false", "-no-color")
            terraform.run("apply", "-auto-approve", "-input=false", "-no-color", f"-var=environment_suffix={suffix}")
            state_text = terraform.capture("show", "-json")
            outputs = {k: v["value"] for k, v in json.loads(terraform.capture("output", "-json")).items()}
        layout.state_json.write_text(state_text)
        package, package_sha = find_package(json.loads(state_text), layout.stack_dir)

        parameters = provider_parameters(outputs)
        say(f"[3/5] Signing secrets in SSM ({', '.join(sorted(parameters)) or 'none'}; SecureString, the stack's key)")
        previous = local_env(layout) if running else {}
        provider_secrets: dict[str, str] = {}
        for provider, parameter in sorted(parameters.items()):
            key = PROVIDER_SECRET_KEYS[provider]
            secret = put_secret(
                endpoint, parameter, outputs["kms_key_arn"], previous.get(key), credentials, NEW_SECRET[provider]
            )
            provider_secrets[key] = secret
            kept = secret == previous.get(key)
            action = "kept the secret already in use" if kept else "stored a fresh secret"
            say(f"      {provider}: {action} in {parameter}")

        say(f"[4/5] Starting the local Function URL for {outputs['function_name']} from {layout.rel(package)}")
        gateway_pid = record.get("gateway_pid")
        info = None
        if running and pid_alive(gateway_pid) and process_is_ours(gateway_pid, GATEWAY_MARKER):
            try:
                current = json.loads(layout.gateway_ready.read_text())
            except (OSError, ValueError):
                current = {}
            if current.get("fingerprint") == function_fingerprint(endpoint, outputs["function_name"], credentials):
                info = current
                say("      (function unchanged: the running one stays, warm)")
            else:
                stop_process(gateway_pid, GATEWAY_MARKER, "local Function URL (function changed)")
        if info is None:
            gateway_pid, info = start_gateway(
                layout,
                endpoint,
                outputs["function_name"],
                package,
                int(record.get("gateway_port") or 0),
                credentials=credentials,
            )
            started.append((gateway_pid, GATEWAY_MARKER, "local Function URL"))
        record.update(
            {
                "gateway_pid": gateway_pid,
                "gateway_port": info["port"],
                "function_name": outputs["function_name"],
                "package": str(package),
                "package_sha256": package_sha,
            }
        )
        write_record(layout, record)

        publisher = outputs.get("publisher_function_name")
        runner_pid = record.get("stream_runner_pid")
        if publisher:  # events out: the publisher on RIE, fed by the streams as its mappings say
            fingerprint = function_fingerprint(endpoint, publisher, credentials)
            alive = running and pid_alive(runner_pid) and process_is_ours(runner_pid, STREAM_RUNNER_MARKER)
            if alive and record.get("publisher_fingerprint") == fingerprint:
                say(f"      {publisher}: unchanged, its stream poller stays (pid {runner_pid})")
            else:
                if alive:
                    stop_process(runner_pid, STREAM_RUNNER_MARKER, "stream poller (publisher changed)")
                say(f"      {publisher}: on RIE + awslambdaric, fed by the tables' streams (stream poller)")
                runner_pid = start_stream_runner(layout, endpoint, publisher, package, credentials)
                started.append((runner_pid, STREAM_RUNNER_MARKER, "stream poller"))
            record.update({"stream_runner_pid": runner_pid, "publisher_fingerprint": fingerprint})
            write_record(layout, record)

        say(f"[5/5] Writing {layout.rel(layout.local_env)} and {layout.rel(layout.state_json)}")
        values = {
            "FUNCTION_URL": info["url"],
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": REGION,
            "TABLE_NAME": outputs["table_name"],
            **provider_secrets,
            "EMULATOR_PID": str(record["emulator_pid"]),
            "GATEWAY_PID": str(gateway_pid),
            "FUNCTION_NAME": outputs["function_name"],
            # For `set -a; . build/local.env` followed by aws/boto3 commands: the
            # harness user's key (the emulator refuses unknown keys).
            "AWS_DEFAULT_REGION": REGION,
            **credentials.env(),
            "ENV_SUFFIX": suffix,
        }
        if outputs.get("payments_table_name"):
            values["PAYMENTS_TABLE_NAME"] = outputs["payments_table_name"]
        if outputs.get("events_queue_url"):
            values["EVENTS_QUEUE_URL"] = outputs["events_queue_url"]
            values["EVENT_BUS_NAME"] = outputs.get("event_bus_name") or ""  # empty: the bus is off
        if publisher:
            values["STREAM_RUNNER_PID"] = str(runner_pid)
        if parameters.get("standard"):
            values["WEBHOOK_SECRET_PARAM"] = parameters["standard"]
        for provider, name in (("stripe", "STRIPE_SECRET_PARAM"), ("adyen", "ADYEN_HMAC_KEY_PARAM")):
            if parameters.get(provider):
                values[name] = parameters[provider]
        write_env_file(layout.local_env, values)
    except BaseException:
        if started:
            say("`up` failed: stopping the processes it started (logs stay in " + layout.rel(layout.logs) + ")")
            for pid, marker, name in reversed(started):
                stop_process(pid, marker, name)
            if any(marker == EMULATOR_MARKER for _, marker, _ in started):
                layout.record.unlink(missing_ok=True)
                forget_state(layout)
            else:
                record.pop("gateway_pid", None)
                record.pop("stream_runner_pid", None)
                write_record(layout, record)
        raise

    say("")
    say(f"The stack is up (environment {suffix}):")
    say(
        f"  Function URL   {info['url']}  -> {outputs['function_name']}"
        f" (max {info['max_workers']} concurrent, timeout {info['timeout_seconds']}s)"
    )
    say(f"  Runtime        {info.get('runtime', 'aws-lambda-rie + awslambdaric')}, as role {info.get('role_arn', '?')}")
    say(f"  AWS emulator   {endpoint}  (moto, pid {record['emulator_pid']}, IAM enforced)")
    say(f"  Table          {outputs['table_name']}")
    if values.get("EVENTS_QUEUE_URL"):
        say(f"  Events out     {values['EVENTS_QUEUE_URL']}  (python -m webhook_cli.consume)")
        publisher_log = layout.rel(layout.logs / "publisher.log")
        say(f"                 {outputs['publisher_function_name']} fed by the streams; log {publisher_log}")
    for provider, parameter in sorted(parameters.items()):
        where = f"{PROVIDER_SECRET_KEYS[provider]} in {layout.rel(layout.local_env)}"
        say(f"  Secret         {provider}: SSM {parameter}, {where}")
    say(f"  Logs           {layout.rel(layout.logs)}/ (function.log is the function's CloudWatch stand-in)")
    say("  Stop           make down")
    return values


# --------------------------------------------------------------------------- down


def emulator_leftovers(endpoint: str, credentials: iam.Credentials | None) -> list[str]:
    """What the emulator still holds after a destroy (a stack of its own: anything counts)."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, **boto3_kwargs(endpoint, credentials))

    found = [f"function {f['FunctionName']}" for f in client("lambda").list_functions()["Functions"]]
    found += [f"table {t}" for t in client("dynamodb").list_tables()["TableNames"]]
    found += [f"parameter {p['Name']}" for p in client("ssm").describe_parameters()["Parameters"]]
    found += [f"log group {g['logGroupName']}" for g in client("logs").describe_log_groups()["logGroups"]]
    found += [f"role {r['RoleName']}" for r in client("iam").list_roles()["Roles"]]
    found += [f"user {u['UserName']}" for u in client("iam").list_users()["Users"] if u["UserName"] != iam.HARNESS_USER]
    found += [f"queue {url.rsplit('/', 1)[-1]}" for url in client("sqs").list_queues().get("QueueUrls", [])]
    found += [f"alarm {a['AlarmName']}" for a in client("cloudwatch").describe_alarms()["MetricAlarms"]]
    kms = client("kms")
    # moto creates the AWS-managed keys (alias/aws/dynamodb, ...) lazily and reports them
    # as customer keys; on AWS they belong to the account, not to the stack.
    aws_managed = {
        alias.get("TargetKeyId")
        for alias in kms.list_aliases()["Aliases"]
        if alias["AliasName"].startswith("alias/aws/")
    }
    for key in kms.list_keys()["Keys"]:
        if key["KeyId"] in aws_managed:
            continue
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if metadata.get("KeyManager") == "CUSTOMER" and metadata["KeyState"] != "PendingDeletion":
            found.append(f"KMS key {key['KeyId']} ({metadata['KeyState']})")
    return found


def destroy(layout: Layout, endpoint: str, suffix: str, credentials: iam.Credentials | None, verbose: bool) -> bool:
    """terraform destroy, then prove it: empty state and nothing left in the emulator."""
    with Terraform(layout, endpoint, credentials, verbose) as terraform:
        before = terraform.state_resources()
        say(f"[1/2] terraform destroy against the emulator ({len(before)} resources in the state)")
        try:
            terraform.run("destroy", "-auto-approve", "-input=false", "-no-color", f"-var=environment_suffix={suffix}")
            left = terraform.state_resources()
        except StackError as exc:
            say(f"      {exc}")
            return False
    if left:
        say(f"      NOT destroyed: {', '.join(left)}")
        return False
    say(f"      every resource was destroyed ({len(before)} -> 0 in the state)")
    leftovers = emulator_leftovers(endpoint, credentials)
    if leftovers:
        say(f"      but the emulator still holds: {', '.join(leftovers)}")
        return False
    say("      and the emulator holds no function, table, queue, alarm, parameter, log group or role;")
    say("      the KMS key is pending deletion (its 7-30 day waiting period, as on AWS)")
    return True


def down(layout: Layout, verbose: bool = False) -> bool:
    """Destroy, stop, clean. True when the destroy succeeded (or there was nothing to destroy)."""
    record = read_record(layout)
    env_values = local_env(layout)
    if not record and not env_values:
        say("Nothing is up (no build/run/stack.json or build/local.env): nothing to do.")
        return True
    emulator_pid = record.get("emulator_pid") or int(env_values.get("EMULATOR_PID") or 0)
    gateway_pid = record.get("gateway_pid") or int(env_values.get("GATEWAY_PID") or 0)
    runner_pid = record.get("stream_runner_pid") or int(env_values.get("STREAM_RUNNER_PID") or 0)
    port = record.get("emulator_port")
    if not port:
        match = re.search(r":(\d+)$", env_values.get("AWS_ENDPOINT_URL", ""))
        port = int(match.group(1)) if match else None
    destroyed = True
    try:
        stop_process(runner_pid, STREAM_RUNNER_MARKER, "stream poller")  # first: no polling of what is destroyed
        emulator_up = pid_alive(emulator_pid) and emulator_answers(port)
        if emulator_up and (layout.stack_dir / "terraform.tfstate").exists():
            suffix = record.get("environment_suffix") or os.environ.get("ENV_SUFFIX") or "dev"
            credentials = record_credentials(record) or (
                iam.Credentials.from_env(env_values) if env_values.get("AWS_ACCESS_KEY_ID") else None
            )
            destroyed = destroy(layout, f"http://127.0.0.1:{port}", suffix, credentials, verbose)
        elif emulator_up:
            say("[1/2] No Terraform state: nothing was applied, so there is nothing to destroy.")
        else:
            say("[1/2] The emulator is not running: nothing left to destroy (it keeps everything in memory).")
    finally:
        say("[2/2] Stopping the processes `up` started")
        stop_process(runner_pid, STREAM_RUNNER_MARKER, "stream poller")  # if the destroy failed before
        stop_process(gateway_pid, GATEWAY_MARKER, "local Function URL")
        stop_process(emulator_pid, EMULATOR_MARKER, "emulator")
        forget_state(layout)
        for path in (layout.local_env, layout.record, layout.gateway_ready, layout.stream_runner_ready):
            path.unlink(missing_ok=True)
        say(f"      removed {layout.rel(layout.local_env)}")
    return destroyed


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local_stack", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--environment-suffix", default=os.environ.get("ENV_SUFFIX") or "dev")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show Terraform's whole output (it is always in build/logs/terraform.log)",
    )
    args = parser.parse_args(argv)
    layout = layout_from_env()
    try:
        if args.command == "up":
            up(layout, args.environment_suffix, args.verbose)
            return 0
        return 0 if down(layout, args.verbose) else 1
    except StackError as exc:
        say(f"\nerror: {exc}")
        return 1
    except KeyboardInterrupt:
        say("\ninterrupted")
        return 130
