"""A local stack for the fault tests, and a webhook load driver.

Two ways to get the stack (emulator + local Function URL + the real function code):

* ``FAULTS_STACK=terraform`` (``make faults`` / ``make load``): ``python -m local_stack up``
  in a build directory of its own, exactly what ``make up`` runs (IAM enforced), then ``down``.
* default (``make test``): the same two processes (``local_stack.emulator.Emulator``,
  ``local_stack.gateway.launch.start_gateway``), with the function, table, queue, key and secret created
  through boto3 instead of Terraform, so the suite costs seconds, not the minutes a
  Terraform apply/destroy of the queue takes; that emulator does not enforce IAM (the
  function's role there has no policy). The Terraform side is covered by
  tests/terraform and tests/e2e.

Every process started here is stopped in the fixture's finalizer (after a SIGCONT,
in case a test failed while the emulator was frozen).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_stack import processes
from local_stack.emulator import SERVER_MODULE, Emulator
from local_stack.emulator.fixtures import create_function, create_transactions_table
from local_stack.envfile import read_env_file
from local_stack.gateway import launch
from local_stack.layout import Layout, boto3_kwargs
from webhook.raw_body import raw_event_text
from webhook.signature import decode_secrets, sign
from webhook_cli.signing import new_standard_secret

ROOT = Path(__file__).resolve().parents[2]

FUNCTION = "payment-webhook-faults"
FUNCTION_TIMEOUT = 15  # seconds, as the stack's default lambda_timeout_seconds


@dataclass
class LocalStack:
    url: str
    endpoint: str
    table: str
    queue_url: str
    secret: str
    secret_param: str
    emulator_pid: int
    gateway_pid: int
    timeout: int
    mode: str
    credentials: dict[str, str] = field(default_factory=dict)  # the harness user's when IAM is enforced

    def client(self, service: str) -> Any:
        return boto3.client(service, **boto3_kwargs(self.endpoint, self.credentials or None))

    def items(self) -> list[dict[str, Any]]:
        ddb = self.client("dynamodb")
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = ddb.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def lambda_zip() -> bytes:
    """lambda_src zipped like the archive_file data source (no __pycache__, no README)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((ROOT / "lambda_src").rglob("*.py")):
            if "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(ROOT / "lambda_src").as_posix())
    return buffer.getvalue()


def light_stack(build: Path, max_workers: int) -> Iterator[LocalStack]:
    layout = Layout(build)
    for directory in (layout.build, layout.logs, layout.run):
        directory.mkdir(parents=True, exist_ok=True)
    emulator = Emulator(layout.logs / "emulator.log").start()
    emulator_pid, endpoint = emulator.pid, emulator.endpoint
    gateway_pid = 0
    try:

        def client(service: str) -> Any:
            return boto3.client(service, **boto3_kwargs(endpoint))

        key_arn = client("kms").create_key(Description="faults CMK")["KeyMetadata"]["Arn"]
        table = f"{FUNCTION}-transactions"
        create_transactions_table(client("dynamodb"), table)
        queue_url = client("sqs").create_queue(
            QueueName=f"{FUNCTION}-quarantine",
            Attributes={
                "KmsMasterKeyId": key_arn,
                "MessageRetentionPeriod": "1209600",
                "MaximumMessageSize": "1048576",
            },
        )["QueueUrl"]
        parameter = f"/{FUNCTION}/webhook-signing-secrets"
        secret = new_standard_secret()
        client("ssm").put_parameter(Name=parameter, Value=secret, Type="SecureString", KeyId=key_arn)
        package = layout.build / "lambda-faults.zip"
        package.write_bytes(lambda_zip())
        create_function(
            client("iam"),
            client("lambda"),
            name=FUNCTION,
            package=package.read_bytes(),
            environment={
                "TABLE_NAME": table,
                "WEBHOOK_SECRET_PARAM": parameter,
                "SIGNATURE_TOLERANCE_SECONDS": "300",
                "QUARANTINE_QUEUE_URL": queue_url,
            },
            timeout=FUNCTION_TIMEOUT,
        )
        gateway_pid, info = launch.start_gateway(
            layout, endpoint, FUNCTION, package, extra_args=("--max-workers", str(max_workers))
        )
        yield LocalStack(
            info["url"],
            endpoint,
            table,
            queue_url,
            secret,
            parameter,
            emulator_pid,
            gateway_pid,
            FUNCTION_TIMEOUT,
            "light",
        )
    finally:
        with_cont(emulator_pid)
        processes.stop_process(gateway_pid, launch.MARKER, "gateway", print)
        processes.stop_process(emulator_pid, SERVER_MODULE, "emulator", print)
        assert not processes.pid_alive(gateway_pid) and not processes.pid_alive(emulator_pid)


