"""webhook_cli.send's argument handling and what it builds, without a network; webhook_cli.settings."""

from __future__ import annotations

import base64
import json
import time

import pytest
import standardwebhooks
import stripe

from webhook_cli import events, send, signing
from webhook_cli.settings import CliSettings, load

SECRET = "whsec_" + base64.b64encode(b"cli-test-standard-secret-32byte").decode()
STRIPE_SECRET = "whsec_cliStripeTestSecret0123456789abcdef"
ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"


def args(*argv: str):
    return send.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--provider", "stripe", "--amount", "19.99"], "--amount is for --provider standard (use --amount-minor"),
        (["--provider", "adyen", "--extra", "a=1"], "--extra is for --provider standard"),
        (["--amount-minor", "1999"], "--amount-minor is for --provider stripe/adyen (use --amount)"),
        (["--provider", "adyen", "--amount-refunded", "5"], "--amount-refunded is for --provider stripe"),
        (["--provider", "stripe", "--success", "false"], "--success is for --provider adyen"),
        (["--provider", "stripe", "--payload-provider", "x"], "--payload-provider is for --provider standard"),
        (["--provider", "stripe", "--amount-minor", "19.99"], "--amount-minor: '19.99' is not an integer"),
        (["--provider", "adyen", "--timestamp-offset", "-600"], "adyen's signature has no timestamp"),
        (["--provider", "adyen", "--secret", "aa", "--secret", "bb"], "adyen signs with one key"),
        (["--file", "x.json", "--currency", "EUR"], "--file sends the file as it is"),
        (["--file", "x.json", "--amount", ""], "--file sends the file as it is"),
        (["--repeat", "0"], "--repeat must be at least 1"),
        (["--header", "no-colon"], "expected NAME:VALUE"),
        (["--provider", "paypal"], "invalid choice"),
        (["--secret", SECRET, "--unsigned"], "not allowed with"),
    ],
)
def test_bad_combinations_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        send.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_defaults_per_provider():
    standard = json.loads(send.build_body(args()))
    assert (
        standard["amount"] == 12.34 and standard["currency"] == "USD" and standard["transactionId"].startswith("txn_")
    )
    assert "status" not in standard and "provider" not in standard
    event = json.loads(send.build_body(args("--provider", "stripe")))
    assert event["type"] == "payment_intent.succeeded" and event["data"]["object"]["amount"] == 1999
    assert event["data"]["object"]["currency"] == "usd" and event["data"]["object"]["id"].startswith("pi_")
    item = json.loads(send.build_body(args("--provider", "adyen")))["notificationItems"][0]["NotificationRequestItem"]
    assert (item["eventCode"], item["amount"], item["success"]) == (
        "AUTHORISATION",
        {"currency": "USD", "value": 1999},
        "true",
    )


def test_options_map_onto_each_providers_fields():
    body = send.build_body(
        args("--payload-provider", "acme", "--status", "pending", "--event-time", "2026-01-02T03:04:05Z")
    )
    assert json.loads(body) | {"transactionId": "x"} == {
        "transactionId": "x",
        "amount": 12.34,
        "currency": "USD",
        "status": "pending",
        "provider": "acme",
        "timestamp": "2026-01-02T03:04:05Z",
    }
    event = json.loads(
        send.build_body(
            args(
                "--provider",
                "stripe",
                "--status",
                "charge.refunded",
                "--event-id",
                "evt_given",
                "--event-time",
                "1796122800",
            )
        )
    )
    assert (event["id"], event["type"], event["created"]) == ("evt_given", "charge.refunded", 1796122800)
    item = json.loads(
        send.build_body(
            args(
                "--provider",
                "adyen",
                "--status",
                "REFUND",
                "--transaction-id",
                "PSP1",
                "--event-id",
                "PSP2",
                "--success",
                "false",
            )
        )
    )["notificationItems"][0]["NotificationRequestItem"]
    assert (item["pspReference"], item["originalReference"], item["success"]) == ("PSP2", "PSP1", "false")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1796122800", 1796122800), ("2026-12-01T11:00:00Z", 1796122800), ("2026-12-01T12:00:00+01:00", 1796122800)],
)
def test_stripe_created_accepts_unix_seconds_or_iso_8601_with_an_offset(text, expected):
    assert events.stripe_created(text) == expected


@pytest.mark.parametrize("text", ["2026-12-01T11:00:00", "yesterday"])
def test_stripe_created_refuses_ambiguous_times(text):
    with pytest.raises(ValueError, match="--event-time"):
        events.stripe_created(text)


