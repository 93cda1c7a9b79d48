"""Events out, end to end, as `make up` runs it: deliveries out of order through the local
Function URL -> the tables' streams -> the publisher on AWS's Lambda runtime, fed by the
stream poller -> the SQS FIFO queue, read with webhook_cli.consume.

Each payment's `payment.status_changed` messages arrive in the order the payments table
changed (docs/behaviour.md's order ("Payment status"), whatever the delivery order), and each stored event is
announced once by a `payment.event_received`, amounts exact as decimal strings.

Needs Terraform (or OpenTofu via TERRAFORM=tofu) with the providers available, and
aws-lambda-rie (`make test-e2e` prepares them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_stack import processes
from local_stack.envfile import read_env_file
from local_stack.layout import boto3_kwargs
from webhook_cli import consume, events
from webhook_cli import send as send_webhook

ROOT = Path(__file__).resolve().parents[2]
SUFFIX = "e2ev"
AMOUNT = "1234567890123456789.01"  # more digits than a binary float holds

pytestmark = [pytest.mark.timeout(900)]


def run_stack(build: Path, command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCAL_STACK_BUILD_DIR": str(build), "ENV_SUFFIX": SUFFIX}
    result = subprocess.run(
        [sys.executable, "-m", "local_stack", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    sys.stdout.write(f"\n$ python -m local_stack {command} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    build = tmp_path_factory.mktemp("events-build")
    values: dict[str, str] = {}
    try:
        result = run_stack(build, "up")
        if (build / "local.env").exists():
            values = read_env_file(build / "local.env")
        assert result.returncode == 0, result.stdout[-4000:]
        yield values
    finally:
        run_stack(build, "down")
        for key in ("EMULATOR_PID", "GATEWAY_PID", "STREAM_RUNNER_PID"):
            pid = int(values.get(key) or 0)
            if processes.pid_alive(pid):  # only if `down` failed: never leave our processes behind
                processes.stop_process(pid, "", f"leftover pid {pid}", print)


def deliver(env: dict[str, str], tx: str, status: str, at: str, event_id: str) -> None:
    body = events.build_payload(tx, AMOUNT, "usd", status, "e2e", event_time=at)
    answer = send_webhook.deliver(env["FUNCTION_URL"], body, [env["WEBHOOK_SECRET"]], event_id, 0)
    assert answer.status == 200, answer.body


def read_queue(env: dict[str, str], until: Any, timeout: float = 120) -> list[dict[str, Any]]:
    """Every CloudEvent from the FIFO queue (deduplicated by id, deleted) until ``until(events)``."""
    sqs = boto3.client("sqs", **boto3_kwargs(env["AWS_ENDPOINT_URL"], env))
    consumer = consume.Consumer(sqs, env["EVENTS_QUEUE_URL"])
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not until(found) and time.monotonic() < deadline:
        for received in consumer.receive(wait=2):
            assert received.event is not None, received.body
            found.append(received.event)
            consumer.delete(received)
    return found


def test_local_env_names_the_queue_and_the_bus(env: dict[str, str]):
    assert env["EVENTS_QUEUE_URL"].endswith(".fifo")
    assert "EVENT_BUS_NAME" in env  # the bus is on by default; empty when event_bus_enabled = false
    assert env["EVENT_BUS_NAME"]
    assert processes.pid_alive(int(env["STREAM_RUNNER_PID"]))


def test_out_of_order_deliveries_reach_the_fifo_queue_in_status_order(env: dict[str, str]):
    run = events.new_event_id()[4:10]
    a, b = f"tx-ev-a-{run}", f"tx-ev-b-{run}"
    # a: succeeded first, then the older pending (no change), then refunded, then a re-delivery
    deliver(env, a, "succeeded", "2026-12-01T11:01:00.000Z", f"msg_{a}_2")
    deliver(env, a, "pending", "2026-12-01T11:00:00.000Z", f"msg_{a}_1")
    deliver(env, b, "pending", "2026-12-01T12:00:00.000Z", f"msg_{b}_1")
    deliver(env, a, "refunded", "2026-12-01T11:02:00.000Z", f"msg_{a}_3")
    deliver(env, a, "refunded", "2026-12-01T11:02:00.000Z", f"msg_{a}_3")  # the provider retries
    deliver(env, b, "authorized", "2026-12-01T12:00:30.000Z", f"msg_{b}_2")

    def complete(found: list[dict[str, Any]]) -> bool:
        changes = [e for e in found if e["type"] == "payment.status_changed"]
        received = [e for e in found if e["type"] == "payment.event_received"]
        last = {e["subject"]: e["data"]["status"] for e in changes}
        return last.get(a) == "refunded" and last.get(b) == "authorized" and len(received) >= 5

    found = [e for e in read_queue(env, complete) if e["subject"] in (a, b)]
    changes = {
        tx: [
            (e["data"]["previousStatus"], e["data"]["status"])
            for e in found
            if e["type"] == "payment.status_changed" and e["subject"] == tx
        ]
        for tx in (a, b)
    }
    assert changes[a] == [(None, "succeeded"), ("succeeded", "refunded")]
    assert changes[b] == [(None, "pending"), ("pending", "authorized")]

    received = [e for e in found if e["type"] == "payment.event_received"]
    assert sorted(e["data"]["eventId"] for e in received) == sorted(
        [f"msg_{a}_1", f"msg_{a}_2", f"msg_{a}_3", f"msg_{b}_1", f"msg_{b}_2"]
    )  # one per stored event: the re-delivery stored nothing and announced nothing
    assert len({e["id"] for e in found}) == len(found)
    for event in found:
        assert event["specversion"] == "1.0"
        assert event["source"] == f"/payment-webhooks/{SUFFIX}"
        assert event["data"]["amount"] == AMOUNT  # a string, exactly as stored
        assert event["data"]["currency"] == "USD"
