"""The reconciler (``reconcile.handler``) on moto against a local fake of Stripe's ``GET /v1/events``.

The fake checks method, path, query and the Bearer key strictly and answers queued pages.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import reconcile
from tests.provider_signing import stripe_body, stripe_event, stripe_payment
from webhook.raw_body import raw_event_text
from webhook.reconcile.client import StripeAuthError, StripeError
from webhook.reconcile.run import EVENT_TYPES

from .test_provider_quarantine import kept, queue  # noqa: F401 - the quarantine queue fixture

API_KEY = "rk_test_51FunctionalRestrictedKey0123456789abcdef"
API_KEY_PARAM = "/webhook/functest/stripe-api-key"
LOOKBACK = 86_400
TX = "pi_3MtwBwLkdIwHu7ix28a3tqPa"
CUT_OFF = 0  # a page status for the fake: the connection closes before the body's announced length


class FakeStripe:
    def __init__(self) -> None:
        # (status, body) or (status, body, extra response headers); status CUT_OFF: a 200 whose body stops short.
        self.pages: list[tuple[int, str] | tuple[int, str, dict[str, str]]] = []
        self.queries: list[list[tuple[str, str]]] = []
        self.request_headers: list[dict[str, str]] = []
        self.errors: list[str] = []
        self.on_request: Any = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qsl(url.query, keep_blank_values=True, strict_parsing=True)
                fake.queries.append(query)
                fake.request_headers.append({name.lower(): value for name, value in self.headers.items()})
                if url.path != "/v1/events":
                    fake.errors.append(f"path {url.path}")
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    fake.errors.append("authorization")
                if fake.on_request is not None:
                    fake.on_request()
                status, body, *extra = fake.pages.pop(0) if fake.pages else (500, "{}")
                data = body.encode()
                self.send_response(200 if status == CUT_OFF else status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) + (100 if status == CUT_OFF else 0)))
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                if status == CUT_OFF:
                    self.close_connection = True

            def do_POST(self) -> None:
                fake.errors.append("POST")
                self.send_response(405)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def expected_query(self, created_gte: int, starting_after: str | None = None) -> list[tuple[str, str]]:
        query = [("delivery_success", "false"), ("created[gte]", str(created_gte))]
        query += [("types[]", t) for t in EVENT_TYPES] + [("limit", "100")]
        return query + ([("starting_after", starting_after)] if starting_after else [])


def page(*events: str, has_more: bool = False) -> str:
    return (
        '{\n  "object": "list",\n  "data": [\n'
        + ",\n".join(events)
        + f'\n  ],\n  "has_more": {json.dumps(has_more)}\n}}'
    )


@pytest.fixture
def stripe(aws: Any, providers: Any, payments_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    fake = FakeStripe()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    aws.ssm.put_parameter(Name=API_KEY_PARAM, Type="SecureString", Value=API_KEY, KeyId=aws.kms_key_arn, Overwrite=True)
    monkeypatch.setenv("STRIPE_API_KEY_PARAM", API_KEY_PARAM)
    monkeypatch.setenv("STRIPE_API_BASE", fake.base)
    monkeypatch.setenv("RECONCILE_LOOKBACK_SECONDS", str(LOOKBACK))
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the client's backoff, not the test's time
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
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
