"""webhook_cli.status: one payment's item and its event history, read from moto in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local_stack.emulator.fixtures import create_payments_table, create_transactions_table
from webhook_cli import status

REGION = "eu-west-1"
PAYMENTS = "webhook-payments-clitest"
EVENTS = "webhook-transactions-clitest"


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "PAYMENTS_TABLE_NAME", "TABLE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_payments_table(client, PAYMENTS)
        create_transactions_table(client, EVENTS)
        yield client


def put_event(client, event_id: str, stripe_type: str, timestamp: str, processed_at: str, tx: str = "pi_st_1") -> None:
    client.put_item(
        TableName=EVENTS,
        Item={
            "transactionId": {"S": tx},
            "eventId": {"S": event_id},
            "amount": {"N": "1234567890123456789.01"},
            "amountMinor": {"N": "123456789012345678901"},
            "currency": {"S": "USD"},
            "status": {"S": stripe_type},
            "provider": {"S": "stripe"},
            "timestamp": {"S": timestamp},
            "processedAt": {"S": processed_at},
            "rawEvent": {"S": "{}"},
        },
    )


@pytest.fixture
def stored(ddb) -> object:
    # Delivered out of order: refunded first, then succeeded, then created.
    put_event(ddb, "evt_3", "charge.refunded", "2026-12-01T11:02:00.000Z", "2026-12-01T11:05:00.000Z")
    put_event(ddb, "evt_2", "payment_intent.succeeded", "2026-12-01T11:01:00.000Z", "2026-12-01T11:05:01.000Z")
    put_event(ddb, "evt_1", "payment_intent.created", "2026-12-01T11:00:00.000Z", "2026-12-01T11:05:02.000Z")
    put_event(
        ddb, "evt_9", "payment_intent.created", "2026-12-01T11:00:00.000Z", "2026-12-01T11:05:02.000Z", "pi_other"
    )
    ddb.put_item(
        TableName=PAYMENTS,
        Item={
            "transactionId": {"S": "pi_st_1"},
            "status": {"S": "refunded"},
            "providerStatus": {"S": "charge.refunded"},
            "amount": {"N": "1234567890123456789.01"},
            "currency": {"S": "USD"},
            "provider": {"S": "stripe"},
            "lastEventId": {"S": "evt_3"},
            "eventTime": {"S": "2026-12-01T11:02:00.000Z"},
            "updatedAt": {"S": "2026-12-01T11:05:00.000Z"},
            "orderKey": {"S": "1|2026-12-01T11:02:00.000Z|5|evt_3"},
        },
    )
    return ddb


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = status.main(["--no-env-file", "--payments-table", PAYMENTS, "--table", EVENTS, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_the_current_item_and_the_history_in_event_time_order(stored, capsys):
    code, out, _ = run(capsys, "pi_st_1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"payment pi_st_1 (current status, table {PAYMENTS})"
    fields = dict(line.split(None, 1) for line in lines[1:9])
    assert fields == {
        "status": "refunded",
        "providerStatus": "charge.refunded",
        "amount": "1234567890123456789.01",  # exactly as stored, not through a float
        "currency": "USD",
        "provider": "stripe",
        "lastEventId": "evt_3",
        "eventTime": "2026-12-01T11:02:00.000Z",
        "updatedAt": "2026-12-01T11:05:00.000Z",
    }
    history = [line.split() for line in lines if line.lstrip().startswith(("evt_", "* evt_"))]
    assert [row[0] if row[0] != "*" else row[1] for row in history] == ["evt_1", "evt_2", "evt_3"]
    assert history[-1][:3] == ["*", "evt_3", "charge.refunded"]  # the one the payment item holds
    assert "evt_9" not in out and "rawEvent" not in out


def test_json_output_holds_both_tables_as_text(stored, capsys):
    code, out, _ = run(capsys, "pi_st_1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["payment"]["status"] == "refunded" and data["payment"]["amount"] == "1234567890123456789.01"
    assert [e["eventId"] for e in data["events"]] == ["evt_1", "evt_2", "evt_3"]
    assert data["events"][0]["amountMinor"] == "123456789012345678901"


def test_an_unknown_transaction_exits_1(stored, capsys):
    code, out, _ = run(capsys, "pi_nothing")
    assert code == 1
    assert f"payment pi_nothing: no item in {PAYMENTS}" in out


def test_events_without_a_payment_item_are_still_shown(stored, capsys):
    code, out, _ = run(capsys, "pi_other")
    assert code == 0
    assert "no item in" in out and "evt_9" in out and "* evt_9" not in out


def test_only_one_table(stored, capsys):
    code = status.main(["--no-env-file", "--table", EVENTS, "pi_st_1"])
    out, _ = capsys.readouterr()
    assert code == 0 and "current status" not in out and "evt_3" in out


def test_tables_come_from_the_env_file(stored, capsys, tmp_path, monkeypatch):
    env_file = tmp_path / "local.env"
    env_file.write_text(f"PAYMENTS_TABLE_NAME={PAYMENTS}\nTABLE_NAME={EVENTS}\nAWS_REGION={REGION}\n")
    code = status.main(["--env-file", str(env_file), "pi_st_1"])
    out, _ = capsys.readouterr()
    assert code == 0 and "refunded" in out and "evt_1" in out


def test_no_table_is_a_usage_error(ddb, capsys):
    assert status.main(["--no-env-file", "pi_st_1"]) == 2
    assert "need --payments-table" in capsys.readouterr().err


def test_a_missing_table_is_an_aws_error_without_details(ddb, capsys):
    code = status.main(["--no-env-file", "--payments-table", "nope", "pi_st_1"])
    _, err = capsys.readouterr()
    assert code == 3 and "ResourceNotFoundException" in err and "arn:" not in err
