"""`python -m webhook_cli.send` as an operator runs it, over real HTTP, for each provider
(and `python -m webhook_cli.status` against a moto server, as after `make up`).

The receiving end here is a small verifier written independently of the sender, from
docs/behaviour.md, "Signatures" and "Providers" (Standard Webhooks on `/`, Stripe on
`/stripe`, Adyen on `/adyen`), so a bug shared by the sender and webhook_cli.signing cannot pass. (That the
SDKs' own verifiers accept webhook_cli.signing's deliveries is tests/cli/test_signing.py.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + base64.b64encode(b"e2e-sender-test-key-32-bytes-lo").decode()
STRIPE_SECRET = "whsec_e2eStripeSenderSecret0123456789"
ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"

pytestmark = pytest.mark.timeout(120)


def verify_standard(headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    if not msg_id or not timestamp or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    for candidate in headers.get("webhook-signature", "").split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


def verify_stripe(headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    fields = [part.partition("=") for part in headers.get("stripe-signature", "").split(",")]
    timestamps = [value for key, _, value in fields if key == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or abs(time.time() - int(timestamps[0])) > tolerance:
        return False
    expected = hmac.new(STRIPE_SECRET.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(key == "v1" and hmac.compare_digest(value, expected) for key, _, value in fields)


def verify_adyen(body: bytes) -> bool:
    try:
        items = [entry["NotificationRequestItem"] for entry in json.loads(body)["notificationItems"]]
    except (ValueError, KeyError, TypeError):
        return False
    for item in items:
        amount = item.get("amount", {})
        signed = ":".join(
            str(x)
            for x in (
                item.get("pspReference", ""),
                item.get("originalReference", ""),
                item.get("merchantAccountCode", ""),
                item.get("merchantReference", ""),
                amount.get("value", ""),
                amount.get("currency", ""),
                item.get("eventCode", ""),
                item.get("success", ""),
            )
        )
        mac = base64.b64encode(hmac.new(binascii.unhexlify(ADYEN_KEY), signed.encode(), hashlib.sha256).digest())
        offered = item.get("additionalData", {}).get("hmacSignature", "")
        if not items or not hmac.compare_digest(mac.decode(), offered):
            return False
    return bool(items)


VERIFIERS = {
    "/": lambda headers, body: verify_standard(headers, body),
    "/stripe": lambda headers, body: verify_stripe(headers, body),
    "/adyen": lambda headers, body: verify_adyen(body),
}


class Receiver:
    """Records each request; 200 if correctly signed for its path, 401 if not, 404 off-path, or a forced status."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.force_status: int | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verifier = VERIFIERS.get(self.path)
                ok = bool(verifier and verifier(headers, body))
                receiver.requests.append({"path": self.path, "headers": headers, "body": body, "ok": ok})
                status = receiver.force_status or (404 if verifier is None else 200 if ok else 401)
                answer = json.dumps({"ok": ok}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver():
    with Receiver() as running:
        yield running


def run_cli(
    *args: str, env_extra: dict[str, str] | None = None, stdin: bytes | None = None, env_file: str = "/dev/null"
) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    env["PYTHONPATH"] = os.environ["PYTHONPATH"]  # the harness and the function's package (tests/conftest.py)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "webhook_cli.send", "--env-file", env_file, *args],
        capture_output=True,
        input=stdin,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def secrets_for(provider: str) -> list[str]:
    return [
        "--provider",
        provider,
        "--secret",
        {"standard": SECRET, "stripe": STRIPE_SECRET, "adyen": ADYEN_KEY}[provider],
    ]


# ------------------------------------------------------------------ the CLI over HTTP


def test_help_explains_itself():
    result = run_cli("--help")
    assert result.returncode == 0
    text = result.stdout.decode()
    for expected in (
        "Standard Webhooks",
        "Stripe",
        "Adyen",
        "--provider",
        "--amount-minor",
        "--repeat",
        "--timestamp-offset",
        "--secret-param",
        "exit status",
        "examples",
    ):
        assert expected in text


def test_a_signed_standard_delivery(receiver):
    result = run_cli(
        *secrets_for("standard"),
        "--url",
        receiver.url,
        "--transaction-id",
        "tx-42",
        "--amount",
        "1234567890123456789.01",
        "--currency",
        "eur",
        "--status",
        "pending",
        "--payload-provider",
        "acme",
        "--event-id",
        "msg_cli_1",
    )
    assert result.returncode == 0, result.stderr
    assert b"HTTP 200" in result.stdout
    (request,) = receiver.requests
    assert request["path"] == "/" and request["ok"]
    assert request["headers"]["webhook-id"] == "msg_cli_1"
    assert request["headers"]["content-type"] == "application/json"
    assert abs(int(request["headers"]["webhook-timestamp"]) - time.time()) < 10
    assert request["body"] == (
        b'{"transactionId": "tx-42", "amount": 1234567890123456789.01, "currency": "eur", '
        b'"status": "pending", "provider": "acme"}'
    )
    assert SECRET.encode() not in result.stdout + result.stderr


def test_a_stripe_delivery_is_a_stripe_event_on_the_stripe_path(receiver):
    result = run_cli(
        *secrets_for("stripe"),
        "--url",
        receiver.url,
        "--status",
        "charge.refunded",
        "--transaction-id",
        "pi_e2e_1",
        "--amount-minor",
        "1999",
        "--amount-refunded",
        "500",
        "--currency",
        "USD",
        "--event-time",
        "2026-12-01T11:00:00Z",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    (request,) = receiver.requests
    assert request["path"] == "/stripe" and request["ok"]
    assert request["headers"]["content-type"].startswith("application/json")
    assert "webhook-signature" not in request["headers"]
    event = json.loads(request["body"])
    assert event["id"].startswith("evt_") and event["type"] == "charge.refunded" and event["livemode"] is False
    assert event["created"] == 1796122800
    charge = event["data"]["object"]
    assert (charge["amount"], charge["amount_refunded"], charge["currency"]) == (1999, 500, "usd")
    assert charge["payment_intent"] == "pi_e2e_1"
    assert json.loads(result.stdout)["eventId"] == event["id"]
    assert STRIPE_SECRET.encode() not in result.stdout + result.stderr


def test_an_adyen_delivery_carries_its_signature_in_each_item(receiver):
    result = run_cli(
        *secrets_for("adyen"),
        "--url",
        receiver.url,
        "--status",
        "CAPTURE",
        "--transaction-id",
        "PSPE2E0000000001",
        "--amount-minor",
        "1000",
        "--currency",
        "EUR",
        "--event-id",
        "PSPE2E000000000C",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    (request,) = receiver.requests
    assert request["path"] == "/adyen" and request["ok"]
    notification = json.loads(request["body"])
    assert notification["live"] == "false"
    (entry,) = notification["notificationItems"]
    item = entry["NotificationRequestItem"]
    assert (item["eventCode"], item["pspReference"], item["originalReference"]) == (
        "CAPTURE",
        "PSPE2E000000000C",
        "PSPE2E0000000001",
    )
    assert item["amount"] == {"currency": "EUR", "value": 1000} and item["success"] == "true"
    assert json.loads(result.stdout)["eventId"] == "CAPTURE:PSPE2E000000000C:true"
    assert ADYEN_KEY.encode() not in result.stdout + result.stderr


def test_repeat_redelivers_the_same_event_as_each_provider_retries(receiver):
    for provider in ("standard", "stripe", "adyen"):
        receiver.requests.clear()
        result = run_cli(*secrets_for(provider), "--url", receiver.url, "--repeat", "3", "--json")
        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
        assert [line["attempt"] for line in lines] == [1, 2, 3]
        assert len(receiver.requests) == 3 and all(r["ok"] for r in receiver.requests)
        assert len({r["body"] for r in receiver.requests}) == 1  # the same event
        if provider == "standard":
            assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1


def test_timestamp_offset_makes_a_stale_delivery(receiver):
    result = run_cli(*secrets_for("standard"), "--url", receiver.url, "--timestamp-offset", "-600")
    assert result.returncode == 1  # the receiver refused it: non-2xx
    assert b"HTTP 401" in result.stdout
    assert int(receiver.requests[0]["headers"]["webhook-timestamp"]) < time.time() - 590
    stale = run_cli(*secrets_for("stripe"), "--url", receiver.url, "--timestamp-offset", "-600")
    assert stale.returncode == 1 and receiver.requests[1]["path"] == "/stripe" and not receiver.requests[1]["ok"]


def test_unsigned_sends_no_signature(receiver):
    assert run_cli("--url", receiver.url, "--unsigned").returncode == 1
    assert "webhook-signature" not in receiver.requests[0]["headers"]
    assert "webhook-id" in receiver.requests[0]["headers"]
    assert run_cli("--provider", "stripe", "--url", receiver.url, "--unsigned").returncode == 1
    assert "stripe-signature" not in receiver.requests[1]["headers"]
    assert run_cli("--provider", "adyen", "--url", receiver.url, "--unsigned").returncode == 1
    assert b"hmacSignature" not in receiver.requests[2]["body"]


def test_file_is_sent_byte_for_byte(receiver, tmp_path):
    payload = b'{"transactionId":"tx-f","amount":0.10,"currency":"USD","nested":{"n":1e400}}\n'
    (tmp_path / "event.json").write_bytes(payload)
    assert (
        run_cli(*secrets_for("standard"), "--url", receiver.url, "--file", str(tmp_path / "event.json")).returncode == 0
    )
    assert run_cli(*secrets_for("standard"), "--url", receiver.url, "--file", "-", stdin=payload).returncode == 0
    stripe_event = b'{\n  "id": "evt_file",\n  "type": "payment_intent.succeeded"\n}'
    assert run_cli(*secrets_for("stripe"), "--url", receiver.url, "--file", "-", stdin=stripe_event).returncode == 0
    assert [r["body"] for r in receiver.requests] == [payload, payload, stripe_event]
    assert [r["path"] for r in receiver.requests] == ["/", "/", "/stripe"]


def test_an_adyen_file_gets_every_item_signed(receiver, tmp_path):
    item = {
        "amount": {"currency": "EUR", "value": 500},
        "eventCode": "REFUND",
        "merchantAccountCode": "M",
        "merchantReference": "r",
        "originalReference": "PSPFILE000000001",
        "pspReference": "PSPFILE00000000R",
        "success": "true",
    }
    notification = {"live": "false", "notificationItems": [{"NotificationRequestItem": item}] * 2}
    result = run_cli(
        *secrets_for("adyen"), "--url", receiver.url, "--file", "-", stdin=json.dumps(notification).encode()
    )
    assert result.returncode == 0, result.stderr
    (request,) = receiver.requests
    assert request["ok"] and request["body"].count(b"hmacSignature") == 2


def test_options_of_another_provider_or_with_file_are_refused():
    for args in (
        ("--file", "x.json", "--amount", "1"),
        ("--provider", "stripe", "--amount", "19.99"),
        ("--provider", "standard", "--amount-minor", "1999"),
        ("--provider", "stripe", "--amount-minor", "19.99"),
        ("--provider", "adyen", "--timestamp-offset", "-600"),
        ("--provider", "standard", "--success", "false"),
    ):
        result = run_cli("--url", "http://127.0.0.1:9/", "--secret", SECRET, *args)
        assert result.returncode == 2, args
        assert b"error" in result.stderr


def test_settings_come_from_the_environment_and_the_env_file(receiver, tmp_path):
    assert run_cli(env_extra={"FUNCTION_URL": receiver.url, "WEBHOOK_SECRET": SECRET}).returncode == 0
    env_file = tmp_path / "local.env"
    env_file.write_text(
        f"FUNCTION_URL={receiver.url}\nWEBHOOK_SECRET={SECRET}\nSTRIPE_SECRET={STRIPE_SECRET}\nADYEN_HMAC_KEY={ADYEN_KEY}\n"
    )
    for provider in ("standard", "stripe", "adyen"):
        result = run_cli("--provider", provider, env_file=str(env_file))
        assert result.returncode == 0, result.stderr
    assert [r["path"] for r in receiver.requests] == ["/", "/", "/stripe", "/adyen"]
    assert all(r["ok"] for r in receiver.requests)


def test_exit_status_for_errors_and_unreachable_servers(receiver):
    receiver.force_status = 500
    assert run_cli(*secrets_for("standard"), "--url", receiver.url).returncode == 1
    receiver.force_status = 202
    assert run_cli(*secrets_for("standard"), "--url", receiver.url).returncode == 0
    unreachable = run_cli(*secrets_for("standard"), "--url", "http://127.0.0.1:9/", "--timeout", "5")
    assert unreachable.returncode == 3
    assert run_cli("--url", receiver.url).returncode == 2  # no secret anywhere
    assert run_cli("--provider", "stripe", "--url", receiver.url).returncode == 2
    assert run_cli("--url", receiver.url, "--secret", "whsec_a").returncode == 2
    assert run_cli("--provider", "adyen", "--url", receiver.url, "--secret", "not-hex").returncode == 2
    assert run_cli(*secrets_for("standard"), "--url", receiver.url, "--amount", "12,50").returncode == 2


def test_secret_param_reads_the_ssm_securestring(receiver, moto_endpoint):
    other = "whsec_" + base64.b64encode(b"another-rotated-secret-32-bytes").decode()
    ssm = boto3.client(
        "ssm",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ssm.put_parameter(Name="/e2e/sender/secrets", Value=f"{SECRET} {other}", Type="SecureString", Overwrite=True)
    result = run_cli(
        "--url",
        receiver.url,
        "--secret-param",
        "/e2e/sender/secrets",
        env_extra={
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
    )
    assert result.returncode == 0, result.stderr
    signatures = receiver.requests[0]["headers"]["webhook-signature"].split()
    assert len(signatures) == 2  # one per secret in the parameter (rotation)
    assert SECRET.encode() not in result.stdout + result.stderr


# ------------------------------------------------------------------ the status command, as after `make up`


def test_status_reads_the_local_tables_through_the_env_file(moto_endpoint, tmp_path):
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    key = [{"AttributeName": "transactionId", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "transactionId", "AttributeType": "S"}]
    ddb.create_table(
        TableName="e2e-status-payments", KeySchema=key, AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST"
    )
    ddb.create_table(
        TableName="e2e-status-transactions",
        KeySchema=[*key, {"AttributeName": "eventId", "KeyType": "RANGE"}],
        AttributeDefinitions=[*attributes, {"AttributeName": "eventId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for event_id, status, at in (
        ("CAPTURE:P2:true", "CAPTURE", "11:01"),
        ("AUTHORISATION:P1:true", "AUTHORISATION", "11:00"),
    ):
        ddb.put_item(
            TableName="e2e-status-transactions",
            Item={
                "transactionId": {"S": "P1"},
                "eventId": {"S": event_id},
                "status": {"S": status},
                "amount": {"N": "10.00"},
                "currency": {"S": "EUR"},
                "provider": {"S": "adyen"},
                "timestamp": {"S": f"2026-12-01T{at}:00.000Z"},
            },
        )
    ddb.put_item(
        TableName="e2e-status-payments",
        Item={
            "transactionId": {"S": "P1"},
            "status": {"S": "succeeded"},
            "providerStatus": {"S": "CAPTURE"},
            "lastEventId": {"S": "CAPTURE:P2:true"},
            "amount": {"N": "10.00"},
        },
    )
    env_file = tmp_path / "local.env"
    env_file.write_text(
        f"AWS_ENDPOINT_URL={moto_endpoint}\nAWS_REGION=us-east-1\n"
        "TABLE_NAME=e2e-status-transactions\nPAYMENTS_TABLE_NAME=e2e-status-payments\n"
    )
    # The shell points at "real AWS" (another region, no endpoint): the env file's emulator wins.
    env = {"PATH": "/usr/bin:/bin", "AWS_CONFIG_FILE": "/dev/null", "AWS_REGION": "eu-west-3"}
    env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    command = [sys.executable, "-m", "webhook_cli.status", "--env-file", str(env_file)]
    result = subprocess.run([*command, "P1", "--json"], capture_output=True, env=env, cwd=ROOT, timeout=60, text=True)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["payment"]["status"] == "succeeded" and data["payment"]["amount"] == "10.00"
    assert [e["eventId"] for e in data["events"]] == ["AUTHORISATION:P1:true", "CAPTURE:P2:true"]
    missing = subprocess.run([*command, "P404"], capture_output=True, env=env, cwd=ROOT, timeout=60, text=True)
    assert missing.returncode == 1 and "no item in e2e-status-payments" in missing.stdout
