"""The reconciler (``reconcile.handler``) on moto against a local fake of Stripe's ``GET /v1/events``.

The fake checks method, path, query and the Bearer key strictly and answers queued pages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

import reconcile
from tests.provider_signing import STRIPE_SECRET, stripe_body, stripe_event, stripe_payment
from tests.stripe_api_fake import FakeStripe, page
from webhook.raw_body import raw_event_text
from webhook.reconcile.client import StripeAuthError, StripeError

from .test_provider_quarantine import kept, queue  # noqa: F401 - the quarantine queue fixture

API_KEY = "rk_test_51FunctionalRestrictedKey0123456789abcdef"
API_KEY_PARAM = "/webhook/functest/stripe-api-key"
LOOKBACK = 86_400
TX = "pi_3MtwBwLkdIwHu7ix28a3tqPa"


@pytest.fixture
def stripe(aws: Any, providers: Any, payments_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    fake = FakeStripe(API_KEY)
    aws.ssm.put_parameter(Name=API_KEY_PARAM, Type="SecureString", Value=API_KEY, KeyId=aws.kms_key_arn, Overwrite=True)
    monkeypatch.setenv("STRIPE_API_KEY_PARAM", API_KEY_PARAM)
    monkeypatch.setenv("STRIPE_API_BASE", fake.base)
    monkeypatch.setenv("RECONCILE_LOOKBACK_SECONDS", str(LOOKBACK))
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the client's backoff, not the test's time
    with fake.serving():
        yield fake
    assert fake.errors == []


def text(event_id: str, **obj: Any) -> str:
    return stripe_body(stripe_payment(event_id=event_id, **obj)).decode()


def test_two_pages_stored_exactly_with_starting_after(aws: Any, stripe: FakeStripe, capsys: Any) -> None:
    one, two = text("evt_rec_1", amount=1999), text("evt_rec_2", amount=123456789012)
    stripe.pages = [(200, page(one, has_more=True)), (200, page(two))]
    started = int(time.time())
    counts = reconcile.handler({}, None)
    assert counts == {"listed": 2, "stored": 2, "duplicates": 0, "ignored": 0, "refused": 0}
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-1]) == counts
    assert API_KEY not in out
    first, second = stripe.queries
    gte = int(dict(first)["created[gte]"])
    assert started - LOOKBACK <= gte <= int(time.time()) - LOOKBACK
    assert first == stripe.expected_query(gte)
    assert second == stripe.expected_query(gte, "evt_rec_1")
    item = aws.get(TX, "evt_rec_1")
    assert raw_event_text(item) == one
    assert item["amount"] == {"N": "19.99"} and item["amountMinor"] == {"N": "1999"}
    assert item["receivedVia"] == {"S": "api"} and item["provider"] == {"S": "stripe"}
    assert aws.get(TX, "evt_rec_2")["amount"] == {"N": "1234567890.12"}


def test_page_two_failing_keeps_page_one_and_fails_the_run(aws: Any, stripe: FakeStripe) -> None:
    stripe.pages = [(200, page(text("evt_rec_1"), has_more=True))] + [(503, "{}")] * 4

    def page_one_already_stored() -> None:
        if len(stripe.queries) == 2 and aws.get(TX, "evt_rec_1") is None:
            stripe.errors.append("page 2 requested before page 1 was stored")

    stripe.on_request = page_one_already_stored
    with pytest.raises(StripeError, match="after 4 attempts: HTTP 503"):
        reconcile.handler({}, None)
    assert len(stripe.queries) == 5
    assert [item["eventId"]["S"] for item in aws.items()] == ["evt_rec_1"]


def test_refused_key_fails_the_run_without_naming_it(aws: Any, stripe: FakeStripe) -> None:
    stripe.pages = [(401, '{"error": {"type": "invalid_request_error"}}')]
    with pytest.raises(StripeAuthError) as info:
        reconcile.handler({}, None)
    assert "401" in str(info.value) and API_KEY not in str(info.value)
    assert len(stripe.queries) == 1


def test_delivered_first_then_listed_is_a_duplicate(aws: Any, stripe: FakeStripe, call: Any) -> None:
    event = stripe_payment(event_id="evt_both_1")
    assert call(stripe_event(event))["statusCode"] == 200
    stripe.pages = [(200, page(stripe_body(event).decode()))]
    assert reconcile.handler({}, None) == {"listed": 1, "stored": 0, "duplicates": 1, "ignored": 0, "refused": 0}
    (item,) = aws.items()
    assert item["receivedVia"] == {"S": "webhook"}


def test_listed_first_then_delivered_answers_duplicate(aws: Any, stripe: FakeStripe, call: Any) -> None:
    event = stripe_payment(event_id="evt_both_2")
    stripe.pages = [(200, page(stripe_body(event).decode()))]
    assert reconcile.handler({}, None)["stored"] == 1
    response = call(stripe_event(event))
    assert response["statusCode"] == 200 and json.loads(response["body"])["status"] == "duplicate"
    (item,) = aws.items()
    assert item["receivedVia"] == {"S": "api"}
    payment = aws.ddb.get_item(TableName="webhook-payments-functest", Key={"transactionId": {"S": TX}})["Item"]
    assert payment["lastEventId"] == {"S": "evt_both_2"} and payment["amount"] == {"N": "20.00"}


def test_refused_and_ignored_events_are_counted_and_refused_kept(
    aws: Any,
    stripe: FakeStripe,
    queue: str,  # noqa: F811 - the imported fixture
) -> None:
    refused = text("evt_rec_bad").replace('"amount": 2000', '"amount": 19.99', 1)
    ignored = json.dumps({"id": "evt_cus", "type": "customer.created", "created": 1, "data": {"object": {"id": "c"}}})
    stripe.pages = [(200, page(refused, ignored, text("evt_rec_ok")))]
    counts = reconcile.handler({}, None)
    assert counts == {"listed": 3, "stored": 1, "duplicates": 0, "ignored": 1, "refused": 1}
    (copy,) = kept(queue)
    assert (copy.event_id, copy.provider, copy.path, copy.reason_code) == (
        "evt_rec_bad",
        "stripe",
        "/stripe",
        "invalid_field",
    )
    assert copy.body == refused.encode()
    assert [item["eventId"]["S"] for item in aws.items()] == ["evt_rec_ok"]


def test_a_refused_listed_event_replays_only_with_allow_unverified(
    aws: Any,
    stripe: FakeStripe,
    queue: str,  # noqa: F811 - the imported fixture
) -> None:
    import boto3

    from webhook_cli import redrive, signing

    stripe.pages = [(200, page(text("evt_rec_bad").replace('"amount": 2000', '"amount": 19.99', 1)))]
    assert reconcile.handler({}, None)["refused"] == 1
    sqs = boto3.client("sqs", region_name="eu-west-1")
    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    copy = redrive.read_copy(message["Body"])
    # Listed from the API, never delivered: no Stripe-Signature, so nothing for the replay to verify.
    assert (copy.provider, copy.event_id, dict(copy.headers)) == ("stripe", "evt_rec_bad", {})
    secrets = {"stripe": (STRIPE_SECRET,)}
    assert redrive.decide([copy], secrets) == ("unverified", None)
    assert redrive.decide([copy], secrets, allow_unverified=True) == ("send", copy)
    replayed = redrive.replay_delivery(copy, secrets, int(time.time()))  # re-signed with the current secret
    assert signing.stripe_signed_by([STRIPE_SECRET], replayed.headers, replayed.body)


def test_operator_cli_runs_the_same_reconciliation(aws: Any, stripe: FakeStripe, tmp_path: Any, capsys: Any) -> None:
    from webhook_cli import reconcile as cli

    key_file, env_file = tmp_path / "stripe-api-key.txt", tmp_path / "empty.env"
    key_file.write_text(API_KEY + "\n")
    env_file.write_text("")
    stripe.pages = [(200, page(text("evt_cli_1")))]
    assert cli.main(["--api-key-file", str(key_file), "--env-file", str(env_file)]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == {"listed": 1, "stored": 1, "duplicates": 0, "ignored": 0, "refused": 0}
    assert API_KEY not in out
    assert aws.get(TX, "evt_cli_1")["receivedVia"] == {"S": "api"}
    stripe.pages = [(200, page(text("evt_cli_1")))]  # the key from its SSM parameter this time
    assert cli.main(["--api-key-param", API_KEY_PARAM, "--env-file", str(env_file)]) == 0
    assert json.loads(capsys.readouterr().out)["duplicates"] == 1
    stripe.pages = [(403, "{}")]
    assert cli.main(["--api-key-file", str(key_file), "--env-file", str(env_file)]) == 1
    err = capsys.readouterr().err
    assert "HTTP 403" in err and API_KEY not in err