def test_signers_sign_with_the_providers_scheme_and_retry_as_they_do():
    body = send.build_body(args("--provider", "stripe"))
    signer, event_id = send.make_signer("stripe", body, [STRIPE_SECRET], None)
    first, second = signer(1_800_000_000), signer(1_800_000_060)
    assert first.body == second.body and first.path == "/stripe" and event_id == json.loads(body)["id"]
    assert first.headers["Stripe-Signature"] != second.headers["Stripe-Signature"]  # a retry signs again
    stripe.WebhookSignature.verify_header(body, first.headers["Stripe-Signature"], STRIPE_SECRET, tolerance=None)

    signer, event_id = send.make_signer("standard", b'{"a": 1}', [SECRET], "msg_fixed")
    delivery = signer(1_800_000_000)
    assert event_id == "msg_fixed" and delivery.headers["webhook-id"] == "msg_fixed"
    assert signing.standard_signed_by([SECRET], delivery.headers, delivery.body)

    adyen_body = send.build_body(args("--provider", "adyen", "--event-id", "PSPX", "--transaction-id", "PSPX"))
    signer, event_id = send.make_signer("adyen", adyen_body, [ADYEN_KEY], None)
    assert signer(1).body == signer(2).body  # no timestamp: a retry is the same bytes
    assert event_id == "AUTHORISATION:PSPX:true" and signing.adyen_signed_by([ADYEN_KEY], signer(1).body)


def test_overrides_replace_the_content_type_and_add_headers():
    delivery = signing.standard_delivery(b"{}", [SECRET], "m", 1)
    changed = send.with_overrides(delivery, args("--content-type", "text/plain", "--header", "X-Test: 1"))
    assert changed.headers["content-type"] == "text/plain" and changed.headers["X-Test"] == "1"
    assert changed.headers["webhook-signature"] == delivery.headers["webhook-signature"]
    assert changed.path == "/"
    assert send.with_overrides(delivery, args("--path", "standard")).path == "/standard"
    assert send.with_overrides(delivery, args("--path", "/paypal")).url("http://h:1/") == "http://h:1/paypal"


def test_secrets_per_provider_come_from_its_own_variable():
    settings = CliSettings({"WEBHOOK_SECRET": SECRET, "STRIPE_SECRET": STRIPE_SECRET}, {"ADYEN_HMAC_KEY": ADYEN_KEY})
    assert send.find_secrets(args(), settings) == [SECRET]
    assert send.find_secrets(args("--provider", "stripe"), settings) == [STRIPE_SECRET]
    assert send.find_secrets(args("--provider", "adyen"), settings) == [ADYEN_KEY]
    assert send.find_secrets(args("--unsigned"), settings) is None
    assert send.find_secrets(args("--secret", "whsec_b3RoZXI="), settings) == ["whsec_b3RoZXI="]
    with pytest.raises(send.UsageError, match="ADYEN_HMAC_KEY"):
        send.find_secrets(args("--provider", "adyen"), CliSettings({}, {}))
    with pytest.raises(ValueError, match="hex"):
        send.find_secrets(args("--provider", "adyen", "--secret", "xyz"), settings)


def test_the_reference_library_accepts_what_the_sender_signs_with_an_unpadded_secret():
    unpadded = SECRET.rstrip("=")
    settings = CliSettings({}, {})
    (secret,) = send.find_secrets(args("--secret", unpadded), settings)
    delivery = send.make_signer("standard", b"{}", [secret], None)[0](int(time.time()))
    standardwebhooks.Webhook(SECRET).verify(delivery.body, dict(delivery.headers))


# ------------------------------------------------------------------ settings


def test_settings_prefer_the_option_then_the_shell_then_the_env_file():
    settings = CliSettings({"FUNCTION_URL": "http://file/"}, {"FUNCTION_URL": "http://shell/"})
    assert settings.get("FUNCTION_URL", "http://option/") == "http://option/"
    assert settings.get("FUNCTION_URL") == "http://shell/"
    assert CliSettings({"FUNCTION_URL": "http://file/"}, {"FUNCTION_URL": ""}).get("FUNCTION_URL") == "http://file/"
    assert CliSettings({}, {}).get("FUNCTION_URL") is None


def test_boto3_arguments_locally_and_on_aws():
    on_aws = CliSettings({}, {"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIA..."})
    assert on_aws.boto3_kwargs() == {"region_name": "eu-west-1"}
    local = CliSettings(
        {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "harness",
            "AWS_SECRET_ACCESS_KEY": "harness-secret",
        },
        {"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "shell-key"},
    )
    assert local.boto3_kwargs() == {
        "endpoint_url": "http://127.0.0.1:5000",
        "region_name": "us-east-1",  # the env file's emulator, not the shell's AWS region
        "aws_access_key_id": "harness",
        "aws_secret_access_key": "harness-secret",
    }
    bare = CliSettings({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, {})
    assert bare.boto3_kwargs()["aws_access_key_id"] == "testing"
    shell = CliSettings({}, {"AWS_ENDPOINT_URL": "http://127.0.0.1:6000", "AWS_ACCESS_KEY_ID": "k", "AWS_REGION": "r"})
    assert shell.boto3_kwargs() == {"endpoint_url": "http://127.0.0.1:6000", "region_name": "r"}


def test_load_reads_a_named_file_and_skips_a_missing_default(tmp_path, monkeypatch):
    env_file = tmp_path / "local.env"
    env_file.write_text("FUNCTION_URL=http://127.0.0.1:1/\n")
    assert load(env_file).file_values == {"FUNCTION_URL": "http://127.0.0.1:1/"}
    with pytest.raises(OSError):
        load(tmp_path / "missing.env")
    monkeypatch.setattr("webhook_cli.settings.DEFAULT_ENV_FILE", tmp_path / "absent.env")
    assert load(None).file_values == {}
    assert load(None, use_default=False).file_values == {}
