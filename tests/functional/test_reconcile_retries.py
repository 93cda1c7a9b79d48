"""The reconciler's retries and failure reporting, end to end: the real urllib client against the
local fake of ``GET /v1/events`` (tests/stripe_api_fake.py), moto behind."""

from __future__ import annotations

import json
from typing import Any

import pytest

import reconcile
from tests.stripe_api_fake import CUT_OFF, FakeStripe, page
from webhook.reconcile.client import StripeAuthError, StripeError

from .test_reconcile import API_KEY, TX, text
from .test_reconcile import stripe as stripe  # the fake's fixture


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept


def test_429_with_retry_after_then_success(
    aws: Any, stripe: FakeStripe, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_API_VERSION", "2024-06-20")
    limited = '{"error": {"type": "rate_limit_error"}}'
    stripe.pages = [(429, limited, {"Retry-After": "7"}), (200, page(text("evt_429")))]
    assert reconcile.handler({}, None) == {"listed": 1, "stored": 1, "duplicates": 0, "ignored": 0, "refused": 0}
    assert sleeps == [7.0]  # Retry-After (7 s) wins over the first backoff step (1 s)
    assert stripe.queries[0] == stripe.queries[1]  # the same page asked again
    assert [h.get("stripe-version") for h in stripe.request_headers] == ["2024-06-20"] * 2
    assert {h["authorization"] for h in stripe.request_headers} == {f"Bearer {API_KEY}"}
    assert aws.get(TX, "evt_429")["receivedVia"] == {"S": "api"}


def test_5xx_backs_off_exponentially_then_succeeds(aws: Any, stripe: FakeStripe, sleeps: list[float]) -> None:
    stripe.pages = [(500, "{}"), (502, "{}"), (503, "{}"), (200, page(text("evt_5xx")))]
    assert reconcile.handler({}, None)["stored"] == 1
    assert sleeps == [1.0, 2.0, 4.0]
    assert "stripe-version" not in stripe.request_headers[0]


def test_a_cut_off_response_is_retried_like_a_network_error(aws: Any, stripe: FakeStripe, sleeps: list[float]) -> None:
    stripe.pages = [(CUT_OFF, page(text("evt_cut"))), (200, page(text("evt_cut")))]
    assert reconcile.handler({}, None) == {"listed": 1, "stored": 1, "duplicates": 0, "ignored": 0, "refused": 0}
    assert len(stripe.queries) == 2 and sleeps == [1.0]


def test_a_failed_run_logs_what_it_stored_and_why_without_the_key(
    aws: Any, stripe: FakeStripe, sleeps: list[float], capsys: Any
) -> None:
    stripe.pages = [(200, page(text("evt_before"), has_more=True))] + [(429, "{}", {"Retry-After": "2"})] * 4
    with pytest.raises(StripeError, match="after 4 attempts: HTTP 429"):
        reconcile.handler({}, None)
    assert sleeps == [2.0, 2.0, 4.0]  # Retry-After or the backoff step, whichever is longer; none after the last
    out = capsys.readouterr().out
    assert API_KEY not in out
    line = json.loads(out.strip().splitlines()[-1])
    assert line == {
        "outcome": "error",
        "error": "StripeError",
        "detail": "Stripe events list failed after 4 attempts: HTTP 429",
        "listed": 1,
        "stored": 1,
        "duplicates": 0,
        "ignored": 0,
        "refused": 0,
    }
    assert aws.get(TX, "evt_before")["receivedVia"] == {"S": "api"}


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_logged_clearly_without_the_key(
    aws: Any, stripe: FakeStripe, sleeps: list[float], capsys: Any, status: int
) -> None:
    # Stripe's 401 body names the key (masked); nothing of the body reaches the error or the log.
    body = json.dumps({"error": {"message": f"Invalid API Key provided: {API_KEY}", "type": "invalid_request_error"}})
    stripe.pages = [(status, body)]
    with pytest.raises(StripeAuthError) as info:
        reconcile.handler({}, None)
    out = capsys.readouterr().out
    assert API_KEY not in out and API_KEY not in str(info.value) and sleeps == []
    line = json.loads(out.strip().splitlines()[-1])
    assert (line["outcome"], line["error"], line["listed"]) == ("error", "StripeAuthError", 0)
    assert f"HTTP {status}" in line["detail"]
