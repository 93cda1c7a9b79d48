"""The payload mix of the receive-path measurements: provider events at their real sizes.

Each file of :data:`MIX` is sent once per cycle, in order, on its provider's path
(tests/events/README.md names where each body comes from):

* Stripe: four events built from Stripe's OpenAPI fixtures (stripe-mock's ``fixtures3.json``);
* Adyen: a notification with the field set of the Adyen Python library's own sample
  notification (``test/mocks/util/*_notification.json``) and the capture of Adyen's docs;
* Standard Webhooks: the flat payload of docs/behaviour.md.

Every delivery is made unique (event id, transaction id) by replacing the sample's ids
with ids of the same length, so a body keeps its exact size, then signed by the provider's
own SDK (webhook_cli.signing). The peers, which understand only the Standard Webhooks
payload, get that payload padded to the same sizes (:func:`standard_body_of_size`).
"""

from __future__ import annotations

import functools
import json
import re
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webhook_cli import signing
from webhook_cli.providers import REGISTRY

EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"

# (file, provider): one cycle of the mix.
MIX: tuple[tuple[str, str], ...] = (
    ("stripe_fixture_payment_intent_succeeded.json", "stripe"),
    ("stripe_fixture_charge_succeeded.json", "stripe"),
    ("stripe_fixture_charge_refunded.json", "stripe"),
    ("stripe_fixture_charge_dispute_created.json", "stripe"),
    ("adyen_sdk_authorisation.json", "adyen"),
    ("adyen_capture.json", "adyen"),
    ("standard_payment.json", "standard"),
)


@dataclass(frozen=True)
class Secrets:
    """One secret per provider (the bench's SSM parameters hold the same values)."""

    standard: str
    stripe: str
    adyen: str

    def of(self, provider: str) -> str:
        return str(getattr(self, provider))


def sample(name: str) -> str:
    return (EVENTS / name).read_text()


def same_length(original: str, tag: str) -> str:
    """An id shaped like ``original`` (its prefix up to the first ``_`` kept) ending in ``tag``, of equal length."""
    head, sep, rest = original.partition("_")
    prefix, body = (head + sep, rest) if sep else ("", original)
    if len(tag) > len(body):
        raise ValueError(f"tag {tag!r} longer than the id {original!r} allows")
    token = tag.rjust(len(body), "0")
    return prefix + (token.upper() if body.isupper() else token)


def _stripe_ids(text: str) -> list[str]:
    event = json.loads(text)
    obj = event["data"]["object"]
    transaction = obj["payment_intent"] if isinstance(obj.get("payment_intent"), str) else obj["id"]
    return [event["id"], transaction]


def _adyen_ids(text: str) -> list[str]:
    found = re.findall(r'"(?:pspReference|originalReference)": "([^"]+)"', text)
    return list(dict.fromkeys(found))


def _standard_ids(text: str) -> list[str]:
    return [json.loads(text)["transactionId"]]


def unique_body(name: str, provider: str, tag: str) -> str:
    """The sample's text with each id replaced by an id of the same length ending in ``tag`` (+ a digit per id)."""
    text = sample(name)
    ids = {"stripe": _stripe_ids, "adyen": _adyen_ids, "standard": _standard_ids}[provider](text)
    for index, original in enumerate(ids):
        text = text.replace(original, same_length(original, f"{tag}{index}"))
    return text


def delivery(name: str, provider: str, tag: str, secrets: Secrets, now: int | None = None) -> signing.Delivery:
    """A unique, signed delivery of one mix file, as its provider sends it."""
    body = unique_body(name, provider, tag).encode()
    ts = int(time.time()) if now is None else now
    return REGISTRY[provider].sign(body, [secrets.of(provider)], f"msg_{tag}", ts)


@functools.cache
def body_sizes() -> Mapping[str, int]:
    """Bytes on the wire of each mix file (Adyen's as signed: the SDK's JSON of the signed notification)."""
    dummy = Secrets("whsec_" + "A" * 44, "whsec_" + "a" * 32, "0" * 64)
    return {name: len(delivery(name, provider, "size0", dummy, 0).body) for name, provider in MIX}


def size_distribution(sizes: Mapping[str, int] | None = None) -> dict[str, dict[str, float]]:
    """min / median / max / mean body bytes per provider and over the whole mix."""
    sizes = sizes or body_sizes()
    groups: dict[str, list[int]] = {}
    for name, provider in MIX:
        groups.setdefault(provider, []).append(sizes[name])
        groups.setdefault("mix", []).append(sizes[name])
    return {
        group: {
            "n": len(values),
            "min": min(values),
            "median": float(statistics.median(values)),
            "max": max(values),
            "mean": round(statistics.fmean(values), 1),
        }
        for group, values in groups.items()
    }


def peer_delivery(name: str, provider: str, tag: str, secret: str, now: int | None = None) -> signing.Delivery:
    """What a peer (Standard Webhooks only) gets in place of a mix file: the flat payload at the file's size.

    The standard file itself as it is; a provider's event as the flat payload padded to the
    provider body's size on the wire (so the peer verifies, parses and stores as many bytes).
    """
    from bench.common import payload

    ts = int(time.time()) if now is None else now
    if provider == "standard":
        body = unique_body(name, provider, tag).encode()
    else:
        body = payload(f"txn_{tag}", body_sizes()[name])
    return signing.standard_delivery(body, [secret], f"msg_{tag}", ts)


def function_url_event(delivery_: signing.Delivery, now: int | None = None) -> dict[str, Any]:
    """The Function URL event (payload format 2.0) of one delivery, on its path."""
    from bench.common import function_url_event_of

    return function_url_event_of(delivery_.path, dict(delivery_.headers), delivery_.body, now)


def cycle(count: int) -> Sequence[tuple[str, str]]:
    """The first ``count`` files of the mix repeated in order."""
    return [MIX[i % len(MIX)] for i in range(count)]
