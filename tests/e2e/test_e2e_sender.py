"""tools/send_webhook.py: signing, payload building and the CLI, over real HTTP.

The receiving end here is a small verifier written independently of the
sender (Standard Webhooks rules), so a bug shared by both cannot pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
import send_webhook

ROOT = Path(__file__).resolve().parents[2]
SENDER = ROOT / "tools" / "send_webhook.py"
SECRET = "whsec_" + base64.b64encode(b"e2e-sender-test-key-32-bytes-lo").decode()

pytestmark = pytest.mark.timeout(120)


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    if not msg_id or not timestamp or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    for candidate in headers.get("webhook-signature", "").split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


class Receiver:
    """Records each request; 200 if correctly signed with SECRET, 401 otherwise, or a forced status."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.force_status: int | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append({"headers": headers, "body": body})
                ok = verify(SECRET, headers, body)
                status = receiver.force_status or (200 if ok else 401)
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
    *args: str, env_extra: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, str(SENDER), "--env-file", "/dev/null", *args],
        capture_output=True,
        input=stdin,
        env=env,
        timeout=60,
    )


# ------------------------------------------------------------------ signing


def test_signature_matches_the_standard_webhooks_reference_vector():
    assert (
        send_webhook.sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_one_signature_per_secret():
    headers = send_webhook.signature_headers(
        [SECRET, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], "msg_1", 1700000000, b"{}"
    )
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert all(part.startswith("v1,") for part in headers["webhook-signature"].split(" "))


@pytest.mark.parametrize("bad", ["whsec_", "whsec_not base64!", "whsec_abc"])
def test_malformed_secrets_are_refused(bad):
    with pytest.raises(ValueError):
        send_webhook.secret_key(bad)


# ------------------------------------------------------------------ payload


@pytest.mark.parametrize(
    "amount",
    [
        "1234567890123456789.01",
        "0.1",
        "1E-130",
        "9.9999999999999999999999999999999999999E+125",
        "-0.00",
        '"12.50"',
        "100",
    ],
)
def test_amounts_are_sent_verbatim(amount):
    body = send_webhook.build_payload("tx-1", amount, "usd")
    assert f'"amount": {amount}'.encode() in body
    parsed = json.loads(body, parse_float=Decimal)
    assert str(parsed["amount"]) == (amount.strip('"') if amount.startswith('"') else str(Decimal(amount)))


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "12,50", "1.2.3", "", "0x10", "{"])
def test_amounts_that_are_not_json_are_refused(amount):
    with pytest.raises(ValueError):
        send_webhook.build_payload("tx-1", amount, "usd")


def test_optional_fields_are_left_out_unless_given():
    body = json.loads(send_webhook.build_payload("tx-1", "1", "EUR"))
    assert set(body) == {"transactionId", "amount", "currency"}
    full = json.loads(
        send_webhook.build_payload(
            "tx-1", "1", "EUR", "succeeded", "acme", "2026-01-02T03:04:05Z", [("meta", '{"a": [1.10]}')]
        )
    )
    assert full["status"] == "succeeded" and full["provider"] == "acme" and full["timestamp"] == "2026-01-02T03:04:05Z"
    assert full["meta"] == {"a": [1.1]}


# ------------------------------------------------------------------ the CLI over HTTP


def test_help_explains_itself():
    result = run_cli("--help")
    assert result.returncode == 0
    text = result.stdout.decode()
    for expected in (
        "Standard Webhooks",
        "--amount",
        "--repeat",
        "--timestamp-offset",
        "--secret-param",
        "exit status",
        "examples",
    ):
        assert expected in text


def test_a_signed_delivery(receiver):
    result = run_cli(
        "--url",
        receiver.url,
        "--secret",
        SECRET,
        "--transaction-id",
        "tx-42",
        "--amount",
        "1234567890123456789.01",
        "--currency",
        "eur",
        "--status",
        "pending",
        "--provider",
        "acme",
        "--event-id",
        "msg_cli_1",
    )
    assert result.returncode == 0, result.stderr
    assert b"HTTP 200" in result.stdout
    (request,) = receiver.requests
    assert request["headers"]["webhook-id"] == "msg_cli_1"
    assert request["headers"]["content-type"] == "application/json"
    assert abs(int(request["headers"]["webhook-timestamp"]) - time.time()) < 10
    assert request["body"] == (
        b'{"transactionId": "tx-42", "amount": 1234567890123456789.01, "currency": "eur", '
        b'"status": "pending", "provider": "acme"}'
    )
    assert SECRET.encode() not in result.stdout + result.stderr


