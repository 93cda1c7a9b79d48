"""webhook_cli.replay: which quarantined copies are re-sent, and how, per provider (no network)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from types import SimpleNamespace

import Adyen.util
import pytest
import standardwebhooks
import stripe

from webhook_cli import events, redrive, replay, signing
from webhook_cli.settings import CliSettings

SECRET = "whsec_" + base64.b64encode(b"cli-test-standard-secret-32byte").decode()
ROTATED = "whsec_" + base64.b64encode(b"another-rotated-secret-32-bytes").decode()
STRIPE_SECRET = "whsec_cliStripeTestSecret0123456789abcdef"
ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
ALL = dict(standard=(SECRET,), stripe=(STRIPE_SECRET,), adyen=(ADYEN_KEY,))
THREE_DAYS_AGO = int(time.time()) - 3 * 86400


def message(
    body: bytes, headers: Mapping[str, str], event_id: str | None, *, schema: str = "webhook-quarantine/1", **extra
) -> str:
    """A quarantine message as lambda_src/webhook/quarantine.py writes it (with its provider and path)."""
    data = {
        "schema": schema,
        "receivedAt": "2026-11-28T10:00:00.000Z",
        "reason": {"code": "invalid_field", "message": "currency: must be an ISO 4217 currency code"},
        "headers": dict(headers),
        "bodyEncoding": "base64",
        "body": base64.b64encode(body).decode(),
        "bodySha256": hashlib.sha256(body).hexdigest(),
        **extra,
    }
    if event_id is not None:
        data["eventId"] = event_id
    return json.dumps(data)


def standard_copy(event_id: str = "msg_q1", body: bytes | None = None, secret: str = SECRET) -> str:
    body = body or events.build_payload(f"txn_{event_id}", "19.99", "XYZ", "succeeded")
    delivery = signing.standard_delivery(body, [secret], event_id, THREE_DAYS_AGO)
    return message(body, delivery.headers, event_id, path="/")


def stripe_copy(event_id: str = "evt_q1") -> str:
    body = events.stripe_event("payment_intent.succeeded", "pi_q1", 1999, "xyz", event_id=event_id)
    delivery = signing.stripe_delivery(body, [STRIPE_SECRET], THREE_DAYS_AGO)
    headers = {k.lower(): v for k, v in delivery.headers.items()}
    return message(body, headers, event_id, provider="stripe", path="/stripe")


def adyen_copy(key: str = ADYEN_KEY) -> tuple[str, bytes]:
    notification = events.adyen_notification("AUTHORISATION", "PSPQ000000000001", 1000, "XYZ")
    delivery = signing.adyen_delivery(notification, key)
    return (
        message(
            delivery.body, delivery.headers, "AUTHORISATION:PSPQ000000000001:true", provider="adyen", path="/adyen"
        ),
        delivery.body,
    )


class FakeQueue:
    def __init__(self, *bodies: str) -> None:
        self.messages = {f"m{i}": body for i, body in enumerate(bodies)}
        self.deleted: list[str] = []
        self.released: list[str] = []

    def receive(self, max_messages: int, visibility_timeout: int) -> list[dict[str, str]]:
        return [{"id": k, "receipt": f"r-{k}", "body": v} for k, v in self.messages.items()][:max_messages]

    def delete(self, receipt: str) -> None:
        self.deleted.append(receipt)

    def release(self, receipt: str) -> None:
        self.released.append(receipt)


class FakeReceiver:
    def __init__(self, *statuses: int | Exception) -> None:
        self.statuses = list(statuses)
        self.sent: list[signing.Delivery] = []

    def __call__(self, delivery: signing.Delivery) -> int:
        self.sent.append(delivery)
        status = self.statuses.pop(0) if self.statuses else 200
        if isinstance(status, Exception):
            raise status
        return status


NOW = 1_900_000_000.0


def run(queue: FakeQueue, receiver: FakeReceiver, secrets: replay.ReplaySecrets = ALL, **kwargs) -> redrive.Report:
    return redrive.replay(queue, receiver, secrets, clock=lambda: NOW, **kwargs)


# ------------------------------------------------------------------ per provider


def test_standard_copy_is_resigned_now_with_its_original_webhook_id():
    queue, receiver = FakeQueue(standard_copy()), FakeReceiver(200)
    report = run(queue, receiver)
    assert [(line.action, line.status, line.provider) for line in report.lines] == [("replayed", 200, "standard")]
    (sent,) = receiver.sent
    original = redrive.read_copy(queue.messages["m0"])
    assert (sent.path, sent.body) == ("/", original.body)
    assert sent.headers["webhook-id"] == "msg_q1" and sent.headers["webhook-timestamp"] == str(int(NOW))
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["webhook-signature"] == signing.standard_signature(SECRET, "msg_q1", int(NOW), original.body)
    assert queue.deleted == ["r-m0"] and queue.released == []


def test_standard_copy_verifies_with_the_reference_library_when_sent_now():
    queue, receiver = FakeQueue(standard_copy()), FakeReceiver(200)
    redrive.replay(queue, receiver, dict(standard=(SECRET, ROTATED)))
    (sent,) = receiver.sent
    assert len(sent.headers["webhook-signature"].split()) == 2  # one per current secret
    for secret in (SECRET, ROTATED):
        standardwebhooks.Webhook(secret).verify(sent.body, dict(sent.headers))


def test_stripe_copy_gets_a_fresh_stripe_signature_that_the_sdk_accepts():
    queue, receiver = FakeQueue(stripe_copy()), FakeReceiver(200)
    report = redrive.replay(queue, receiver, ALL)
    assert [(line.action, line.provider, line.event_id) for line in report.lines] == [("replayed", "stripe", "evt_q1")]
    (sent,) = receiver.sent
    original = redrive.read_copy(queue.messages["m0"])
    assert (sent.path, sent.body) == ("/stripe", original.body)
    assert sent.headers["Stripe-Signature"] != original.headers["stripe-signature"]
    event = stripe.Webhook.construct_event(sent.body, sent.headers["Stripe-Signature"], STRIPE_SECRET, tolerance=300)
    assert event.id == "evt_q1"
    assert not any(k.startswith("webhook-") for k in sent.headers)


def test_adyen_copy_is_resent_byte_for_byte():
    text, body = adyen_copy()
    queue, receiver = FakeQueue(text), FakeReceiver(200)
    report = run(queue, receiver)
    assert [(line.action, line.provider) for line in report.lines] == [("replayed", "adyen")]
    (sent,) = receiver.sent
    assert (sent.path, sent.body) == ("/adyen", body)
    assert set(sent.headers) == {"content-type"}
    assert Adyen.util.is_valid_hmac_notification(json.loads(sent.body), ADYEN_KEY)


def test_adyen_copy_needs_no_key_to_be_resent_but_one_to_be_verified():
    text, _ = adyen_copy()
    no_keys = dict(standard=(SECRET,))
    assert [line.action for line in run(FakeQueue(text), FakeReceiver(), no_keys).lines] == ["unverified"]
    receiver = FakeReceiver(200)
    report = run(FakeQueue(text), receiver, no_keys, allow_unverified=True)
    assert [line.action for line in report.lines] == ["replayed"] and len(receiver.sent) == 1


def test_a_provider_without_a_current_secret_is_left_in_the_queue():
    queue, receiver = FakeQueue(stripe_copy(), standard_copy()), FakeReceiver(200)
    report = run(queue, receiver, dict(standard=(SECRET,)), allow_unverified=True)
    assert sorted((line.provider, line.action) for line in report.lines) == [
        ("standard", "replayed"),
        ("stripe", "no_secret"),
    ]
    assert [d.provider for d in receiver.sent] == ["standard"]
    assert queue.released == ["r-m0"] and report.left == 1


# ------------------------------------------------------------------ what is never replayed


def forged(text: str, new_body: bytes) -> str:
    data = json.loads(text)
    data["body"] = base64.b64encode(new_body).decode()
    data["bodySha256"] = hashlib.sha256(new_body).hexdigest()
    return json.dumps(data)


def test_copies_altered_in_the_queue_are_unverified_and_not_sent():
    _, adyen_body = adyen_copy()
    altered_adyen = adyen_body.replace(b'"value": 1000', b'"value": 9000')
    assert altered_adyen != adyen_body
    queue = FakeQueue(
        forged(standard_copy("msg_f"), b'{"transactionId":"t","amount":"1000000","currency":"XYZ"}'),
        forged(stripe_copy("evt_f"), b'{"id": "evt_f", "type": "x"}'),
        forged(adyen_copy()[0], altered_adyen),
    )
    receiver = FakeReceiver()
    report = run(queue, receiver)
    assert [line.action for line in report.lines] == ["unverified"] * 3
    assert receiver.sent == [] and queue.deleted == [] and len(queue.released) == 3


def test_a_copy_signed_with_a_rotated_out_secret_needs_allow_unverified():
    queue = FakeQueue(standard_copy(secret=ROTATED))
    assert [line.action for line in run(queue, FakeReceiver()).lines] == ["unverified"]
    receiver = FakeReceiver(200)
    report = redrive.replay(queue, receiver, ALL, allow_unverified=True)  # the real clock: verified below
    assert [line.action for line in report.lines] == ["replayed"]
    standardwebhooks.Webhook(SECRET).verify(receiver.sent[0].body, dict(receiver.sent[0].headers))


@pytest.mark.parametrize(
    "text",
    [
        "not a quarantine message",
        json.dumps({"schema": "other/1"}),
        message(b"{}", {}, "e", path="/paypal"),
        message(b"{}", {}, "e", provider="paypal"),
        json.dumps({**json.loads(message(b"{}", {}, "e")), "bodySha256": "0" * 64}),
    ],
)
def test_malformed_messages_are_reported_and_kept(text):
    queue, receiver = FakeQueue(text), FakeReceiver()
    report = run(queue, receiver)
    assert [line.action for line in report.lines] == ["malformed"]
    assert receiver.sent == [] and queue.released == ["r-m0"]


# ------------------------------------------------------------------ grouping, answers, dry run


def test_copies_of_one_event_are_sent_once_and_all_deleted_on_2xx():
    copy = standard_copy("msg_dup")
    queue, receiver = FakeQueue(copy, copy, standard_copy("msg_other")), FakeReceiver(200, 200)
    report = run(queue, receiver)
    assert [(line.event_id, line.copies) for line in report.lines] == [("msg_dup", 2), ("msg_other", 1)]
    assert len(receiver.sent) == 2 and sorted(queue.deleted) == ["r-m0", "r-m1", "r-m2"] and report.left == 0


def test_a_4xx_stops_the_run_unless_keep_going():
    bodies = (standard_copy("msg_a"), stripe_copy("evt_b"), adyen_copy()[0])
    queue, receiver = FakeQueue(*bodies), FakeReceiver(400)
    report = run(queue, receiver)
    expected = [("rejected", 400), ("skipped", None), ("skipped", None)]
    assert [(line.action, line.status) for line in report.lines] == expected
    assert len(receiver.sent) == 1 and queue.deleted == [] and len(queue.released) == 3
    queue, receiver = FakeQueue(*bodies), FakeReceiver(400, 200, 200)
    report = run(queue, receiver, keep_going=True)
    assert [line.action for line in report.lines] == ["rejected", "replayed", "replayed"]
    assert report.left == 1


def test_a_5xx_or_no_answer_is_failed_and_kept():
    queue, receiver = FakeQueue(standard_copy("msg_a"), standard_copy("msg_b")), FakeReceiver(503, OSError("down"))
    report = run(queue, receiver, keep_going=True)
    assert [(line.action, line.status) for line in report.lines] == [("failed", 503), ("failed", None)]
    assert queue.deleted == [] and report.left == 2


def test_dry_run_sends_and_deletes_nothing():
    queue, receiver = FakeQueue(standard_copy(), stripe_copy(), adyen_copy()[0]), FakeReceiver()
    report = run(queue, receiver, dry_run=True)
    assert [line.action for line in report.lines] == ["listed"] * 3
    assert receiver.sent == [] and queue.deleted == []


# ------------------------------------------------------------------ decoding and secrets


def test_copies_are_read_with_the_functions_decoder():
    assert redrive.read_copy(message(b"{}", {}, "e", provider="stripe", path="/stripe")).provider == "stripe"
    assert redrive.read_copy(message(b"{}", {}, "e", provider="standard", path="/standard")).provider == "standard"
    assert redrive.read_copy(message(b"{}", {}, "e")).provider == "standard"  # the function's default
    assert redrive.read_copy(message(b"{}", {"Stripe-Signature": "t=1"}, "e")).headers == {"stripe-signature": "t=1"}
    assert redrive.read_copy(message(b"{}", {}, "")).event_id.startswith("sha256:")  # no id known when refused
    for unknown in (
        message(b"{}", {}, "e", provider="paypal"),
        message(b"{}", {}, "e", schema="webhook-quarantine/2"),  # a schema nothing writes
        message(b"{}", {}, None),
    ):
        with pytest.raises((ValueError, KeyError)):
            redrive.read_copy(unknown)


def test_secrets_come_from_the_parameter_else_the_env_file_and_unusable_ones_are_skipped():
    settings = CliSettings(
        {"WEBHOOK_SECRET": SECRET, "STRIPE_SECRET": STRIPE_SECRET, "ADYEN_HMAC_KEY": f"nothex {ADYEN_KEY}"}, {}
    )
    args = SimpleNamespace(secret_param="/p/standard", stripe_secret_param=None, adyen_key_param=None)
    asked: list[str] = []

    def get_parameter(name: str) -> str:
        asked.append(name)
        return f"whsec_a {ROTATED}"

    found = replay.load_secrets(args, settings, get_parameter)
    assert asked == ["/p/standard"]
    assert found == dict(standard=(ROTATED,), stripe=(STRIPE_SECRET,), adyen=(ADYEN_KEY,))
