"""The pipeline with fakes: order of checks, responses, the log line."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from webhook.config import ConfigError
from webhook.errors import WebhookError
from webhook.request import MAX_BODY_BYTES
from webhook.service import Dependencies, WebhookService
from webhook.storage import StoredEvent, WriteResult
from webhook.timestamps import utc_from_epoch

NOW = 1_767_268_800.25


class FakeSecrets:
    def __init__(self, keys: Sequence[bytes], error: Exception | None = None) -> None:
        self._keys = tuple(keys)
        self.error = error
        self.calls = 0

    def keys(self) -> tuple[bytes, ...]:
        self.calls += 1
        if self.error:
            raise self.error
        return self._keys


class FakeStore:
    def __init__(self, error: Exception | None = None) -> None:
        self.items: dict[tuple[str, str], StoredEvent] = {}
        self.error = error
        self.calls = 0

    def write(self, event: StoredEvent) -> WriteResult:
        self.calls += 1
        if self.error:
            raise self.error
        key = (event.transaction.transaction_id, event.event_id)
        if key in self.items:
            return WriteResult(False, self.items[key].processed_at)
        self.items[key] = event
        return WriteResult(True, event.processed_at)


class Harness:
    def __init__(self, key: bytes, **deps: Any) -> None:
        self.secrets = deps.get("secrets", FakeSecrets([key]))
        self.store = deps.get("store", FakeStore())
        self.lines: list[str] = []
        self.dep_calls = 0
        self.config_error = deps.get("config_error")

        def dependencies() -> Dependencies:
            self.dep_calls += 1
            if self.config_error:
                raise self.config_error
            return Dependencies(self.secrets, self.store, 300)

        self.service = WebhookService(dependencies, clock=lambda: NOW, log=self.lines.append)

    def __call__(self, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        resp = self.service.handle(event, type("Ctx", (), {"aws_request_id": "req-1"})())
        assert resp["headers"]["content-type"] == "application/json"
        return resp["statusCode"], json.loads(resp["body"])

    @property
    def log(self) -> dict[str, Any]:
        assert len(self.lines) == 1, self.lines
        record: dict[str, Any] = json.loads(self.lines[0])
        return record


@pytest.fixture
def h(signing_key: bytes) -> Harness:
    return Harness(signing_key)


def event(make_event: Callable[..., dict[str, Any]], body: str | bytes, **kw: Any) -> dict[str, Any]:
    kw.setdefault("timestamp", int(NOW))
    return make_event(body, **kw)


def test_accepted_then_duplicate(h: Harness, make_event: Any, make_payload: Any) -> None:
    ev = event(make_event, make_payload())
    assert h(ev) == (200, {"status": "accepted", "transactionId": "txn_0001", "eventId": "msg_test_0001"})
    assert h(ev) == (200, {"status": "duplicate", "transactionId": "txn_0001", "eventId": "msg_test_0001"})
    assert len(h.store.items) == 1


def test_stored_event_content(h: Harness, make_event: Any) -> None:
    body = '{"transactionId": "t1", "amount": 150.50, "currency": "eur", "extra": [0.1]}'
    assert h(event(make_event, body, webhook_id="msg_9"))[0] == 200
    stored = h.store.items[("t1", "msg_9")]
    assert stored.raw_event == body
    assert stored.processed_at == utc_from_epoch(NOW) == "2026-01-01T12:00:00.250Z"
    assert stored.transaction.currency == "EUR"
    assert str(stored.transaction.amount) == "150.50"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "post", ""])
def test_non_post_is_405_before_anything_else(h: Harness, make_event: Any, method: str) -> None:
    ev = event(make_event, "x" * (MAX_BODY_BYTES + 1), method=method, signature="v1,bad")
    status, body = h(ev)
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")
    assert h.dep_calls == 0 and h.secrets.calls == 0 and h.store.calls == 0


def test_405_carries_allow_header(h: Harness, make_event: Any) -> None:
    resp = h.service.handle(event(make_event, "{}", method="GET"), None)
    assert resp["headers"]["allow"] == "POST"


def test_oversized_body_is_413_before_signature(h: Harness, make_event: Any) -> None:
    status, body = h(event(make_event, "x" * (MAX_BODY_BYTES + 1), signature="v1,bad"))
    assert (status, body["error"]["code"]) == (413, "payload_too_large")
    assert h.secrets.calls == 0 and h.store.calls == 0


def test_body_of_exactly_256_kib_is_not_413(h: Harness, make_event: Any) -> None:
    body = '{"transactionId": "t", "amount": 1, "currency": "USD", "pad": "'
    body += "p" * (MAX_BODY_BYTES - len(body) - 2) + '"}'
    assert len(body.encode()) == MAX_BODY_BYTES
    assert h(event(make_event, body))[0] == 200
    assert h(event(make_event, body[:-2] + 'p"}', webhook_id="msg_2"))[0] == 413


def test_oversized_base64_body_is_413(h: Harness, make_event: Any) -> None:
    status, _ = h(event(make_event, b"x" * (MAX_BODY_BYTES + 1), base64_encoded=True))
    assert status == 413


def test_signature_checked_before_parsing(h: Harness, make_event: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import webhook.providers.standard as standard

    def must_not_parse(raw: bytes) -> Any:
        raise AssertionError("parsed before the signature was checked")

    monkeypatch.setattr(standard, "parse_object", must_not_parse)
    status, body = h(event(make_event, "not json at all", key=b"wrong-key-wrong-key-wrong-key!!"))
    assert (status, body["error"]["code"]) == (401, "invalid_signature")
    assert h.store.calls == 0


@pytest.mark.parametrize("drop", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_signature_header_is_401(h: Harness, make_event: Any, make_payload: Any, drop: str) -> None:
    ev = event(make_event, make_payload())
    del ev["headers"][drop]
    assert h(ev)[0] == 401
    assert h.store.calls == 0


def test_header_names_are_case_insensitive(h: Harness, make_event: Any, make_payload: Any) -> None:
    ev = event(make_event, make_payload(), header_case=lambda name: name.title())
    assert "Webhook-Signature" in ev["headers"]
    assert h(ev)[0] == 200


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamp_is_401(h: Harness, make_event: Any, make_payload: Any, offset: int) -> None:
    assert h(event(make_event, make_payload(), timestamp=int(NOW) + offset))[0] == 401


def test_invalid_json_after_valid_signature_is_400(h: Harness, make_event: Any) -> None:
    status, body = h(event(make_event, "{not json"))
    assert (status, body["error"]["code"]) == (400, "invalid_json")
    assert h.store.calls == 0


def test_field_error_names_the_field_and_writes_nothing(h: Harness, make_event: Any, make_payload: Any) -> None:
    status, body = h(event(make_event, make_payload(amount=True)))
    assert status == 400
    assert body["error"]["code"] == "invalid_field"
    assert "amount" in body["error"]["message"]
    assert h.store.calls == 0


def test_config_error_is_500_without_details(h: Harness, make_event: Any, make_payload: Any) -> None:
    h.config_error = ConfigError("TABLE_NAME is not set")
    status, body = h(event(make_event, make_payload()))
    assert (status, body["error"]["code"]) == (500, "configuration_error")
    assert "TABLE_NAME" not in json.dumps(body)


@pytest.mark.parametrize("status_code", [500, 503])
def test_secret_failure_is_5xx_and_nothing_stored(
    signing_key: bytes, make_event: Any, make_payload: Any, status_code: int
) -> None:
    h = Harness(
        signing_key,
        secrets=FakeSecrets([], WebhookError(status_code, "secret_unavailable", "signing secret is unavailable")),
    )
    status, body = h(event(make_event, make_payload()))
    assert (status, body["error"]["code"]) == (status_code, "secret_unavailable")
    assert h.store.calls == 0


def test_storage_failure_is_5xx(signing_key: bytes, make_event: Any, make_payload: Any) -> None:
    h = Harness(
        signing_key,
        store=FakeStore(
            WebhookError(503, "storage_unavailable", "storage is temporarily unavailable", detail="ThrottlingException")
        ),
    )
    status, body = h(event(make_event, make_payload()))
    assert (status, body) == (
        503,
        {"error": {"code": "storage_unavailable", "message": "storage is temporarily unavailable"}},
    )
    assert h.log["detail"] == "ThrottlingException"


def test_unexpected_exception_is_sanitized_500(signing_key: bytes, make_event: Any, make_payload: Any) -> None:
    leak = "arn:aws:dynamodb:eu-west-1:123456789012:table/secret-table Traceback whsec_x"
    h = Harness(signing_key, store=FakeStore(RuntimeError(leak)))
    resp = h.service.handle(event(make_event, make_payload()), None)
    assert resp["statusCode"] == 500
    assert json.loads(resp["body"]) == {"error": {"code": "internal_error", "message": "internal error"}}
    assert "arn:" not in resp["body"] and "Traceback" not in resp["body"] and "RuntimeError" not in resp["body"]
    assert h.log["detail"] == "RuntimeError"
    assert leak not in h.lines[0]


def test_malformed_events_never_crash(h: Harness) -> None:
    for ev in (
        {},
        {"requestContext": {"http": {"method": "POST"}}},
        {"requestContext": {"http": {"method": "POST"}}, "body": 5},
    ):
        status, _ = h(ev)  # type: ignore[arg-type]
        assert 400 <= status < 500
        h.lines.clear()


# --- the log line ---------------------------------------------------------------


def test_one_structured_log_line_per_request(h: Harness, make_event: Any, make_payload: Any) -> None:
    ev = event(make_event, make_payload())
    h(ev)
    record = h.log
    assert record["requestId"] == "req-1"
    assert record["outcome"] == "accepted"
    assert record["statusCode"] == 200
    assert record["transactionId"] == "txn_0001"
    assert record["eventId"] == "msg_test_0001"
    assert isinstance(record["latencyMs"], (int, float)) and record["latencyMs"] >= 0
    h.lines.clear()
    h(ev)
    assert h.log["outcome"] == "duplicate"


@pytest.mark.parametrize(
    ("mutate", "outcome", "code"),
    [
        (lambda ev, mk: ev.update(mk("{bad", timestamp=int(NOW))), "rejected", "invalid_json"),
        (lambda ev, mk: ev["headers"].update({"webhook-signature": "v1,AAAA"}), "rejected", "invalid_signature"),
        (lambda ev, mk: ev["requestContext"]["http"].update(method="GET"), "rejected", "method_not_allowed"),
    ],
)
def test_log_line_for_rejections(
    h: Harness, make_event: Any, make_payload: Any, mutate: Any, outcome: str, code: str
) -> None:
    ev = event(make_event, make_payload())
    mutate(ev, make_event)
    h(ev)
    assert (h.log["outcome"], h.log["errorCode"]) == (outcome, code)


def test_log_line_never_contains_secret_signature_or_body(
    signing_key: bytes, secret: str, make_event: Any, make_payload: Any
) -> None:
    h = Harness(signing_key)
    body = '{"note": "private-marker", "transactionId": "txn_log", "amount": "1.25", "currency": "USD"}'
    ev = event(make_event, body)
    rejected = event(make_event, body.replace('"USD"', '"???"'), webhook_id="msg_2")
    unsigned = {**ev, "body": body + " "}
    for case in (ev, rejected, unsigned):  # accepted, invalid field, bad signature
        h.lines.clear()
        h(case)
        line = h.lines[0]
        for fragment in ("private-marker", '"note"', "1.25", "amount", "currency", "USD"):
            assert fragment not in line
        assert ev["headers"]["webhook-signature"] not in line
        assert ev["headers"]["webhook-signature"].split(",", 1)[1] not in line
        assert secret not in line and secret.removeprefix("whsec_") not in line


def test_default_log_sink_writes_one_line_to_stdout(
    signing_key: bytes, make_event: Any, make_payload: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    service = WebhookService(lambda: Dependencies(FakeSecrets([signing_key]), FakeStore()), clock=lambda: NOW)
    service.handle(event(make_event, make_payload()), None)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out)["statusCode"] == 200


def test_cpu_per_1kb_event_is_small(signing_key: bytes, make_event: Any) -> None:
    body = json.dumps(
        {
            "transactionId": "t",
            "amount": "150.50",
            "currency": "usd",
            "meta": {"items": [{"sku": f"A{i}", "price": 1.25} for i in range(25)]},
        }
    )
    assert 800 <= len(body) <= 1100
    h = Harness(signing_key, store=FakeStore())
    h.store.put = lambda e: True  # type: ignore[method-assign]
    ev = event(make_event, body)
    n = 2000
    started = time.process_time()
    for _ in range(n):
        h.service.handle(ev, None)
    per_request_us = (time.process_time() - started) / n * 1e6
    assert per_request_us < 600  # generous here (shared CI); the benchmark's budget is 150 µs


def test_failing_log_sink_does_not_change_the_answer(signing_key: bytes, make_event: Any, make_payload: Any) -> None:
    def broken_sink(line: str) -> None:
        raise OSError("stdout closed")

    store = FakeStore()
    service = WebhookService(
        lambda: Dependencies(FakeSecrets([signing_key]), store), clock=lambda: NOW, log=broken_sink
    )
    assert service.handle(event(make_event, make_payload()), None)["statusCode"] == 200
    assert len(store.items) == 1
