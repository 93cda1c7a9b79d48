"""`python -m webhook_cli.replay` as an operator runs it, against the local stack over HTTP.

One event refused today (still refused on replay: kept, and quarantined again by the
function) and one copy quarantined "before a fix" three days ago, valid today: replayed
with a fresh signature and its original webhook-id, stored once, deleted from the queue.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from webhook.quarantine import QuarantinedEvent
from webhook.raw_body import raw_event_text
from webhook.signature import decode_secrets, sign

from .conftest import ROOT, Driver, Event, LocalStack

CLI = ("-m", "webhook_cli.replay")


def run_cli(local_stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=local_stack.endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        **local_stack.credentials,  # the harness user's when the stack enforces IAM
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
    )
    command = [
        sys.executable,
        *CLI,
        "--url",
        local_stack.url,
        "--queue-url",
        local_stack.queue_url,
        "--secret-param",
        local_stack.secret_param,
        "--env-file",
        os.devnull,
        "--json",
        *args,
    ]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_replay_cli_resends_what_is_valid_now_and_keeps_the_rest(local_stack: LocalStack) -> None:
    sqs = local_stack.client("sqs")
    sqs.purge_queue(QueueUrl=local_stack.queue_url)
    driver = Driver(local_stack.url, local_stack.secret)
    refused_body = b'{"transactionId":"txn_cli_refused","amount":"1","currency":"XYZ"}'
    refused = Event("msg_cli_refused", "txn_cli_refused", refused_body)
    assert driver.deliver(refused).status == 400

    key = decode_secrets(local_stack.secret)[0]
    body = b'{"transactionId":"txn_cli_fixed","amount":"19.99","currency":"EUR","status":"succeeded"}'
    signed_at = int(time.time()) - 3 * 86400
    old_copy = QuarantinedEvent(
        "msg_cli_fixed",
        "2026-01-01T00:00:00.000Z",
        "invalid_field",
        "currency: must be an ISO 4217 currency code",
        {
            "webhook-id": "msg_cli_fixed",
            "webhook-timestamp": str(signed_at),
            "webhook-signature": sign(key, "msg_cli_fixed", signed_at, body),
            "content-type": "application/json",
        },
        body,
    )
    sqs.send_message(QueueUrl=local_stack.queue_url, MessageBody=old_copy.to_message())

    listed = run_cli(local_stack, "--dry-run")
    assert listed.returncode == 0, listed.stderr
    assert sorted(json.loads(line)["action"] for line in listed.stdout.splitlines()) == ["listed", "listed"]

    result = run_cli(local_stack, "--keep-going")
    lines = {json.loads(line)["event_id"]: json.loads(line) for line in result.stdout.splitlines()}
    assert result.returncode == 1, result.stderr  # something is left: the event still refused
    assert (lines["msg_cli_fixed"]["action"], lines["msg_cli_fixed"]["status"]) == ("replayed", 200)
    assert (lines["msg_cli_refused"]["action"], lines["msg_cli_refused"]["status"]) == ("rejected", 400)
    assert local_stack.secret not in result.stdout + result.stderr

    item = local_stack.client("dynamodb").get_item(
        TableName=local_stack.table,
        Key={"transactionId": {"S": "txn_cli_fixed"}, "eventId": {"S": "msg_cli_fixed"}},
        ConsistentRead=True,
    )["Item"]
    assert raw_event_text(item).encode() == body and item["amount"]["N"] == "19.99"

    again = run_cli(local_stack, "--dry-run")
    remaining = [json.loads(line) for line in again.stdout.splitlines()]
    assert [(r["event_id"], r["copies"]) for r in remaining] == [("msg_cli_refused", 2)]  # original + re-quarantined
