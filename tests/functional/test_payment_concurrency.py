"""Concurrent deliveries of one payment's events end in the same item as any sequential order.

Real DynamoDB evaluates a PutItem's condition and writes atomically.  moto's
in-process backend does not (check and write can interleave between threads),
so ``atomic_moto_writes`` serialises moto's ``DynamoDBBackend.put_item`` — the
condition is evaluated inside it — as tests/functional/test_concurrency.py does
(``local_stack/emulator/atomic.py`` does the same for the moto server: every DynamoDB
request runs under one lock).  The store holds no lock of its own: only the
condition ``orderKey < :key`` protects the item, and these tests fail without it.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from webhook.payments import PaymentEvent

from .test_payment_status import UPDATED_AT, Payments, adyen, greatest, new_txn, payments, stripe

__all__ = ["payments"]  # the module-scoped fixture, shared with test_payment_status

ROUNDS = 6


@pytest.fixture
def wide_race_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen moto's gap between reading the stored item and writing the new one.

    moto's put_item reads the current item, then parses and evaluates the
    condition, then writes.  A short sleep in the parse lets other threads run
    in that gap, so a write that is not atomic would be caught every time
    rather than by luck (without the lock below these tests fail).
    """
    from moto.dynamodb.models import table

    parse = table.get_filter_expression

    def slow_parse(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.002)
        return parse(*args, **kwargs)

    monkeypatch.setattr(table, "get_filter_expression", slow_parse)


@pytest.fixture
def atomic_moto_writes(monkeypatch: pytest.MonkeyPatch, wide_race_window: None) -> Iterator[None]:
    """Real DynamoDB's atomic conditional write, restored on moto's in-process backend."""
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.put_item
    lock = threading.Lock()

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads very often, so the writes really interleave
    yield
    sys.setswitchinterval(previous)


def one_payment(txn: str) -> list[PaymentEvent]:
    """Stripe-style and Adyen-style events of one payment, equal timestamps included."""
    return [
        stripe(txn, "evt_created", "payment_intent.created", "2026-12-01T11:00:00.000Z"),
        stripe(txn, "evt_succeeded", "payment_intent.succeeded", "2026-12-01T11:00:00.000Z"),
        stripe(txn, "evt_charge", "charge.succeeded", "2026-12-01T11:00:00.000Z"),
        stripe(txn, "evt_partial", "charge.refunded", "2026-12-01T11:03:00.000Z", amount_refunded=500),
        stripe(txn, "evt_refund_a", "charge.refunded", "2026-12-01T11:05:00.000Z", amount_refunded=1999),
        stripe(txn, "evt_refund_b", "charge.refunded", "2026-12-01T11:05:00.000Z", amount_refunded=1999),
        stripe(txn, "evt_later", "payment_intent.processing", "2026-12-02T00:00:00.000Z"),  # unknown
        adyen(txn, "AUTHORISATION", True, "2026-12-01T11:04:59.999Z"),
        adyen(txn, "CAPTURE", True, "2026-12-01T11:05:00.000Z"),
        adyen(txn, "CHARGEBACK", False, "2026-12-03T00:00:00.000Z"),  # unknown
    ]


def apply_concurrently(payments: Payments, deliveries: list[PaymentEvent]) -> list[bool]:
    barrier = threading.Barrier(len(deliveries))

    def one(event: PaymentEvent) -> bool:
        barrier.wait()
        return payments.store.apply(event, UPDATED_AT)

    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        return list(pool.map(one, deliveries))


@pytest.mark.usefixtures("atomic_moto_writes")
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_deliveries_end_in_the_greatest_event(payments: Payments, round_: int) -> None:
    txn = new_txn()
    events = one_payment(txn)
    winner = greatest(events)
    assert winner.event_id == "evt_refund_b" and winner.status == "refunded"
    # Every event delivered twice, the winner three times, in a different order each round.
    deliveries = events * 2 + [winner]
    random.Random(round_).shuffle(deliveries)
    results = apply_concurrently(payments, deliveries)
    assert payments.get(txn) == winner.to_item(UPDATED_AT)
    # The conditional write lets exactly one of the winner's deliveries through.
    assert sum(ok for ok, e in zip(results, deliveries, strict=True) if e == winner) == 1


@pytest.mark.usefixtures("atomic_moto_writes")
def test_concurrent_first_deliveries_create_the_item_once(payments: Payments) -> None:
    """Many threads race to create an absent item: attribute_not_exists lets one in, the rest compare."""
    txn = new_txn()
    same = stripe(txn, "evt_only", "payment_intent.succeeded", "2026-12-01T11:00:00.000Z")
    results = apply_concurrently(payments, [same] * 12)
    assert sorted(results) == [False] * 11 + [True]
    assert payments.get(txn) == same.to_item(UPDATED_AT)
