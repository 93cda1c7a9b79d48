"""Per-provider CPU of the function's own work: verify + parse + map, per 1 KB event.

``measure()`` returns, for each provider path (behaviour.md, "Providers"), the median CPU
time in microseconds (``time.process_time_ns``) of the provider module's
``verify`` then ``map_delivery`` on a signed event of about 1 KB, in-process,
without AWS or network (secrets and stores are not involved: this is the part
of the handler that differs between providers).  Signing happens outside the
timed region, through webhook_cli.signing (the providers' own SDKs), with
secrets made fresh for each run.

    {"unit": "cpu_us_per_1kb_event", "standard": 41.2, "stripe": 38.9, "adyen": 47.0,
     "event_bytes": {"standard": 1024, ...}, "batches": 15, "batch_size": 200}

Run alone: ``PYTHONPATH=lambda_src python -m bench.provider_cpu`` prints the JSON.
"""

from __future__ import annotations

import base64
import json
import secrets
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from webhook_cli import signing

LAMBDA_SRC = Path(__file__).resolve().parent.parent / "lambda_src"
TARGET_BYTES = 1024
NOW = 1_767_268_800
# Made per run, in each provider's own secret format (never a literal in the repository).
STANDARD_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
STRIPE_SECRET = "whsec_" + secrets.token_urlsafe(32)
ADYEN_KEY = secrets.token_hex(32).upper()


def _ours() -> Any:
    # lambda_src is on PYTHONPATH (Makefile, pytest's pythonpath), as /var/task is on Lambda.
    from webhook import providers

    return providers


def _pad(build: Callable[[str], bytes]) -> bytes:
    """The body ``build(padding)`` grown to about TARGET_BYTES with a metadata string."""
    body = build("")
    return build("x" * max(0, TARGET_BYTES - len(body)))


def _standard(i: int) -> tuple[dict[str, str], bytes]:
    def build(pad: str) -> bytes:
        data = {
            "transactionId": f"txn_bench_{i:08d}",
            "amount": "1234.56",
            "currency": "EUR",
            "status": "succeeded",
            "provider": "acme-pay",
            "timestamp": "2026-01-01T12:00:00Z",
            "metadata": {"order": f"order-{i}", "note": pad},
        }
        return json.dumps(data).encode()

    delivery = signing.standard_delivery(_pad(build), [STANDARD_SECRET], f"msg_bench_{i:08d}", NOW)
    return _lower(delivery.headers), delivery.body


def _stripe(i: int) -> tuple[dict[str, str], bytes]:
    def build(pad: str) -> bytes:
        event = {
            "id": f"evt_bench_{i:08d}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": NOW,
            "type": "payment_intent.succeeded",
            "livemode": False,
            "data": {
                "object": {
                    "id": f"pi_bench_{i:08d}",
                    "object": "payment_intent",
                    "amount": 2000,
                    "currency": "usd",
                    "status": "succeeded",
                    "metadata": {"order_id": str(i), "note": pad},
                }
            },
        }
        return json.dumps(event, indent=2).encode()

    delivery = signing.stripe_delivery(_pad(build), [STRIPE_SECRET], NOW)
    return _lower(delivery.headers), delivery.body


def _adyen(i: int) -> tuple[dict[str, str], bytes]:
    def build(pad: str) -> bytes:
        item: dict[str, Any] = {
            "amount": {"currency": "EUR", "value": 1130},
            "eventCode": "AUTHORISATION",
            "eventDate": "2026-12-01T11:00:00+01:00",
            "merchantAccountCode": "BENCH_MERCHANT",
            "merchantReference": f"order-{i}",
            "paymentMethod": "visa",
            "pspReference": f"PSP{i:013d}",
            "reason": pad,
            "success": "true",
        }
        notification = {"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}
        return signing.adyen_delivery(notification, ADYEN_KEY).body

    return {"content-type": "application/json"}, _pad(build)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names as the handler hands them to a provider (webhook.request.headers_of)."""
    return {name.lower(): value for name, value in headers.items()}


SAMPLES: dict[str, tuple[Callable[[int], tuple[dict[str, str], bytes]], str]] = {
    "standard": (_standard, STANDARD_SECRET),
    "stripe": (_stripe, STRIPE_SECRET),
    "adyen": (_adyen, ADYEN_KEY),
}


def _per_event_us(name: str, batches: int, batch_size: int) -> tuple[float, int]:
    provider = _ours().PROVIDERS[name]
    make, secret = SAMPLES[name]
    key = provider.decode_secret(secret)
    if key is None:
        raise RuntimeError(f"{name}: the bench secret is not usable")
    keys = (key,)
    values: list[float] = []
    size = 0
    for batch in range(batches + 1):  # batch 0 warms up
        events = [make(batch * batch_size + i) for i in range(batch_size)]
        size = len(events[0][1])
        started = time.process_time_ns()
        for headers, body in events:
            mapped = provider.map_delivery(provider.verify(headers, body, keys, tolerance_seconds=300, now=NOW))
        spent = time.process_time_ns() - started
        if len(mapped.records) != 1:
            raise RuntimeError(f"{name}: the bench event did not map to one record")
        if batch:
            values.append(spent / batch_size / 1000)
    return statistics.median(values), size


def measure(batches: int = 15, batch_size: int = 200) -> dict[str, Any]:
    """Median CPU microseconds per ~1 KB event for verify + parse + map, per provider."""
    result: dict[str, Any] = {"unit": "cpu_us_per_1kb_event"}
    sizes: dict[str, int] = {}
    for name in SAMPLES:
        median, size = _per_event_us(name, batches, batch_size)
        result[name] = round(median, 2)
        sizes[name] = size
    result.update(event_bytes=sizes, batches=batches, batch_size=batch_size)
    return result


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