def terraform_stack(build: Path) -> Iterator[LocalStack]:
    env = {**os.environ, "LOCAL_STACK_BUILD_DIR": str(build), "ENV_SUFFIX": "faults"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "local_stack", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
        )
        output = result.stdout[-3000:] + result.stderr
        sys.stdout.write(f"\n$ python -m local_stack {' '.join(args)} -> {result.returncode}\n{output}")
        return result

    values: dict[str, str] = {}
    try:
        assert run("up", "--environment-suffix", "faults").returncode == 0, "local_stack up failed"
        values = read_env_file(build / "local.env")
        function = values["FUNCTION_NAME"]
        endpoint = values["AWS_ENDPOINT_URL"]
        queue_url = boto3.client("sqs", **boto3_kwargs(endpoint, values)).get_queue_url(
            QueueName=f"{function}-quarantine"
        )["QueueUrl"]
        timeout = boto3.client("lambda", **boto3_kwargs(endpoint, values)).get_function_configuration(
            FunctionName=function
        )["Timeout"]
        yield LocalStack(
            values["FUNCTION_URL"],
            endpoint,
            values["TABLE_NAME"],
            queue_url,
            values["WEBHOOK_SECRET"],
            values["WEBHOOK_SECRET_PARAM"],
            int(values["EMULATOR_PID"]),
            int(values["GATEWAY_PID"]),
            int(timeout),
            "terraform",
            {key: values[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")},
        )
    finally:
        with_cont(int(values.get("EMULATOR_PID") or 0))
        run("down")
        for name, marker in (("GATEWAY_PID", launch.MARKER), ("EMULATOR_PID", SERVER_MODULE)):
            processes.stop_process(int(values.get(name) or 0), marker, name, print)


def with_cont(pid: int) -> None:
    if pid and processes.pid_alive(pid):
        os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    build = tmp_path_factory.mktemp("faults-stack")
    if os.environ.get("FAULTS_STACK") == "terraform":
        yield from terraform_stack(build)
    else:
        yield from light_stack(build, max_workers=int(os.environ.get("FAULTS_MAX_WORKERS", "8")))


# --------------------------------------------------------------------------- load driver


@dataclass(frozen=True)
class Event:
    event_id: str
    transaction_id: str
    body: bytes


@dataclass
class Answer:
    event: Event
    status: int  # 0: no HTTP answer at all (connection refused/reset, client timeout)
    outcome: str | None  # accepted | duplicate | error code
    sent: float
    received: float
    error: str | None = None

    @property
    def latency(self) -> float:
        return self.received - self.sent


def new_event(run: str, amount: str = "12.34") -> Event:
    """A new payment event; ``run`` prefixes its transactionId, so each test counts only its own items."""
    token = uuid.uuid4().hex[:16]
    body = json.dumps(
        {"transactionId": f"txn_{run}_{token}", "amount": amount, "currency": "EUR", "status": "succeeded"}
    ).encode()
    return Event(f"msg_{token}", f"txn_{run}_{token}", body)


@dataclass
class Driver:
    """Signs and POSTs events like a provider: a fresh timestamp and signature per delivery."""

    url: str
    secret: str
    client_timeout: float = 40.0
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliver(self, event: Event) -> Answer:
        key = decode_secrets(self.secret)[0]
        now = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": event.event_id,
            "webhook-timestamp": str(now),
            "webhook-signature": sign(key, event.event_id, now, event.body),
        }
        request = urllib.request.Request(self.url, data=event.body, headers=headers, method="POST")
        sent = time.monotonic()
        status, raw, error = 0, b"", None
        try:
            with urllib.request.urlopen(request, timeout=self.client_timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as http_error:
            status, raw = http_error.code, http_error.read()
        except OSError as exc:  # refused, reset, timed out: no HTTP answer
            error = type(exc).__name__
        received = time.monotonic()
        outcome = None
        try:
            body = json.loads(raw) if raw else {}
            outcome = body.get("status") or body.get("error", {}).get("code")
        except (ValueError, AttributeError):
            outcome = None
        answer = Answer(event, status, outcome, sent, received, error)
        with self.lock:
            self.answers.append(answer)
        return answer

    def run(self, events: list[Event], concurrency: int) -> list[Answer]:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(self.deliver, events))

    def redeliver_until_2xx(self, events: list[Event], concurrency: int, rounds: int = 8) -> list[Event]:
        """The provider's retries: re-send every event without a 2xx yet; returns those still failing."""
        pending = list({e.event_id: e for e in events}.values())
        for attempt in range(rounds):
            answers = self.run(pending, concurrency)
            pending = [a.event for a in answers if not 200 <= a.status < 300]
            if not pending:
                return []
            time.sleep(min(0.5 * 2**attempt, 4))
        return pending


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def exactly_once(stack_: LocalStack, run: str, events: list[Event], answers: list[Answer]) -> dict[str, int]:
    """lost: an event with no item; doubled: more items than events, or an event accepted twice."""
    unique = {e.event_id: e for e in events}
    items = [i for i in stack_.items() if i["transactionId"]["S"].startswith(f"txn_{run}_")]
    stored = Counter((i["transactionId"]["S"], i["eventId"]["S"]) for i in items)
    lost = sum(1 for e in unique.values() if stored[(e.transaction_id, e.event_id)] == 0)
    accepted = Counter(a.event.event_id for a in answers if a.status == 200 and a.outcome == "accepted")
    doubled = sum(1 for n in accepted.values() if n > 1) + max(0, len(items) - len(unique))
    for item in items:  # the bytes signed are the bytes stored
        event = unique.get(item["eventId"]["S"])
        assert event is not None, f"an item nobody sent: {item['eventId']}"
        assert raw_event_text(item).encode() == event.body
    return {"events": len(unique), "items": len(items), "lost": lost, "doubled": doubled}


def report(name: str, data: dict[str, Any]) -> None:
    """Printed (run with -s to see it) and written to build/faults/<name>.json."""
    out = ROOT / "build" / "faults"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    sys.stdout.write(f"\n[{name}] " + json.dumps(data) + "\n")
