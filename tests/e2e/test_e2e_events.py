"""Events out, end to end, as `make up` runs it: deliveries out of order through the local
Function URL -> the tables' streams -> the publisher on AWS's Lambda runtime, fed by the
stream poller -> the SQS FIFO queue, read with webhook_cli.consume.

Each payment's `payment.status_changed` messages arrive in the order the payments table
changed (docs/behaviour.md's order ("Payment status"), whatever the delivery order), and each stored event is
announced once by a `payment.event_received`, amounts exact as decimal strings.

The same stack (one `up` for the module: each costs minutes) also proves two things of
missed and unnoticed deliveries (issue 20):

* the signature-rejection alarm: Stripe deliveries signed with a wrong secret, sent to the
  local Function URL, write lines to the function's log (build/logs/function.log, the log
  group's stand-in); the metric filters and the alarm applied by Terraform (build/state.json)
  turn them into the data points and the verdict CloudWatch would (tests/cloudwatch_patterns.py,
  tests/cloudwatch_alarms.py);
* reconcile, then deliver: `python -m webhook_cli.reconcile` against a local fake of Stripe's
  `GET /v1/events` stores a never-delivered event (`receivedVia` "api") in the stack's
  tables; its later delivery to `/stripe` answers `duplicate` and stores nothing more.

Needs Terraform (or OpenTofu via TERRAFORM=tofu) with the providers available, and
aws-lambda-rie (`make test-e2e` prepares them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_stack import processes
from local_stack.envfile import read_env_file
from local_stack.layout import boto3_kwargs
from tests.cloudwatch_alarms import applied_resources, breaches, math_alarm_value
from tests.cloudwatch_patterns import Datapoint, MetricFilter, datapoints
from tests.stripe_api_fake import FakeStripe, page
from webhook_cli import consume, events, signing, transport
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
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack's build folder: local.env, state.json, logs/."""
    return tmp_path_factory.mktemp("events-build")


@pytest.fixture(scope="module")
def env(build: Path) -> Iterator[dict[str, str]]:
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


# --------------------------------------------------------------------------- the rejection alarm, on the stack


