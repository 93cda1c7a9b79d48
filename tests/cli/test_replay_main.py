"""`python -m webhook_cli.replay`'s main(): settings, SSM secrets per provider, the queue; moto in-process.

The HTTP side is replaced by a recorder (webhook_cli.replay.http_post), so nothing leaves the process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator

import boto3
import pytest
import stripe
from moto import mock_aws

from webhook_cli import events, replay, signing
from webhook_cli.providers import REGISTRY

REGION = "eu-west-1"
SECRET = "whsec_" + base64.b64encode(b"cli-test-standard-secret-32byte").decode()
STRIPE_SECRET = "whsec_cliStripeTestSecret0123456789abcdef"
ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
PARAMS = {"standard": "/cli/standard", "stripe": "/cli/stripe", "adyen": "/cli/adyen"}


def message(provider: str, event_id: str, body: bytes, headers: dict[str, str]) -> str:
    return json.dumps(
        {
            "schema": "webhook-quarantine/1",
            "eventId": event_id,
            "provider": provider,
            "path": REGISTRY[provider].path,
            "receivedAt": "2026-11-28T10:00:00.000Z",
            "reason": {"code": "invalid_field", "message": "currency"},
            "headers": {k.lower(): v for k, v in headers.items()},
            "bodyEncoding": "base64",
            "body": base64.b64encode(body).decode(),
            "bodySha256": hashlib.sha256(body).hexdigest(),
        }
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "FUNCTION_URL", "QUARANTINE_QUEUE_URL", "FUNCTION_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name in ("WEBHOOK_SECRET", "STRIPE_SECRET", "ADYEN_HMAC_KEY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name + "_PARAM", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        ssm = boto3.client("ssm", region_name=REGION)
        for provider, value in (("standard", SECRET), ("stripe", STRIPE_SECRET), ("adyen", ADYEN_KEY)):
            ssm.put_parameter(Name=PARAMS[provider], Value=value, Type="SecureString")
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName="webhook-dev-quarantine")["QueueUrl"]
        old = int(time.time()) - 86400
        standard_body = events.build_payload("txn_m1", "1", "XYZ")
        stripe_body = events.stripe_event("payment_intent.succeeded", "pi_m1", 100, "xyz", event_id="evt_m1")
        adyen = signing.adyen_delivery(
            events.adyen_notification("AUTHORISATION", "PSPM000000000001", 1, "XYZ"), ADYEN_KEY
        )
        for text in (
            message(
                "standard",
                "msg_m1",
                standard_body,
                dict(signing.standard_delivery(standard_body, [SECRET], "msg_m1", old).headers),
            ),
            message(
                "stripe",
                "evt_m1",
                stripe_body,
                dict(signing.stripe_delivery(stripe_body, [STRIPE_SECRET], old).headers),
            ),
            message("adyen", "", adyen.body, dict(adyen.headers)),
        ):
            sqs.send_message(QueueUrl=queue, MessageBody=text)
        yield {"sqs": sqs, "queue": queue}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, signing.Delivery]]:
    recorded: list[tuple[str, signing.Delivery]] = []

    def http_post(url: str, timeout: float):
        def send(delivery: signing.Delivery) -> int:
            recorded.append((url, delivery))
            return 200

        return send

    monkeypatch.setattr(replay, "http_post", http_post)
    return recorded


def cli(*args: str) -> list[str]:
    return ["--env-file", "/dev/null", "--url", "https://fn.lambda-url.eu-west-1.on.aws/", "--json", *args]


def test_every_provider_is_replayed_with_its_secret_from_ssm(aws, sent, capsys):
    code = replay.main(
        cli(
            "--queue-url",
            aws["queue"],
            "--secret-param",
            PARAMS["standard"],
            "--stripe-secret-param",
            PARAMS["stripe"],
            "--adyen-key-param",
            PARAMS["adyen"],
        )
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert sorted((line["provider"], line["action"]) for line in lines) == [
        ("adyen", "replayed"),
        ("standard", "replayed"),
        ("stripe", "replayed"),
    ]
    assert sorted(d.path for _, d in sent) == ["/", "/adyen", "/stripe"]
    stripe_delivery = next(d for _, d in sent if d.provider == "stripe")
    stripe.WebhookSignature.verify_header(
        stripe_delivery.body, stripe_delivery.headers["Stripe-Signature"], STRIPE_SECRET, 300
    )
    assert aws["sqs"].receive_message(QueueUrl=aws["queue"]).get("Messages") is None  # all deleted
    for secret in (SECRET, STRIPE_SECRET, ADYEN_KEY):
        assert secret not in out + err
    assert "deleted 3, left 0" in err


def test_the_queue_comes_from_the_function_name_and_params_from_the_environment(aws, sent, capsys, monkeypatch):
    monkeypatch.setenv("FUNCTION_NAME", "webhook-dev")
    monkeypatch.setenv("WEBHOOK_SECRET_PARAM", PARAMS["standard"])
    code = replay.main(cli("--dry-run"))
    out, err = capsys.readouterr()
    assert code == 0, err
    actions = {json.loads(line)["provider"]: json.loads(line)["action"] for line in out.splitlines()}
    # Only the standard secret is known: Stripe's copy cannot be re-signed, Adyen's not verified.
    assert actions == {"standard": "listed", "stripe": "no_secret", "adyen": "unverified"}
    assert sent == []


def test_without_url_or_any_secret_it_is_a_usage_error(aws, sent, capsys):
    assert replay.main(["--env-file", "/dev/null", "--queue-url", aws["queue"]]) == 2
    assert "no URL: pass --url" in capsys.readouterr().err
    assert replay.main(cli("--queue-url", aws["queue"])) == 2
    assert "no usable secret" in capsys.readouterr().err
