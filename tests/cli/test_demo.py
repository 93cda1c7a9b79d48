"""webhook_cli.demo without a stack: what it sends (signed, out of order) and how it shows what is stored."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from types import SimpleNamespace

import Adyen.util
import pytest
import standardwebhooks
import stripe

from webhook_cli import demo
from webhook_cli.transport import Answer

SECRET = "whsec_" + base64.b64encode(b"cli-test-standard-secret-32byte").decode()
WRONG = "whsec_" + base64.b64encode(b"not-the-receivers-secret-32byte").decode()
STRIPE_SECRET = "whsec_cliStripeTestSecret0123456789abcdef"
ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
VALUES = {"WEBHOOK_SECRET": SECRET, "STRIPE_SECRET": STRIPE_SECRET, "ADYEN_HMAC_KEY": ADYEN_KEY}
PAYMENTS = demo.Payments("tx-demo-1", "pi_demo1", "PSPDEMO000000001")


@pytest.fixture
def planned() -> list[demo.Step]:
    return demo.steps(VALUES, PAYMENTS, int(time.time()), WRONG)


def by_provider(planned, provider):
    return [step for step in planned if step.delivery.provider == provider]


def test_standard_steps_verify_except_the_forged_and_the_stale(planned):
    verifier = standardwebhooks.Webhook(SECRET)
    outcome = {}
    for step in by_provider(planned, "standard"):
        try:
            verifier.verify(step.delivery.body, dict(step.delivery.headers))
            outcome[step.delivery.headers["webhook-id"]] = "verified"
        except standardwebhooks.WebhookVerificationError:
            outcome[step.delivery.headers["webhook-id"]] = "refused"
        assert (outcome[step.delivery.headers["webhook-id"]] == "verified") == (step.expect_code != 401)
    assert outcome["msg_forged"] == outcome["msg_stale"] == "refused"
    redelivered = [s for s in by_provider(planned, "standard") if s.expect == "duplicate"]
    assert len(redelivered) == 1


def test_stripe_events_of_one_payment_are_sent_newest_first(planned):
    stripe_steps = by_provider(planned, "stripe")
    sent = []
    for step in stripe_steps:
        event = stripe.Webhook.construct_event(
            step.delivery.body, step.delivery.headers["Stripe-Signature"], STRIPE_SECRET
        )
        sent.append((event.type, event.created))
    payment_events = [(t, c) for t, c in sent if t != "customer.created"]
    assert [t for t, _ in payment_events] == ["charge.refunded", "payment_intent.succeeded", "payment_intent.created"]
    assert [c for _, c in payment_events] == sorted((c for _, c in payment_events), reverse=True)  # out of order
    assert all(
        json.loads(s.delivery.body)["data"]["object"].get("payment_intent", "pi_demo1") == "pi_demo1"
        for s in stripe_steps
    )
    assert [s.expect for s in stripe_steps][-1] == "ignored"


def test_adyen_capture_is_sent_before_the_authorisation_it_follows(planned):
    adyen_steps = by_provider(planned, "adyen")
    items = []
    for step in adyen_steps:
        notification = json.loads(step.delivery.body)
        assert Adyen.util.is_valid_hmac_notification(notification, ADYEN_KEY)
        items.append(notification["notificationItems"][0]["NotificationRequestItem"])
    assert [i["eventCode"] for i in items] == ["CAPTURE", "AUTHORISATION"]
    assert datetime.fromisoformat(items[0]["eventDate"]) > datetime.fromisoformat(items[1]["eventDate"])
    assert items[0]["originalReference"] == items[1]["pspReference"] == "PSPDEMO000000001"
    assert all(step.expect == "[accepted]" for step in adyen_steps)


def test_a_provider_without_a_secret_is_left_out():
    planned = demo.steps({"WEBHOOK_SECRET": SECRET}, PAYMENTS, int(time.time()), WRONG)
    assert {step.delivery.provider for step in planned} == {"standard"}
    assert PAYMENTS.expected({"standard"}) == {"tx-demo-1": "succeeded"}


def test_answers_are_checked_against_the_expectation(planned, capsys):
    def receiver(url, delivery):
        step = next(s for s in planned if s.delivery is delivery)
        if step.expect == "[accepted]":
            return Answer(200, "[accepted]", {})
        if step.expect_code != 200:
            return Answer(step.expect_code, '{"error": {}}', {})
        return Answer(200, json.dumps({"status": step.expect}), {})

    assert demo.send_steps("http://127.0.0.1:1/", planned, receiver)
    assert "UNEXPECTED" not in capsys.readouterr().out
    assert not demo.send_steps("http://127.0.0.1:1/", planned, lambda url, d: Answer(200, '{"status": "accepted"}', {}))
    assert "UNEXPECTED" in capsys.readouterr().out


def test_the_table_shows_each_payments_current_status_beside_its_events():
    items = [
        {
            "transactionId": "pi_demo1",
            "eventId": "evt_c",
            "status": "payment_intent.created",
            "timestamp": "2026-12-01T11:00:00Z",
            "amount": "19.99",
        },
        {
            "transactionId": "pi_demo1",
            "eventId": "evt_r",
            "status": "charge.refunded",
            "timestamp": "2026-12-01T11:02:00Z",
            "amount": "19.99",
        },
        {
            "transactionId": "tx-x",
            "eventId": "msg_1",
            "status": "pending",
            "timestamp": "2026-12-01T10:00:00Z",
            "amount": "1",
        },
    ]
    payments = {"pi_demo1": {"status": "refunded", "lastEventId": "evt_r"}}
    lines = demo.transactions_table(items, payments)
    rows = [line.split() for line in lines[2:-1]]
    assert rows[0][:2] == ["pi_demo1", "evt_c"] and rows[0][-1] == "refunded"  # once per payment, on its first row
    assert rows[1][:3] == ["pi_demo1", "*", "evt_r"] and rows[1][-1] != "refunded"
    assert rows[2][0] == "tx-x" and lines[4].endswith("(no item)")
    assert lines[-1] == " (3 items)"
    assert demo.check_statuses(payments, {"pi_demo1": "refunded", "tx-x": "succeeded"}) == [
        "  - pi_demo1: refunded (expected refunded)  -> as expected",
        "  - tx-x: no payment item (expected succeeded)  -> UNEXPECTED",
    ]


def test_down_runs_even_when_up_fails(tmp_path, capsys):
    class StackError(Exception):
        pass

    calls = []

    def up(layout, suffix, verbose):
        calls.append(("up", suffix))
        raise StackError("terraform apply failed; see build/logs/terraform.log")

    def down(layout, verbose):
        calls.append(("down",))
        return True

    layout = SimpleNamespace(rel=str, logs=tmp_path)
    fake = SimpleNamespace(up=up, down=down)
    with pytest.raises(StackError):
        demo.run(fake, layout, "dev")
    assert calls == [("up", "dev"), ("down",)]


def test_the_events_shown_are_each_payments_status_changes_in_order_beside_its_current_status(
    planned, capsys, monkeypatch
):
    import boto3
    from moto import mock_aws

    from local_stack.emulator.fixtures import create_payments_table

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        values = {"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        ddb, sqs = boto3.client("dynamodb", region_name="eu-west-1"), boto3.client("sqs", region_name="eu-west-1")
        create_payments_table(ddb, "payments-demo")
        url = sqs.create_queue(QueueName="events-demo.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        values.update(PAYMENTS_TABLE_NAME="payments-demo", EVENTS_QUEUE_URL=url)
        final = {PAYMENTS.standard: "succeeded", PAYMENTS.stripe: "refunded", PAYMENTS.adyen: "succeeded"}
        for tx, status in final.items():
            ddb.put_item(TableName="payments-demo", Item={"transactionId": {"S": tx}, "status": {"S": status}})
        history = [
            (PAYMENTS.stripe, "refunded"),
            (PAYMENTS.standard, "pending"),
            (PAYMENTS.adyen, "succeeded"),
            (PAYMENTS.standard, "succeeded"),
        ]
        for number, (tx, status) in enumerate(history):
            event = {
                "type": "payment.status_changed",
                "id": f"c/{tx}/{number}",
                "subject": tx,
                "data": {"status": status},
            }
            sqs.send_message(
                QueueUrl=url, MessageBody=json.dumps(event), MessageGroupId=tx, MessageDeduplicationId=str(number)
            )
        received = {"type": "payment.event_received", "id": "r/1", "subject": PAYMENTS.standard, "data": {}}
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(received), MessageGroupId="x", MessageDeduplicationId="r")
        assert demo.show_events(values, PAYMENTS, planned, wait=10)
        out = capsys.readouterr().out
        rows = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith(("tx-", "pi_", "PSP"))}
        assert "(new) -> pending -> succeeded" in rows[PAYMENTS.standard]
        assert rows[PAYMENTS.standard].split()[-4:] == ["succeeded", "1", "as", "expected"]
        assert "(new) -> refunded" in rows[PAYMENTS.stripe]
        assert "UNEXPECTED" not in out

        # a payment whose last change is not its current status is reported
        ddb.put_item(
            TableName="payments-demo", Item={"transactionId": {"S": PAYMENTS.adyen}, "status": {"S": "disputed"}}
        )
        assert not demo.show_events(values, PAYMENTS, planned, wait=1)
        assert "UNEXPECTED" in capsys.readouterr().out