def test_repeat_redelivers_the_same_event_with_fresh_signatures(receiver):
    result = run_cli("--url", receiver.url, "--secret", SECRET, "--repeat", "3", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [line["attempt"] for line in lines] == [1, 2, 3]
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    assert len({r["body"] for r in receiver.requests}) == 1
    assert len(receiver.requests) == 3


def test_timestamp_offset_makes_a_stale_delivery(receiver):
    result = run_cli("--url", receiver.url, "--secret", SECRET, "--timestamp-offset", "-600")
    assert result.returncode == 1  # the receiver refused it: non-2xx
    assert b"HTTP 401" in result.stdout
    assert int(receiver.requests[0]["headers"]["webhook-timestamp"]) < time.time() - 590


def test_unsigned_sends_no_signature(receiver):
    result = run_cli("--url", receiver.url, "--unsigned")
    assert result.returncode == 1
    assert "webhook-signature" not in receiver.requests[0]["headers"]
    assert "webhook-id" in receiver.requests[0]["headers"]


def test_file_is_sent_byte_for_byte(receiver, tmp_path):
    payload = b'{"transactionId":"tx-f","amount":0.10,"currency":"USD","nested":{"n":1e400}}\n'
    (tmp_path / "event.json").write_bytes(payload)
    assert run_cli("--url", receiver.url, "--secret", SECRET, "--file", str(tmp_path / "event.json")).returncode == 0
    assert run_cli("--url", receiver.url, "--secret", SECRET, "--file", "-", stdin=payload).returncode == 0
    assert [r["body"] for r in receiver.requests] == [payload, payload]


def test_file_and_payload_options_do_not_mix(tmp_path):
    result = run_cli("--url", "http://127.0.0.1:9/", "--secret", SECRET, "--file", "x.json", "--amount", "1")
    assert result.returncode == 2


def test_settings_come_from_the_environment_and_the_env_file(receiver, tmp_path):
    assert run_cli(env_extra={"FUNCTION_URL": receiver.url, "WEBHOOK_SECRET": SECRET}).returncode == 0
    env_file = tmp_path / "local.env"
    env_file.write_text(f"FUNCTION_URL={receiver.url}\nWEBHOOK_SECRET={SECRET}\n")
    result = subprocess.run([sys.executable, str(SENDER), "--env-file", str(env_file)], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert all(verify(SECRET, r["headers"], r["body"]) for r in receiver.requests)


def test_exit_status_for_errors_and_unreachable_servers(receiver):
    receiver.force_status = 500
    assert run_cli("--url", receiver.url, "--secret", SECRET).returncode == 1
    receiver.force_status = 202
    assert run_cli("--url", receiver.url, "--secret", SECRET).returncode == 0
    unreachable = run_cli("--url", "http://127.0.0.1:9/", "--secret", SECRET, "--timeout", "5")
    assert unreachable.returncode == 3
    assert run_cli("--url", receiver.url).returncode == 2  # no secret anywhere
    assert run_cli("--url", receiver.url, "--secret", "whsec_!!").returncode == 2
    assert run_cli("--url", receiver.url, "--secret", SECRET, "--amount", "12,50").returncode == 2


def test_secret_param_reads_the_ssm_securestring(receiver, moto_endpoint):
    other = "whsec_" + base64.b64encode(b"another-rotated-secret-32-bytes").decode()
    stack_aws_client("ssm", moto_endpoint).put_parameter(
        Name="/e2e/sender/secrets", Value=f"{SECRET} {other}", Type="SecureString", Overwrite=True
    )
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


def stack_aws_client(service: str, endpoint: str):
    import stack

    return boto3.client(service, **stack.boto3_kwargs(endpoint))
