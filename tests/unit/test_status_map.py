"""behaviour.md's "Payment status" status mapping, row by row."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook.status_map import RANK, STATUSES, map_status


def test_statuses_are_the_contracts_nine_words() -> None:
    assert STATUSES == (
        "unknown",
        "pending",
        "authorized",
        "succeeded",
        "failed",
        "canceled",
        "partially_refunded",
        "refunded",
        "disputed",
    )


def test_ranks_are_the_contracts() -> None:
    assert RANK == {
        "unknown": 0,
        "pending": 1,
        "authorized": 2,
        "succeeded": 3,
        "failed": 3,
        "canceled": 3,
        "partially_refunded": 4,
        "refunded": 5,
        "disputed": 6,
    }
    assert set(RANK) == set(STATUSES)


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("payment_intent.created", "pending"),
        ("payment_intent.succeeded", "succeeded"),
        ("charge.succeeded", "succeeded"),
        ("payment_intent.payment_failed", "failed"),
        ("payment_intent.canceled", "canceled"),
        ("charge.dispute.created", "disputed"),
        ("charge.refunded", "refunded"),  # amounts not given
        # anything else
        ("payment_intent.processing", "unknown"),
        ("payment_intent.requires_action", "unknown"),
        ("charge.captured", "unknown"),
        ("charge.failed", "unknown"),
        ("charge.dispute.closed", "unknown"),
        ("charge.refund.updated", "unknown"),
        ("customer.created", "unknown"),
        ("PAYMENT_INTENT.SUCCEEDED", "unknown"),
        ("succeeded", "unknown"),
        ("", "unknown"),
    ],
)
def test_stripe(event_type: str, status: str) -> None:
    assert map_status("stripe", event_type) == status


@pytest.mark.parametrize(
    ("amount", "refunded", "status"),
    [
        (1999, 1999, "refunded"),
        (1999, 1998, "partially_refunded"),
        (1999, 1, "partially_refunded"),
        (1999, 0, "partially_refunded"),
        (1999, 2000, "refunded"),
        (0, 0, "refunded"),
        (None, 500, "refunded"),
        (1999, None, "refunded"),
    ],
)
def test_stripe_charge_refunded_is_partial_only_below_the_amount(
    amount: int | None, refunded: int | None, status: str
) -> None:
    assert map_status("stripe", "charge.refunded", amount_minor=amount, amount_refunded_minor=refunded) == status


def test_stripe_amounts_matter_only_for_refunds() -> None:
    assert map_status("stripe", "charge.succeeded", amount_minor=1999, amount_refunded_minor=1) == "succeeded"
    assert map_status("stripe", "charge.dispute.created", amount_minor=1999, amount_refunded_minor=1) == "disputed"


@pytest.mark.parametrize("success", [True, False, None])
def test_stripe_ignores_success(success: bool | None) -> None:
    assert map_status("stripe", "payment_intent.succeeded", success=success) == "succeeded"


@pytest.mark.parametrize(
    ("code", "success", "status"),
    [
        ("AUTHORISATION", True, "authorized"),
        ("AUTHORISATION", False, "failed"),
        ("CAPTURE", True, "succeeded"),
        ("CANCELLATION", True, "canceled"),
        ("REFUND", True, "refunded"),
        ("CHARGEBACK", True, "disputed"),
        # success false -> unknown, except AUTHORISATION
        ("CAPTURE", False, "unknown"),
        ("CANCELLATION", False, "unknown"),
        ("REFUND", False, "unknown"),
        ("CHARGEBACK", False, "unknown"),
        # any other code
        ("CAPTURE_FAILED", True, "unknown"),
        ("REFUND_FAILED", True, "unknown"),
        ("REFUNDED_REVERSED", True, "unknown"),
        ("CANCEL_OR_REFUND", True, "unknown"),
        ("CHARGEBACK_REVERSED", True, "unknown"),
        ("NOTIFICATION_OF_CHARGEBACK", True, "unknown"),
        ("REPORT_AVAILABLE", True, "unknown"),
        ("authorisation", True, "unknown"),
        ("", True, "unknown"),
        ("", False, "unknown"),
        # success absent: nothing is known
        ("AUTHORISATION", None, "unknown"),
        ("CAPTURE", None, "unknown"),
    ],
)
def test_adyen(code: str, success: bool | None, status: str) -> None:
    assert map_status("adyen", code, success=success) == status


@pytest.mark.parametrize("status", STATUSES)
def test_standard_keeps_the_nine_words(status: str) -> None:
    assert map_status("standard", status) == status


@pytest.mark.parametrize(
    "status", ["Succeeded", "SUCCEEDED", " succeeded", "succeeded ", "paid", "payment_intent.succeeded", "CAPTURE", ""]
)
def test_standard_maps_anything_else_to_unknown(status: str) -> None:
    assert map_status("standard", status) == "unknown"


@given(
    scheme=st.sampled_from(["standard", "stripe", "adyen"]),
    provider_status=st.text(max_size=40),
    success=st.sampled_from([True, False, None]),
    amount=st.none() | st.integers(),
    refunded=st.none() | st.integers(),
)
def test_every_result_is_one_of_the_statuses(
    scheme: str, provider_status: str, success: bool | None, amount: int | None, refunded: int | None
) -> None:
    status = map_status(scheme, provider_status, success=success, amount_minor=amount, amount_refunded_minor=refunded)
    assert status in STATUSES


@pytest.mark.parametrize("scheme", ["", "Stripe", "paypal", "unknown"])
def test_unknown_scheme_is_a_programming_error(scheme: str) -> None:
    with pytest.raises(ValueError, match="scheme"):
        map_status(scheme, "succeeded")
