"""The bench's payload mix: provider events at their real sizes, unique per delivery, signed so the
function accepts them; and the cost model's traffic rules, the same for every peer."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from bench import cost, mix
from webhook_cli import signing

SECRETS = mix.Secrets(signing.new_standard_secret(), signing.new_stripe_secret(), signing.new_adyen_key())


@pytest.mark.parametrize(("name", "provider"), mix.MIX)
def test_every_delivery_keeps_the_sample_size_and_verifies(name: str, provider: str) -> None:
    first = mix.delivery(name, provider, "b0000001", SECRETS)
    second = mix.delivery(name, provider, "b0000002", SECRETS)
    assert len(first.body) == len(second.body) == mix.body_sizes()[name]
    assert first.body != second.body  # new ids: a new event each time
    if provider == "stripe":
        assert signing.stripe_signed_by([SECRETS.stripe], first.headers, first.body)
        assert json.loads(first.body)["id"] != json.loads(second.body)["id"]
    elif provider == "adyen":
        assert signing.adyen_signed_by([SECRETS.adyen], first.body)
        assert signing.adyen_event_id(first.body) != signing.adyen_event_id(second.body)
    else:
        assert signing.standard_signed_by([SECRETS.standard], first.headers, first.body)
    event = mix.function_url_event(first)
    assert event["rawPath"] == first.path and event["body"] == first.body.decode()


@pytest.mark.parametrize(("name", "provider"), mix.MIX)
def test_a_peer_gets_the_same_number_of_bytes(name: str, provider: str) -> None:
    sent = mix.peer_delivery(name, provider, "b0000003", SECRETS.standard)
    assert sent.path == "/" and len(sent.body) == mix.body_sizes()[name]
    assert signing.standard_signed_by([SECRETS.standard], sent.headers, sent.body)


def test_size_distribution_is_per_provider() -> None:
    sizes = mix.size_distribution()
    assert sizes["stripe"]["n"] == 4 and sizes["adyen"]["n"] == 2 and sizes["standard"]["n"] == 1
    assert sizes["mix"]["min"] <= sizes["mix"]["median"] <= sizes["mix"]["max"] == sizes["stripe"]["max"]


def test_same_length_ids() -> None:
    assert mix.same_length("evt_3QfixtureIntent0001", "b00000121") == "evt_0000000000b00000121"
    assert mix.same_length("QFQTPCQ8HXSKGK82", "b00000121") == "0000000B00000121"
    with pytest.raises(ValueError, match="longer"):
        mix.same_length("txn_1", "b00000121")


def _plan(**changes: Any) -> cost.Plan:
    return dataclasses.replace(cost.Plan(5.0, 150.0, 400.0, 2.0, 2.0, 3, True, 1500.0), **changes)


def test_refusals_and_redeliveries_follow_one_rule() -> None:
    prices = cost.load_prices()
    a = cost.ASSUMPTIONS
    one = cost.cost_per_million("x", _plan(), prices)
    more = cost.cost_per_million("x", _plan(redelivery_write_units=3.0), prices)
    # only the re-delivered share pays the extra unit
    extra = more["lines_usd"]["dynamodb_writes"] - one["lines_usd"]["dynamodb_writes"]
    assert extra == pytest.approx(1e6 * a["redelivery_rate"] * prices["dynamodb_on_demand_wru"], abs=1e-4)
    # the refused share is never written; with a quarantine it is one SQS message each
    stored = 1e6 * (1 - a["refusal_rate"])
    assert one["inputs"]["sqs_requests"] == 1e6 * a["refusal_rate"]
    first_writes = stored * 2.0 + 1e6 * a["redelivery_rate"] * 2.0
    assert one["lines_usd"]["dynamodb_writes"] == pytest.approx(
        first_writes * prices["dynamodb_on_demand_wru"], abs=1e-4
    )
    none = cost.cost_per_million("x", _plan(quarantine=False), prices)
    assert none["lines_usd"]["sqs_quarantine"] == 0


def test_secret_reads_scale_with_the_enabled_providers() -> None:
    prices = cost.load_prices()
    three = cost.cost_per_million("x", _plan(parameters=3), prices)["inputs"]["secret_fetches"]
    one = cost.cost_per_million("x", _plan(parameters=1), prices)["inputs"]["secret_fetches"]
    assert three == pytest.approx(3 * one, rel=1e-3)


def test_storage_per_month_is_its_own_line() -> None:
    prices = cost.load_prices()
    result = cost.cost_per_million("x", _plan(stored_bytes=cost.GB / 1e6), prices)  # 1 GB per million events
    stored_share = 1 - cost.ASSUMPTIONS["refusal_rate"]
    monthly = result["storage_usd_per_million_events_per_month"]
    assert monthly["dynamodb_storage"] == pytest.approx(stored_share * prices["dynamodb_storage_gb_month"], abs=1e-4)
    assert monthly["pitr"] == pytest.approx(stored_share * prices["dynamodb_pitr_gb_month"], abs=1e-4)
    assert "storage" not in " ".join(result["lines_usd"])  # not in the per-event total


def test_storage_grows_forever_and_stops_with_a_retention() -> None:
    prices = cost.load_prices()
    plan = _plan(stored_bytes=1500.0)
    month = [cost.storage_in_month(plan, 400.0, prices, 10, m, None) for m in (1, 2, 12)]
    assert month[0] < month[1] < month[2] == pytest.approx(month[0] * 23)  # 11.5 months held against 0.5
    kept_90 = [cost.storage_in_month(plan, 400.0, prices, 10, m, 90) for m in (1, 12, 24)]
    assert kept_90[0] == pytest.approx(month[0])  # nothing has expired yet
    assert kept_90[1] < month[2]
    # after 90 days only the payment items (which never expire) still grow
    growth = kept_90[2] - kept_90[1]
    assert growth == pytest.approx(12 * 2 * month[0] * 400.0 / 1500.0)
