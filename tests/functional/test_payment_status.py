"""The payment item on a real DynamoDB emulation (moto, in-process): order-independent, healing.

behaviour.md "Payment status": the item always holds the event greatest by (known, event time, rank,
eventId), whatever the order, duplication or concurrency of the deliveries.  The
property test draws any set of one payment's events (statuses of every provider's
table, equal timestamps often), applies a permutation of it with duplicates through
:class:`DynamoPaymentStore` and compares the stored item with the maximum by the rule.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_stack.emulator.fixtures import create_payments_table
from webhook.errors import WebhookError
from webhook.payments import DynamoPaymentStore, PaymentEvent
from webhook.status_map import RANK, map_status

from .conftest import MotoAccount

PAYMENTS_TABLE = "webhook-payments-functest"
UPDATED_AT = "2026-12-01T12:00:00.000Z"


class Payments:
    def __init__(self, ddb: Any) -> None:
        self.ddb = ddb
        self.store = DynamoPaymentStore(lambda: ddb, PAYMENTS_TABLE)

    def get(self, transaction_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.ddb.get_item(
            TableName=PAYMENTS_TABLE, Key={"transactionId": {"S": transaction_id}}, ConsistentRead=True
        ).get("Item")
        return item


@pytest.fixture(scope="module")
def payments(moto_account: MotoAccount) -> Iterator[Payments]:
    create_payments_table(moto_account.ddb, PAYMENTS_TABLE)
    yield Payments(moto_account.ddb)
    moto_account.ddb.delete_table(TableName=PAYMENTS_TABLE)


def new_txn() -> str:
    return f"pi_{uuid.uuid4().hex}"


def stripe(
    txn: str,
    event_id: str,
    event_type: str,
    created: str,
    *,
    amount: int = 1999,
    amount_refunded: int | None = None,
) -> PaymentEvent:
    return PaymentEvent(
        transaction_id=txn,
        event_id=event_id,
        status=map_status("stripe", event_type, amount_minor=amount, amount_refunded_minor=amount_refunded),
        provider_status=event_type,
        provider="stripe",
        amount=Decimal(amount) / 100,
        currency="USD",
        event_time=created,
    )


def adyen(txn: str, code: str, success: bool, event_date: str, psp: str = "8815329842815468") -> PaymentEvent:
    return PaymentEvent(
        transaction_id=txn,
        event_id=f"{code}:{psp}:{str(success).lower()}",
        status=map_status("adyen", code, success=success),
        provider_status=code,
        provider="adyen",
        amount=Decimal("10.00"),
        currency="EUR",
        event_time=event_date,
    )


def greatest(events: list[PaymentEvent]) -> PaymentEvent:
    """behaviour.md's "Payment status" rule, spelled out (independent of the order key)."""

    def rule(e: PaymentEvent) -> tuple[bool, datetime, int, str]:
        moment = datetime.strptime(e.event_time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return (e.status != "unknown", moment, RANK[e.status], e.event_id)

    return max(events, key=rule)


def apply_all(payments: Payments, events: list[PaymentEvent]) -> list[bool]:
    return [payments.store.apply(e, UPDATED_AT) for e in events]


# --- the contract's examples ---------------------------------------------------------------


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_stripe_created_and_succeeded_in_one_second_then_refunded(payments: Payments, order: tuple[int, ...]) -> None:
    txn = new_txn()
    events = [
        stripe(txn, "evt_3Created", "payment_intent.created", "2026-12-01T11:00:00.000Z"),
        stripe(txn, "evt_1Succeeded", "payment_intent.succeeded", "2026-12-01T11:00:00.000Z"),
        stripe(txn, "evt_2Refunded", "charge.refunded", "2026-12-01T11:05:00.000Z", amount_refunded=1999),
    ]
    apply_all(payments, [events[i] for i in order])
    item = payments.get(txn)
    assert item is not None
    assert item["status"] == {"S": "refunded"}
    assert item["providerStatus"] == {"S": "charge.refunded"}
    assert item["lastEventId"] == {"S": "evt_2Refunded"}
    assert item["eventTime"] == {"S": "2026-12-01T11:05:00.000Z"}
    assert item == events[2].to_item(UPDATED_AT)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_stripe_created_and_succeeded_in_one_second_is_succeeded(payments: Payments, order: tuple[int, ...]) -> None:
    # The pending event's id sorts after the success's: rank, not eventId, decides.
    txn = new_txn()
    events = [
        stripe(txn, "evt_zzz", "payment_intent.created", "2026-12-01T11:00:00.000Z"),
        stripe(txn, "evt_aaa", "payment_intent.succeeded", "2026-12-01T11:00:00.000Z"),
    ]
    apply_all(payments, [events[i] for i in order])
    assert payments.get(txn) == events[1].to_item(UPDATED_AT)


def test_stripe_partial_refund(payments: Payments) -> None:
    txn = new_txn()
    events = [
        stripe(txn, "evt_r", "charge.refunded", "2026-12-01T11:05:00.000Z", amount_refunded=500),
        stripe(txn, "evt_s", "charge.succeeded", "2026-12-01T11:00:00.000Z"),
    ]
    assert apply_all(payments, events) == [True, False]
    item = payments.get(txn)
    assert item is not None and item["status"] == {"S": "partially_refunded"}


@pytest.mark.parametrize(
    "auth_time", ["2026-12-01T10:59:58.000Z", "2026-12-01T11:00:00.000Z"], ids=["earlier", "same-time"]
)
def test_adyen_capture_before_authorisation_is_succeeded(payments: Payments, auth_time: str) -> None:
    txn = new_txn()
    capture = adyen(txn, "CAPTURE", True, "2026-12-01T11:00:00.000Z", psp="9915329842815469")
    authorisation = adyen(txn, "AUTHORISATION", True, auth_time)
    assert apply_all(payments, [capture, authorisation]) == [True, False]
    item = payments.get(txn)
    assert item == capture.to_item(UPDATED_AT)
    assert item is not None and item["status"] == {"S": "succeeded"}


def test_unknown_event_never_replaces_a_known_status(payments: Payments) -> None:
    txn = new_txn()
    known = stripe(txn, "evt_ok", "payment_intent.succeeded", "2026-12-01T11:00:00.000Z")
    later_unknown = stripe(txn, "evt_zz", "payment_intent.processing", "2026-12-31T23:59:59.999Z")
    assert later_unknown.status == "unknown"
    assert apply_all(payments, [known, later_unknown]) == [True, False]
    assert payments.get(txn) == known.to_item(UPDATED_AT)


def test_unknown_event_is_kept_until_a_known_one_arrives(payments: Payments) -> None:
    txn = new_txn()
    unknown = adyen(txn, "REPORT_AVAILABLE", True, "2026-12-01T12:00:00.000Z")
    earlier_known = adyen(txn, "AUTHORISATION", False, "2026-12-01T11:00:00.000Z")
    assert apply_all(payments, [unknown]) == [True]
    item = payments.get(txn)
    assert item is not None and item["status"] == {"S": "unknown"}
    assert apply_all(payments, [earlier_known]) == [True]
    item = payments.get(txn)
    assert item is not None and item["status"] == {"S": "failed"}


def test_redelivery_heals_a_missing_payment_write(payments: Payments) -> None:
    """The event was stored, the payment write failed (5xx); the provider's retry repairs it."""
    txn = new_txn()
    pending = stripe(txn, "evt_p", "payment_intent.created", "2026-12-01T11:00:00.000Z")
    succeeded = stripe(txn, "evt_s", "payment_intent.succeeded", "2026-12-01T11:00:01.000Z")
    assert payments.store.apply(pending, "2026-12-01T11:00:00.100Z") is True

    class Throttled:
        def put_item(self, **kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem")

    with pytest.raises(WebhookError) as info:
        DynamoPaymentStore(Throttled, PAYMENTS_TABLE).apply(succeeded, "2026-12-01T11:00:01.100Z")
    assert (info.value.status, info.value.code) == (503, "storage_unavailable")
    assert payments.get(txn) == pending.to_item("2026-12-01T11:00:00.100Z")  # the payment is behind

    assert payments.store.apply(succeeded, "2026-12-01T11:10:00.000Z") is True  # the retry
    assert payments.get(txn) == succeeded.to_item("2026-12-01T11:10:00.000Z")


def test_redelivery_of_the_current_event_changes_nothing(payments: Payments) -> None:
    txn = new_txn()
    succeeded = stripe(txn, "evt_s", "payment_intent.succeeded", "2026-12-01T11:00:01.000Z")
    assert payments.store.apply(succeeded, "2026-12-01T11:00:01.100Z") is True
    assert payments.store.apply(succeeded, "2026-12-01T11:30:00.000Z") is False
    assert payments.store.apply(replace(succeeded, amount=Decimal("99")), "2026-12-01T11:31:00.000Z") is False
    assert payments.get(txn) == succeeded.to_item("2026-12-01T11:00:01.100Z")  # updatedAt: the first write


def test_amount_is_stored_exactly(payments: Payments) -> None:
    txn = new_txn()
    event = replace(
        stripe(txn, "evt_big", "charge.succeeded", "2026-12-01T11:00:00.000Z"),
        amount=Decimal("12345678901234567890.123456789012345678"),
    )
    assert payments.store.apply(event, UPDATED_AT) is True
    item = payments.get(txn)
    assert item is not None and item["amount"] == {"N": "12345678901234567890.123456789012345678"}


def test_missing_table_is_a_500(moto_account: MotoAccount) -> None:
    store = DynamoPaymentStore(lambda: moto_account.ddb, "no-such-payments-table")
    with pytest.raises(WebhookError) as info:
        store.apply(stripe(new_txn(), "evt_1", "charge.succeeded", "2026-12-01T11:00:00.000Z"), UPDATED_AT)
    assert (info.value.status, info.value.code, info.value.detail) == (
        500,
        "storage_error",
        "ResourceNotFoundException",
    )
    assert "no-such-payments-table" not in info.value.message


# --- the property: any permutation, any duplicates -> the maximum ------------------------

TIMES = [
    "2026-12-01T11:00:00.000Z",
    "2026-12-01T11:00:00.001Z",
    "2026-12-01T11:00:01.000Z",
    "2026-12-02T09:30:00.000Z",
]
STRIPE_TYPES = [
    "payment_intent.created",
    "payment_intent.succeeded",
    "charge.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "charge.dispute.created",
    "payment_intent.processing",
]
ADYEN_CODES = ["AUTHORISATION", "CAPTURE", "CANCELLATION", "REFUND", "CHARGEBACK", "CAPTURE_FAILED"]
STANDARD_STATUSES = ["pending", "authorized", "succeeded", "failed", "refunded", "disputed", "unknown", "paid"]
EVENT_IDS = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8) | st.text(
    alphabet="#$!\x00~ é\U0001f4b3_-.:aZ09", min_size=1, max_size=4
)


@st.composite
def one_event(draw: st.DrawFn, txn: str, event_id: str) -> PaymentEvent:
    scheme = draw(st.sampled_from(["stripe", "adyen", "standard"]))
    success: bool | None = None
    refunded: int | None = None
    if scheme == "stripe":
        provider_status = draw(st.sampled_from(STRIPE_TYPES))
        refunded = draw(st.none() | st.integers(0, 1999))
    elif scheme == "adyen":
        provider_status = draw(st.sampled_from(ADYEN_CODES))
        success = draw(st.booleans())
    else:
        provider_status = draw(st.sampled_from(STANDARD_STATUSES))
    return PaymentEvent(
        transaction_id=txn,
        event_id=event_id,
        status=map_status(scheme, provider_status, success=success, amount_minor=1999, amount_refunded_minor=refunded),
        provider_status=provider_status,
        provider=scheme,
        amount=draw(st.decimals(min_value=-1000, max_value=1000, places=2)),
        currency=draw(st.sampled_from(["USD", "EUR"])),
        event_time=draw(st.sampled_from(TIMES)),
    )


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[PaymentEvent], list[PaymentEvent]]:
    """One payment's events (distinct ids) and a delivery order: a permutation plus duplicates."""
    txn = new_txn()
    ids = draw(st.lists(EVENT_IDS, min_size=1, max_size=6, unique=True))
    events = [draw(one_event(txn, event_id)) for event_id in ids]
    order = list(draw(st.permutations(events)))
    for duplicate in draw(st.lists(st.sampled_from(events), max_size=4)):
        order.insert(draw(st.integers(0, len(order))), duplicate)
    return events, order


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries())
def test_any_delivery_order_ends_in_the_greatest_event(
    payments: Payments, case: tuple[list[PaymentEvent], list[PaymentEvent]]
) -> None:
    events, order = case
    results = apply_all(payments, order)
    winner = greatest(events)
    assert payments.get(winner.transaction_id) == winner.to_item(UPDATED_AT)
    # The winner is written exactly once: its duplicates and everything after it are refused.
    assert sum(ok for ok, e in zip(results, order, strict=True) if e == winner) == 1
    assert not any(results[order.index(winner) + 1 :])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries(), st.randoms(use_true_random=False))
def test_two_delivery_orders_end_in_identical_items(
    payments: Payments, case: tuple[list[PaymentEvent], list[PaymentEvent]], rnd: Any
) -> None:
    events, order = case
    other_txn = new_txn()
    other_order = [replace(e, transaction_id=other_txn) for e in order]
    rnd.shuffle(other_order)
    apply_all(payments, order)
    apply_all(payments, other_order)
    first = payments.get(events[0].transaction_id)
    second = payments.get(other_txn)
    assert first is not None and second is not None
    assert first.pop("transactionId") == {"S": events[0].transaction_id}
    assert second.pop("transactionId") == {"S": other_txn}
    assert first == second
