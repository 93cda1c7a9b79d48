"""Idempotency under concurrent re-delivery: the conditional write lets exactly one through.

Real DynamoDB evaluates a condition and writes the item atomically.  moto's
in-process backend does not (its check and its write can interleave between
threads), so the ``atomic_moto_writes`` fixture serialises moto's PutItem to
restore that guarantee of the real service.  Our code holds no lock of its
own: it relies on the condition only, which is what these tests exercise (drop
the ConditionExpression and every thread gets "accepted").
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from webhook.raw_body import raw_event_text

THREADS = 8


@pytest.fixture
def atomic_moto_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.put_item
    lock = threading.Lock()

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)


@pytest.fixture
def busy_switching(atomic_moto_writes: None) -> Iterator[None]:
    """Switch threads very often, so the deliveries really interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def deliver_concurrently(invoke: Any, events: list[dict[str, Any]]) -> list[Any]:
    barrier = threading.Barrier(len(events))

    def one(event: dict[str, Any]) -> Any:
        barrier.wait()
        return invoke(event)

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(one, events))


@pytest.mark.usefixtures("busy_switching")
@pytest.mark.parametrize("round_", range(5))
def test_same_event_delivered_concurrently_is_written_once(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, round_: int
) -> None:
    # Warm the container first (clients, secret cache), as Lambda does one request at a time per container.
    assert invoke(make_event(make_payload(transactionId="warmup"), webhook_id="warmup")).status == 200
    body = make_payload(transactionId=f"txn_conc_{round_}", amount="1234567890.123456789")
    # Every re-delivery is signed afresh (new timestamp), as senders do on retry.
    events = [make_event(body, webhook_id=f"msg_conc_{round_}", timestamp=None) for _ in range(THREADS)]
    results = deliver_concurrently(invoke, events)
    assert {r.status for r in results} == {200}
    statuses = sorted(r.body["status"] for r in results)
    assert statuses == ["accepted"] + ["duplicate"] * (THREADS - 1)
    stored = [i for i in aws.items() if i["transactionId"]["S"] == f"txn_conc_{round_}"]
    assert len(stored) == 1
    assert raw_event_text(stored[0]) == body


@pytest.mark.usefixtures("busy_switching")
def test_different_events_delivered_concurrently_are_all_kept(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any
) -> None:
    assert invoke(make_event(make_payload(transactionId="warmup"), webhook_id="warmup")).status == 200
    events = [
        make_event(make_payload(transactionId="txn_multi", status=f"s{n}"), webhook_id=f"msg_multi_{n}")
        for n in range(THREADS)
    ]
    results = deliver_concurrently(invoke, events)
    assert [r.body["status"] for r in results] == ["accepted"] * THREADS
    stored = [i for i in aws.items() if i["transactionId"]["S"] == "txn_multi"]
    assert sorted(i["eventId"]["S"] for i in stored) == sorted(f"msg_multi_{n}" for n in range(THREADS))
