"""The reconciler's real Stripe client against stripe-mock, Stripe's own mock server, which
validates every request against Stripe's OpenAPI spec (an unknown or ill-typed parameter,
or a missing key, is refused). Built by `make stripe-mock` (tools/go-tools.sh stripe-mock)."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.processes import free_port
from webhook.reconcile.client import StripeAuthError, StripeError, StripeEventsClient
from webhook.reconcile.page import parse_page
from webhook.reconcile.run import Reconciler, list_params
from webhook.storage import StoredEvent, WriteResult

BIN = Path.home() / ".cache" / "webhook-stack" / "bin" / "stripe-mock"


@pytest.fixture(scope="module")
def stripe_mock() -> Iterator[str]:
    binary = shutil.which("stripe-mock") or str(BIN)
    assert Path(binary).exists(), "stripe-mock is not built: run `make stripe-mock`"
    port = free_port()
    process = subprocess.Popen(
        [binary, "-http-addr", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base}/v1/events", timeout=1)
            except urllib.error.HTTPError:
                break  # answering (401 without a key)
            except OSError:
                assert time.monotonic() < deadline, "stripe-mock did not start"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_real_request_passes_stripe_openapi_validation(stripe_mock: str) -> None:
    client = StripeEventsClient("sk_test_123", api_base=stripe_mock, api_version="2024-06-20", attempts=1)
    page = parse_page(client.list_events(list_params(1_700_000_000, None)))
    assert page.events and page.events[0].event_id.startswith("evt_")
    following = parse_page(client.list_events(list_params(1_700_000_000, page.events[0].event_id)))
    assert following.events


def test_stripe_mock_refuses_what_stripe_would(stripe_mock: str) -> None:
    client = StripeEventsClient("sk_test_123", api_base=stripe_mock, attempts=1)
    with pytest.raises(StripeError, match="HTTP 400"):
        client.list_events([*list_params(1_700_000_000, None), ("no_such_parameter", "1")])
    with pytest.raises(StripeError, match="HTTP 400"):
        client.list_events([("delivery_success", "maybe")])
    with pytest.raises(StripeAuthError, match="HTTP 401"):
        StripeEventsClient("", api_base=stripe_mock, attempts=1).list_events(list_params(1_700_000_000, None))


def test_a_run_against_stripe_mock_maps_its_fixture_event(stripe_mock: str) -> None:
    stored: list[StoredEvent] = []

    class Store:
        def write(self, event: StoredEvent) -> WriteResult:
            stored.append(event)
            return WriteResult(True, event.processed_at)

    client = StripeEventsClient("sk_test_123", api_base=stripe_mock, attempts=1)
    counts = Reconciler(client, Store(), None, lookback_seconds=2_592_000).run()
    assert counts.listed >= 1 and counts.refused == 0
    assert counts.stored + counts.ignored == counts.listed
    assert all(event.received_via == "api" for event in stored)