def applied_state(build: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((build / "state.json").read_text())
    return state


def stripe_delivery(secret: str, tx: str, event_id: str) -> signing.Delivery:
    body = events.stripe_event("payment_intent.succeeded", tx, 1999, "usd", event_id=event_id)
    return signing.stripe_delivery(body, [secret], int(time.time()))


class FunctionLog:
    """The function's log (its CloudWatch log group's stand-in), read from a mark on."""

    def __init__(self, build: Path) -> None:
        self.path = build / "logs" / "function.log"
        self.mark = self.path.stat().st_size

    def lines(self, invocations: int, timeout: float = 30) -> list[str]:
        """The lines written since the mark, once ``invocations`` REPORT lines are there (each closes one)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.path.open("rb") as handle:
                handle.seek(self.mark)
                lines = handle.read().decode("utf-8", "replace").splitlines()
            reports = sum(line.startswith("REPORT RequestId: ") for line in lines)
            if reports >= invocations or time.monotonic() > deadline:
                assert reports == invocations, f"{reports} REPORT lines for {invocations} requests"
                return lines


def send_all(env: dict[str, str], deliveries: list[tuple[signing.Delivery, int]]) -> None:
    for delivery, status in deliveries:
        answer = transport.post(env["FUNCTION_URL"], delivery)
        assert answer.status == status, answer.body


def rejection_verdicts(
    build: Path, lines: list[str], edit: Callable[[MetricFilter], MetricFilter] = lambda f: f
) -> tuple[list[Datapoint], dict[str, tuple[Any, bool]]]:
    """The applied filters' data points for ``lines`` (one period) and each provider's rejection alarm.

    ``edit`` changes each filter first (to show that a drifted one no longer raises the alarm)."""
    state = applied_state(build)
    filters = [
        edit(MetricFilter.from_planned(values))
        for values in applied_resources(state, "aws_cloudwatch_log_metric_filter").values()
    ]
    points = datapoints(filters, lines)
    verdicts: dict[str, tuple[Any, bool]] = {}
    for address, alarm in applied_resources(state, "aws_cloudwatch_metric_alarm").items():
        if ".signature_rejections[" in address:
            share = math_alarm_value(alarm, points)
            verdicts[alarm["alarm_name"]] = (share, breaches(alarm, share))
    return points, verdicts


def test_the_applied_filters_read_the_log_group_function_log_stands_for(env: dict[str, str], build: Path):
    state = applied_state(build)
    (log_group,) = [
        values["name"]
        for address, values in applied_resources(state, "aws_cloudwatch_log_group").items()
        if address.startswith("module.lambda.")
    ]
    assert log_group == f"/aws/lambda/{env['FUNCTION_NAME']}"
    filters = applied_resources(state, "aws_cloudwatch_log_metric_filter")
    assert len(filters) == 7 * 3  # seven metrics per enabled provider (the reconciler is off by default)
    assert {values["log_group_name"] for values in filters.values()} == {log_group}
    alarms = {values["alarm_name"] for values in applied_resources(state, "aws_cloudwatch_metric_alarm").values()}
    assert {name for name in alarms if name.endswith("-signature-rejections")} == {
        f"payment-webhook-{SUFFIX}-{provider}-signature-rejections" for provider in ("standard", "stripe", "adyen")
    }


def test_a_wrong_stripe_secret_raises_the_rejection_alarm_from_the_function_log(env: dict[str, str], build: Path):
    run = events.new_event_id()[4:10]
    wrong = signing.new_stripe_secret()  # a half-rotated secret: well formed, not the one in SSM
    assert wrong != env["STRIPE_SECRET"]
    log = FunctionLog(build)
    deliveries = [(stripe_delivery(wrong, f"pi_wrong_{run}_{n}", f"evt_wrong_{run}_{n}"), 401) for n in range(6)]
    deliveries += [
        (stripe_delivery(env["STRIPE_SECRET"], f"pi_good_{run}_{n}", f"evt_good_{run}_{n}"), 200) for n in range(2)
    ]
    send_all(env, deliveries)
    lines = log.lines(len(deliveries))
    points, verdicts = rejection_verdicts(build, lines)
    print("\nthe function's log lines of the run (build/logs/function.log):")
    for line in lines:
        if line.startswith("{"):
            print("  ", line)
    print("data points (one period, the applied metric filters):")
    for point in points:
        print("  ", point)
    alarms = applied_resources(applied_state(build), "aws_cloudwatch_metric_alarm")
    for name, (share, breaching) in sorted(verdicts.items()):
        (alarm,) = [a for a in alarms.values() if a["alarm_name"] == name]
        print(f"   {name}: share={share} threshold={alarm['threshold']} -> breaching={breaching}")

    namespace = f"PaymentWebhook/payment-webhook-{SUFFIX}"
    stripe = (("Provider", "stripe"),)
    published = {(p.namespace, p.metric_name, p.dimensions): (p.value, p.samples) for p in points}
    assert published == {
        (namespace, "Requests", stripe): (8, 8),
        (namespace, "SignatureRejections", stripe): (6, 6),
        (namespace, "Stored", stripe): (2, 2),
    }
    stripe_alarm = f"payment-webhook-{SUFFIX}-stripe-signature-rejections"
    assert verdicts == {
        stripe_alarm: (75, True),  # 6 of 8 requests, above 20 %
        # No request at all: the expression has no data point, and missing data is not breaching.
        f"payment-webhook-{SUFFIX}-standard-signature-rejections": (None, False),
        f"payment-webhook-{SUFFIX}-adyen-signature-rejections": (None, False),
    }
    # The same lines through filters that drifted from what the function writes: no alarm.
    drifts: list[Callable[[MetricFilter], MetricFilter]] = [
        lambda f: replace(f, pattern=f.pattern.replace("$.statusCode", "$.status")),
        lambda f: replace(f, metric_name=f.metric_name.replace("SignatureRejections", "SignatureRejection")),
    ]
    for drift in drifts:
        assert rejection_verdicts(build, lines, drift)[1][stripe_alarm] == (0, False)


def test_valid_stripe_deliveries_alone_do_not_raise_it(env: dict[str, str], build: Path):
    run = events.new_event_id()[4:10]
    log = FunctionLog(build)
    deliveries = [
        (stripe_delivery(env["STRIPE_SECRET"], f"pi_ok_{run}_{n}", f"evt_ok_{run}_{n}"), 200) for n in range(5)
    ]
    send_all(env, deliveries)
    points, verdicts = rejection_verdicts(build, log.lines(len(deliveries)))
    print("\ndata points of valid deliveries only:")
    for point in points:
        print("  ", point)
    print("  ", verdicts)
    published = {(p.metric_name, p.dimensions): p.value for p in points}
    assert published == {("Requests", (("Provider", "stripe"),)): 5, ("Stored", (("Provider", "stripe"),)): 5}
    # Enough requests to be counted (the alarm's minimum is 5), none rejected.
    assert verdicts[f"payment-webhook-{SUFFIX}-stripe-signature-rejections"] == (0, False)
    assert not any(breaching for _share, breaching in verdicts.values())


# --------------------------------------------------------------------------- reconcile, then deliver


API_KEY = "rk_test_e2eRestrictedEventsReadKey0123456789"


def test_a_reconciled_event_then_delivered_is_a_duplicate(env: dict[str, str], build: Path, tmp_path: Path):
    run = events.new_event_id()[4:10]
    tx, event_id = f"pi_rec_{run}", f"evt_rec_{run}"
    body = events.stripe_event("payment_intent.succeeded", tx, 4200, "eur", event_id=event_id)
    ddb = boto3.client("dynamodb", **boto3_kwargs(env["AWS_ENDPOINT_URL"], env))

    def items() -> list[dict[str, Any]]:
        found = ddb.query(
            TableName=env["TABLE_NAME"],
            KeyConditionExpression="transactionId = :t",
            ExpressionAttributeValues={":t": {"S": tx}},
            ConsistentRead=True,
        )
        return list(found["Items"])

    assert items() == []  # never delivered
    key_file = tmp_path / "stripe-api-key.txt"
    key_file.write_text(API_KEY + "\n")
    queue_url = applied_state(build)["values"]["outputs"]["quarantine_queue_url"]["value"]
    fake = FakeStripe(API_KEY)
    fake.pages = [(200, page(body.decode()))]
    with fake.serving():
        # The operator's command, as the README gives it: the function's code on the path, the
        # tables from the stack's local.env, a clean environment (nothing of this process's AWS).
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "webhook_cli.reconcile",
                "--api-key-file",
                str(key_file),
                "--env-file",
                str(build / "local.env"),
                "--api-base",
                fake.base,
                "--queue-url",
                queue_url,
            ],
            cwd=ROOT,
            env={"PATH": os.environ["PATH"], "PYTHONPATH": f"{ROOT / 'lambda_src'}{os.pathsep}{ROOT}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    print(f"\n$ python -m webhook_cli.reconcile -> {result.returncode}\n{result.stdout}{result.stderr}")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"listed": 1, "stored": 1, "duplicates": 0, "ignored": 0, "refused": 0}
    assert API_KEY not in result.stdout + result.stderr
    assert fake.errors == []
    (query,) = fake.queries
    assert query == fake.expected_query(int(dict(query)["created[gte]"]))

    (item,) = items()
    assert item["eventId"] == {"S": event_id} and item["receivedVia"] == {"S": "api"}
    assert item["amount"] == {"N": "42.00"} and item["provider"] == {"S": "stripe"}
    if env.get("PAYMENTS_TABLE_NAME"):
        payment = ddb.get_item(
            TableName=env["PAYMENTS_TABLE_NAME"], Key={"transactionId": {"S": tx}}, ConsistentRead=True
        )
        assert payment["Item"]["lastEventId"] == {"S": event_id}

    # Stripe delivers it after all (the endpoint is back): the same bytes, signed with the stack's secret.
    answer = transport.post(
        env["FUNCTION_URL"], signing.stripe_delivery(body, [env["STRIPE_SECRET"]], int(time.time()))
    )
    assert answer.status == 200, answer.body
    assert json.loads(answer.body) == {"status": "duplicate", "transactionId": tx, "eventId": event_id}
    assert items() == [item]  # one item, still the reconciler's
