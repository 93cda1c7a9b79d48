"""bench/storage.py counts what the function really writes: the compressed item is the
one the store builds, and it is smaller than the same item with the body as text."""

from __future__ import annotations

from bench import storage
from webhook.raw_body import raw_event_text


def test_stored_items_are_counted_as_written_and_restore_the_body() -> None:
    result = storage.measure()
    for name, row in result["samples"].items():
        assert row["event_item_bytes"] <= row["event_item_bytes_uncompressed"], name
        stored, _ = storage._items(storage.body_of(name))
        assert raw_event_text(stored) == storage.body_of(name)
    stripe = result["samples"]["stripe_payment_intent_succeeded.json"]
    assert (stripe["write_units_uncompressed"], stripe["write_units"]) == (2, 1)
    assert result["storage_bytes_per_event"] < result["storage_bytes_per_event_uncompressed"]


def test_item_bytes_follow_dynamodb_size_rules() -> None:
    assert storage.item_bytes({"ab": {"S": "é"}}) == 2 + 2
    assert storage.item_bytes({"n": {"N": "19.99"}}) == 1 + 3
    assert storage.item_bytes({"b": {"B": b"\x00\x01"}, "t": {"BOOL": True}}) == 1 + 2 + 1 + 1


def test_publisher_bench_publishes_every_record_and_prices_each_line() -> None:
    from bench import publisher

    result = publisher.measure(batches=2, batch_size=20)
    assert result["publisher_cpu_us_per_record"] > 0
    lines = result["publisher_cost_lines_per_million_usd"]
    assert lines["sqs_fifo"] == 1.0 and lines["eventbridge_events"] == 2.0  # two messages per event
    assert abs(sum(lines.values()) - result["publisher_cost_per_million_usd"]) < 0.001
