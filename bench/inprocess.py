"""In-process measurements: warm latency against the emulator, and handler CPU with in-memory fakes.

Latency: every contender runs in this one process against one moto server
over loopback, interleaved round by round (the order rotates each round), so
machine noise hits all of them alike:

* ``ours``        ``handler.handler`` (lambda_src) on a signed 1 KB event
* ``bare_put``    the conditional PutItem our handler sends, built by hand,
                  on a boto3 client with the same timeouts and retries
* ``seed``        bench/peers/seed_handler.py (Decimal(str(float)), unconditional put_item)
* ``powertools``  bench/peers/powertools_handler.py (idempotency + event handler + parser)

Every answer is checked (200, first delivery): a benchmark of 401s would measure nothing.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import (
    PEERS,
    TABLE,
    FakeContext,
    function_url_event,
    log,
    median,
    payload,
    percentile,
    stdout_to_devnull,
)

CONTENDERS = ("ours", "bare_put", "seed", "powertools")


def load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def import_ours() -> ModuleType:
    # lambda_src is on PYTHONPATH (Makefile, pytest's pythonpath), as /var/task is on Lambda.
    import handler

    return handler


def install_lambda_root_logger() -> None:
    """Like the Lambda Python runtime: the root logger writes to stdout (the seed's logger.info lands there)."""
    root = logging.getLogger()
    if not any(getattr(h, "_bench", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler._bench = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(message)s"))
        root.addHandler(handler)


def _expect(name: str, response: dict[str, Any], accepted_status: str | None) -> None:
    status = response.get("statusCode")
    if status != 200:
        raise RuntimeError(f"{name} answered {status}: {str(response.get('body'))[:300]}")
    if accepted_status is not None:
        body = json.loads(response["body"])
        if body.get("status") != accepted_status:
            raise RuntimeError(f"{name} answered {body}")


class Contenders:
    """Builds one call per contender and round; only the call itself is timed."""

    def __init__(self, run_id: str) -> None:
        self.ours = import_ours()
        import boto3
        from botocore.config import Config

        from webhook import aws as ours_aws

        self.run_id = run_id
        self.seed = load_module("bench_seed_handler", PEERS / "seed_handler.py")
        self.powertools = load_module("bench_powertools_handler", PEERS / "powertools_handler.py")
        # The bare baseline: a client of its own, configured exactly like the handler's.
        self.client = boto3.client(
            "dynamodb",
            config=Config(
                connect_timeout=ours_aws.CONNECT_TIMEOUT_SECONDS,
                read_timeout=ours_aws.READ_TIMEOUT_SECONDS,
                retries=ours_aws.RETRIES,
            ),
        )
        self.context = FakeContext()

    def prepare(self, name: str, index: int) -> Callable[[], None]:
        tx = f"bench_{self.run_id}_{name}_{index}"
        webhook_id = f"msg_{self.run_id}_{name}_{index}"
        body = payload(tx)
        if name == "bare_put":
            item = {
                "transactionId": {"S": tx},
                "eventId": {"S": webhook_id},
                "amount": {"N": "1234.56"},
                "currency": {"S": "EUR"},
                "status": {"S": "succeeded"},
                "provider": {"S": "acme-pay"},
                "timestamp": {"S": "2026-01-31T12:00:00.250Z"},
                "processedAt": {"S": "2026-01-31T12:00:01.000Z"},
                "rawEvent": {"S": body.decode()},
            }
            client = self.client

            def bare() -> None:
                client.put_item(
                    TableName=TABLE,
                    Item=item,
                    ConditionExpression="attribute_not_exists(transactionId) AND attribute_not_exists(eventId)",
                )

            return bare
        event = function_url_event(body, webhook_id)
        handler, expected = {
            "ours": (self.ours.handler, "accepted"),
            "seed": (self.seed.handler, None),
            "powertools": (self.powertools.handler, "accepted"),
        }[name]
        context = self.context

        def call() -> None:
            _expect(name, handler(event, context), expected)

        return call


def measure_latency(rounds: int, warmup: int, run_id: str) -> dict[str, list[float]]:
    """Interleaved warm latencies in ms, ``rounds`` per contender."""
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    perf = time.perf_counter_ns
    with stdout_to_devnull():
        install_lambda_root_logger()
        contenders = Contenders(run_id)
        for index in range(warmup + rounds):
            shift = index % len(CONTENDERS)
            order = CONTENDERS[shift:] + CONTENDERS[:shift]
            calls = [(name, contenders.prepare(name, index)) for name in order]
            for name, call in calls:
                started = perf()
                call()
                elapsed = perf() - started
                if index >= warmup:
                    samples[name].append(elapsed / 1e6)
    return samples


def latency_summary(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "n": len(values),
            "p50_ms": median(values),
            "p90_ms": percentile(values, 90),
            "p99_ms": percentile(values, 99),
        }
        for name, values in samples.items()
    }


# --------------------------------------------------------------------------- CPU with fakes


class FakeSecrets:
    def __init__(self, keys: tuple[bytes, ...]) -> None:
        self._keys = keys

    def keys(self) -> tuple[bytes, ...]:
        return self._keys


class FakeStore:
    """In-memory ``DynamoTransactionStore.write``: the first write of (transactionId, eventId) wins."""

    def __init__(self) -> None:
        from webhook.storage import WriteResult  # the function's code is importable once import_ours() ran

        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self._result = WriteResult

    def write(self, event: Any) -> Any:
        key = (event.transaction.transaction_id, event.event_id)
        if key in self.items:
            return self._result(False, self.items[key]["processedAt"]["S"])
        self.items[key] = event.to_item()  # the item the real store would send
        return self._result(True, event.processed_at)


def measure_cpu(batches: int, batch_size: int, run_id: str) -> list[float]:
    """CPU microseconds per event through ``handler.handler`` with SSM and DynamoDB faked, one value per batch."""
    from bench.common import SECRET

    handler_module: Any = import_ours()  # its _service is swapped for one on fakes
    from webhook.service import Dependencies, WebhookService
    from webhook.signature import decode_secrets

    deps = Dependencies(secrets=FakeSecrets(decode_secrets(SECRET)), store=FakeStore())
    original = handler_module._service
    handler_module._service = WebhookService(lambda: deps)
    context = FakeContext()
    per_event: list[float] = []
    try:
        with stdout_to_devnull():
            for batch in range(batches + 1):  # batch 0 warms up
                events = [
                    function_url_event(payload(f"cpu_{run_id}_{batch}_{i}"), f"msg_cpu_{run_id}_{batch}_{i}")
                    for i in range(batch_size)
                ]
                handle = handler_module.handler
                started = time.process_time_ns()
                for event in events:
                    response = handle(event, context)
                spent = time.process_time_ns() - started
                _expect("ours (fakes)", response, "accepted")
                if batch:
                    per_event.append(spent / batch_size / 1000)
    finally:
        handler_module._service = original
    log(f"cpu: {len(deps.store.items)} events stored in the fake store")  # type: ignore[attr-defined]
    return per_event


def profile_cpu(batch_size: int, run_id: str, out: Path) -> str:
    """pyinstrument profile of the handler with fakes (text), for finding where the CPU goes."""
    from pyinstrument import Profiler

    from bench.common import SECRET

    import_ours()
    from webhook.service import Dependencies, WebhookService
    from webhook.signature import decode_secrets

    deps = Dependencies(secrets=FakeSecrets(decode_secrets(SECRET)), store=FakeStore())
    service = WebhookService(lambda: deps)
    context = FakeContext()
    events = [function_url_event(payload(f"prof_{run_id}_{i}"), f"msg_prof_{run_id}_{i}") for i in range(batch_size)]
    profiler = Profiler(interval=0.0001)
    with stdout_to_devnull():
        profiler.start()
        for event in events:
            service.handle(event, context)
        profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    out.write_text(text)
    return text
