"""bench/storage_levers.py: the bodies it measures are stored as the function stores them, and
on Stripe's real-sized events the gzip lever saves write units (what lambda_src/README.md quotes)."""

from __future__ import annotations

from bench import storage, storage_levers
from webhook import raw_body
from webhook.raw_body import GZIP_ATTRIBUTE, raw_event_text


def test_real_sized_stripe_events_take_fewer_write_units_as_stored() -> None:
    bodies = storage_levers.bodies()
    fixtures = {name: storage_levers.sizes(text) for name, text in bodies.items() if name.startswith("stripe_fixture_")}
    assert len(fixtures) == 4
    for name, row in fixtures.items():
        stored, _ = storage._items(bodies[name])
        assert GZIP_ATTRIBUTE in stored and raw_event_text(stored) == bodies[name]
        assert row["wru_stored"] < row["wru_text"], name
    refunded = fixtures["stripe_fixture_charge_refunded.json"]
    assert (refunded["wru_text"], refunded["wru_stored"]) == (7, 2)
    assert refunded["gzip9_bytes"] <= refunded["gzip6_bytes"] < refunded["gzip1_bytes"]


def test_the_cpu_costs_far_less_than_the_writes_it_saves() -> None:
    text = storage_levers.bodies()["stripe_fixture_charge_refunded.json"]
    row = {
        **storage_levers.sizes(text),
        "decide_us": storage_levers.best_us(lambda: raw_body.body_attribute(text)),
    }
    usd = storage_levers.per_million_usd(row)
    assert usd["cpu_usd"] < usd["writes_saved_usd"] / 1000
