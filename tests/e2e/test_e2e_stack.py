"""The whole local stack, as `make up` / `make down` run it:

up (moto with IAM enforced + terraform apply of the real root module as the harness
user + local Function URL, the function on aws-lambda-rie + awslambdaric with its
execution role's credentials)
-> signed, re-delivered, unsigned, stale and invalid requests over HTTP
-> items checked in DynamoDB -> what the role may not do is refused
-> up again (idempotent) -> destroy + down.

The tests of this module run in order and share one stack (module-scoped
fixture). Its finalizer runs `down` again and kills, by recorded pid, anything
still alive, so no process outlives a failing test.

Needs Terraform (or OpenTofu via TERRAFORM=tofu) with the providers available;
`make test-e2e` prepares them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from local_stack import iam, processes
from local_stack.envfile import read_env_file
from local_stack.layout import boto3_kwargs
from local_stack.terraform import walk_resources
from webhook.raw_body import raw_event_text
from webhook_cli import events
from webhook_cli import send as send_webhook

ROOT = Path(__file__).resolve().parents[2]
SUFFIX = "e2e"

pytestmark = [pytest.mark.timeout(900)]


def run_stack(
    build: Path, *args: str, timeout: float = 600, module: str = "local_stack"
) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOCAL_STACK_BUILD_DIR": str(build), "ENV_SUFFIX": SUFFIX}
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    sys.stdout.write(
        f"\n$ python -m {module} {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


class Stack:
    def __init__(self, build: Path) -> None:
        self.build = build
        self.env_file = build / "local.env"
        self.env: dict[str, str] = {}
        self.pids: set[int] = set()

    def load(self) -> None:
        self.env = read_env_file(self.env_file)
        self.pids |= {int(self.env["EMULATOR_PID"]), int(self.env["GATEWAY_PID"])}

    def client(self, service: str, credentials: iam.Credentials | None = None):
        """A client of the emulator as the harness user (local.env's key), or with ``credentials``."""
        return boto3.client(service, **boto3_kwargs(self.env["AWS_ENDPOINT_URL"], credentials or self.env))

    def send(
        self,
        event_id: str | None = None,
        secret: str | None = None,
        offset: int = 0,
        body: bytes | None = None,
        **fields,
    ):
        body = body or events.build_payload(
            fields.get("transaction_id", "tx-e2e"),
            fields.get("amount", "12.34"),
            fields.get("currency", "USD"),
            fields.get("status"),
            fields.get("provider"),
        )
        secrets = None if secret == "" else [secret or self.env["WEBHOOK_SECRET"]]
        return send_webhook.deliver(self.env["FUNCTION_URL"], body, secrets, event_id or events.new_event_id(), offset)

    def items(self, transaction_id: str) -> list[dict]:
        return self.client("dynamodb").query(
            TableName=self.env["TABLE_NAME"],
            KeyConditionExpression="transactionId = :t",
            ExpressionAttributeValues={":t": {"S": transaction_id}},
            ConsistentRead=True,
        )["Items"]


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory):
    build = tmp_path_factory.mktemp("stack-build")
    running = Stack(build)
    try:
        result = run_stack(build, "up")
        if running.env_file.exists():
            running.load()
        assert result.returncode == 0, f"local_stack up failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        yield running
    finally:
        run_stack(build, "down")
        record = build / "run" / "stack.json"
        for pid in running.pids:
            if processes.pid_alive(pid):  # only if `down` failed: never leave our processes behind
                processes.stop_process(pid, "", f"leftover pid {pid}", print)
        assert not record.exists()


# ------------------------------------------------------------------ up


def test_up_writes_local_env_and_state(local_stack: Stack):
    env = local_stack.env
    for key in (
        "FUNCTION_URL",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "TABLE_NAME",
        "WEBHOOK_SECRET",
        "EMULATOR_PID",
        "GATEWAY_PID",
    ):
        assert env.get(key), key
    assert env["FUNCTION_URL"].startswith("http://127.0.0.1:")
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert SUFFIX in env["TABLE_NAME"]
    assert env["WEBHOOK_SECRET"].startswith("whsec_")
    assert (local_stack.env_file.stat().st_mode & 0o077) == 0  # it holds a secret
    # The emulator enforces IAM: local.env carries the harness user's key, not the fake one.
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA") and env["AWS_SECRET_ACCESS_KEY"] != "testing"
    outputs = json.loads((local_stack.build / "state.json").read_text())["values"]["outputs"]
    parameters = (outputs.get("provider_secret_parameter_names") or {}).get("value") or {}
    if "stripe" in parameters:  # per-provider parameters (behaviour.md, "Providers"), when the stack has them
        assert env["STRIPE_SECRET"].startswith("whsec_") and env["STRIPE_SECRET_PARAM"] == parameters["stripe"]
    if "adyen" in parameters:
        assert len(env["ADYEN_HMAC_KEY"]) == 64 and bytes.fromhex(env["ADYEN_HMAC_KEY"])
    if "payments_table_name" in outputs:
        assert env["PAYMENTS_TABLE_NAME"] == outputs["payments_table_name"]["value"]
    for pid in local_stack.pids:
        assert processes.pid_alive(pid)
    state = json.loads((local_stack.build / "state.json").read_text())
    resources = list(walk_resources(state["values"]["root_module"]))
    types = {r["type"] for r in resources}
    assert {"aws_lambda_function", "aws_dynamodb_table", "aws_kms_key", "aws_lambda_function_url"} <= types
    # Terraform state lives under the build directory only, never in the repository.
    assert (local_stack.build / "stack" / "terraform.tfstate").exists()
    assert not (ROOT / "terraform.tfstate").exists()


def test_the_secret_is_a_securestring_under_the_stacks_key(local_stack: Stack):
    env = local_stack.env
    ssm = local_stack.client("ssm")
    parameter = ssm.get_parameter(Name=env["WEBHOOK_SECRET_PARAM"], WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert parameter["Value"] == env["WEBHOOK_SECRET"]
    lam = local_stack.client("lambda")
    variables = lam.get_function_configuration(FunctionName=env["FUNCTION_NAME"])["Environment"]["Variables"]
    assert env["WEBHOOK_SECRET"] not in json.dumps(variables)


def test_the_gateway_serves_the_zip_terraform_deployed(local_stack: Stack):
    env = local_stack.env
    lam = local_stack.client("lambda")
    config = lam.get_function_configuration(FunctionName=env["FUNCTION_NAME"])
    ready = json.loads((local_stack.build / "run" / "gateway.json").read_text())
    assert ready["code_sha256"] == config["CodeSha256"]
    assert ready["handler"] == config["Handler"] == "handler.handler"
    assert ready["timeout_seconds"] == config["Timeout"]
    assert (
        ready["reserved_concurrency"]
        == lam.get_function_concurrency(FunctionName=env["FUNCTION_NAME"])["ReservedConcurrentExecutions"]
    )
    assert ready["runtime"].startswith("aws-lambda-rie + awslambdaric")
    assert ready["role_arn"] == config["Role"] and ready["iam_enforced"] is True


# ------------------------------------------------------------------ requests over HTTP


def test_a_signed_delivery_is_stored_exactly(local_stack: Stack):
    body = (
        b'{"transactionId": "tx-e2e-1", "amount": 1234567890123456789.01, "currency": "usd", '
        b'"status": "pending", "provider": "acme", "meta": {"n": [1.10, 2E+3]}}'
    )
    result = local_stack.send("msg_e2e_1", body=body)
    assert result.status == 200, result.body
    assert json.loads(result.body) == {"status": "accepted", "transactionId": "tx-e2e-1", "eventId": "msg_e2e_1"}
    assert result.headers.get("Content-Type", result.headers.get("content-type")) == "application/json"
    (item,) = local_stack.items("tx-e2e-1")
    assert item["eventId"] == {"S": "msg_e2e_1"}
    assert item["amount"] == {"N": "1234567890123456789.01"}
    assert item["currency"] == {"S": "USD"}
    assert item["status"] == {"S": "pending"}
    assert item["provider"] == {"S": "acme"}
    assert raw_event_text(item) == body.decode()
    assert item["processedAt"]["S"]


def test_a_redelivery_is_answered_duplicate_and_not_stored_twice(local_stack: Stack):
    first = local_stack.send("msg_e2e_dup", transaction_id="tx-e2e-2", amount="0.1")
    again = local_stack.send("msg_e2e_dup", transaction_id="tx-e2e-2", amount="0.1")
    assert (first.status, json.loads(first.body)["status"]) == (200, "accepted")
    assert (again.status, json.loads(again.body)["status"]) == (200, "duplicate")
    assert len(local_stack.items("tx-e2e-2")) == 1


def test_concurrent_redeliveries_store_one_item(local_stack: Stack):
    results: list = []

    def deliver() -> None:
        results.append(local_stack.send("msg_e2e_race", transaction_id="tx-e2e-race", amount="7.77"))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.status == 200 for r in results), [(r.status, r.body) for r in results]
    assert sorted(json.loads(r.body)["status"] for r in results).count("accepted") == 1
    assert len(local_stack.items("tx-e2e-race")) == 1


def test_each_event_of_a_transaction_is_kept(local_stack: Stack):
    for number, status in enumerate(("pending", "succeeded", "refunded")):
        assert local_stack.send(f"msg_e2e_flow_{number}", transaction_id="tx-e2e-flow", status=status).status == 200
    items = local_stack.items("tx-e2e-flow")
    assert sorted(i["status"]["S"] for i in items) == ["pending", "refunded", "succeeded"]


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        ("unsigned", {"secret": ""}, 401),
        ("wrong secret", {"secret": "whsec_" + "A" * 43 + "="}, 401),
        ("stale", {"offset": -600}, 401),
        ("from the future", {"offset": 600}, 401),
        ("amount not a number", {"amount": '"12,50"'}, 400),
        ("amount a boolean", {"amount": "true"}, 400),
        ("amount out of DynamoDB range", {"amount": "1E+126"}, 400),
        ("currency not ISO 4217", {"currency": "EURO"}, 400),
    ],
)
def test_rejected_requests_store_nothing(local_stack: Stack, case, kwargs, expected):
    transaction_id = "tx-e2e-rejected-" + case.replace(" ", "-")
    result = local_stack.send(transaction_id=transaction_id, **kwargs)
    assert result.status == expected, result.body
    error = json.loads(result.body)["error"]
    assert error["code"] and error["message"]
    assert local_stack.env["TABLE_NAME"] not in result.body
    assert local_stack.items(transaction_id) == []


def test_authentic_but_refused_events_are_quarantined(local_stack: Stack):
    outputs = json.loads((local_stack.build / "state.json").read_text())["values"]["outputs"]
    assert "quarantine_queue_url" in outputs, "the stack must expose its quarantine queue"
    queue_url = outputs["quarantine_queue_url"]["value"]
    body = b'{"transactionId": "tx-e2e-quarantine", "amount": "12,50", "currency": "EUR"}'
    refused = local_stack.send("msg_e2e_quarantine", body=body)
    forged = local_stack.send("msg_e2e_forged", secret="whsec_" + "B" * 43 + "=", body=body)
    assert (refused.status, forged.status) == (400, 401)

    sqs = local_stack.client("sqs")
    seen: dict[str, dict] = {}
    for _ in range(10):
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
        ).get("Messages", [])
        for message in messages:
            copy = json.loads(message["Body"])
            seen[copy["eventId"]] = copy
        if "msg_e2e_quarantine" in seen:
            break
    copy = seen["msg_e2e_quarantine"]
    assert base64.b64decode(copy["body"]) == body  # byte for byte, so the signature still verifies
    assert copy["headers"]["webhook-id"] == "msg_e2e_quarantine"
    assert "msg_e2e_forged" not in seen  # not authentic: not kept
    assert local_stack.items("tx-e2e-quarantine") == []


def test_other_methods_are_refused(local_stack: Stack):
    request = urllib.request.Request(local_stack.env["FUNCTION_URL"], method="GET")
    try:
        urllib.request.urlopen(request, timeout=30)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 405


def test_the_sender_cli_against_the_stack(local_stack: Stack):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "webhook_cli.send",
            "--env-file",
            str(local_stack.env_file),
            "--transaction-id",
            "tx-e2e-cli",
            "--amount",
            "19.99",
            "--currency",
            "EUR",
            "--repeat",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AWS_") and k not in ("FUNCTION_URL", "WEBHOOK_SECRET")
        },
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(json.loads(line)["body"])["status"] for line in result.stdout.splitlines()]
    assert answers == ["accepted", "duplicate"]
    (item,) = local_stack.items("tx-e2e-cli")
    assert item["amount"] == {"N": "19.99"}


# ------------------------------------------------------------------ IAM, enforced by the emulator


def runtime_credentials(local_stack: Stack) -> iam.Credentials:
    """The credentials the function runs with: read from a live runtime's environment."""
    gateway_pid = int(local_stack.env["GATEWAY_PID"])
    for pid in processes.descendants(gateway_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if argv[1:3] != [b"-m", b"awslambdaric"]:
                continue
            raw = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        environ = dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
        return iam.Credentials.from_env(environ)
    raise AssertionError("no runtime is alive under the gateway")


def denied(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def test_the_emulator_refuses_unknown_credentials(local_stack: Stack):
    fake = iam.Credentials("testing", "testing")
    assert denied(lambda: local_stack.client("dynamodb", fake).list_tables()) in (
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "403",
    )
    assert local_stack.client("dynamodb").list_tables()["TableNames"]  # the harness user may


def test_the_function_runs_with_its_roles_assumed_credentials(local_stack: Stack):
    assert local_stack.send(transaction_id="tx-e2e-warm").status == 200  # a runtime is alive
    credentials = runtime_credentials(local_stack)
    assert credentials.session_token and credentials.access_key_id != local_stack.env["AWS_ACCESS_KEY_ID"]
    role = local_stack.client("lambda").get_function_configuration(FunctionName=local_stack.env["FUNCTION_NAME"])[
        "Role"
    ]
    arn = local_stack.client("sts", credentials).get_caller_identity()["Arn"]
    assert arn.startswith(role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/")


def test_the_role_is_refused_what_it_must_not_do(local_stack: Stack):
    """Least privilege, enforced: PutItem on its table, GetParameter of its secret; nothing else."""
    env = local_stack.env
    credentials = runtime_credentials(local_stack)
    table, ddb = env["TABLE_NAME"], local_stack.client("dynamodb", credentials)
    key = {"transactionId": {"S": "tx-e2e-1"}, "eventId": {"S": "msg_e2e_1"}}
    assert denied(lambda: ddb.scan(TableName=table)) == "AccessDeniedException"
    assert denied(lambda: ddb.delete_item(TableName=table, Key=key)) == "AccessDeniedException"
    assert denied(lambda: ddb.get_item(TableName=table, Key=key)) == "AccessDeniedException"
    other = "/e2e/not-the-functions-parameter"
    admin_ssm = local_stack.client("ssm")
    admin_ssm.put_parameter(Name=other, Value="x", Type="SecureString", Overwrite=True)
    ssm = local_stack.client("ssm", credentials)
    try:
        assert denied(lambda: ssm.get_parameter(Name=other, WithDecryption=True)) == "AccessDeniedException"
    finally:
        admin_ssm.delete_parameter(Name=other)  # `down` proves the emulator holds nothing else
    assert denied(lambda: local_stack.client("iam", credentials).list_roles()) in ("AccessDenied", "403")
    # ... while what it needs is allowed, on the exact resources:
    assert ssm.get_parameter(Name=env["WEBHOOK_SECRET_PARAM"], WithDecryption=True)["Parameter"]["Value"]
    ddb.put_item(TableName=table, Item={"transactionId": {"S": "tx-e2e-iam"}, "eventId": {"S": "probe"}})
    assert len(local_stack.items("tx-e2e-iam")) == 1
    # The role cannot write elsewhere either.
    assert denied(lambda: ddb.put_item(TableName=table + "-other", Item=key)) == "AccessDeniedException"


def test_a_permission_missing_from_the_role_fails_the_request(local_stack: Stack):
    """Take dynamodb:PutItem out of the role's policy: the delivery is a 5xx and nothing is stored,
    as on AWS; put it back: the retry is stored."""
    role = local_stack.client("lambda").get_function_configuration(FunctionName=local_stack.env["FUNCTION_NAME"])[
        "Role"
    ]
    role_name = role.rsplit("/", 1)[-1]
    admin = local_stack.client("iam")
    (policy_name,) = admin.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = admin.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    original = document if isinstance(document, str) else json.dumps(document)
    without = json.loads(original)
    for statement in without["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        statement["Action"] = [a for a in actions if a != "dynamodb:PutItem"] or ["dynamodb:DescribeLimits"]
    admin.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(without))
    try:
        refused = local_stack.send("msg_e2e_no_putitem", transaction_id="tx-e2e-no-putitem")
        assert refused.status == 500, refused.body
        assert json.loads(refused.body)["error"]["code"] == "storage_error"
        assert local_stack.items("tx-e2e-no-putitem") == []
        log = (local_stack.build / "logs" / "function.log").read_text()
        assert "AccessDenied" in log
    finally:
        admin.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=original)
    retried = local_stack.send("msg_e2e_no_putitem", transaction_id="tx-e2e-no-putitem")
    assert retried.status == 200, retried.body
    assert len(local_stack.items("tx-e2e-no-putitem")) == 1


# ------------------------------------------------------------------ up again, destroy, down


def test_up_twice_is_safe(local_stack: Stack):
    before = dict(local_stack.env)
    result = run_stack(local_stack.build, "up")
    assert result.returncode == 0
    assert "already up" in result.stdout
    local_stack.load()
    assert local_stack.env["EMULATOR_PID"] == before["EMULATOR_PID"]
    assert local_stack.env["WEBHOOK_SECRET"] == before["WEBHOOK_SECRET"]
    assert local_stack.env["FUNCTION_URL"] == before["FUNCTION_URL"]
    assert local_stack.send(transaction_id="tx-e2e-after-reup").status == 200
    assert len(local_stack.items("tx-e2e-1")) == 1  # nothing was lost or recreated


def test_down_destroys_everything_and_stops_every_process(local_stack: Stack):
    gateway_pid = int(local_stack.env["GATEWAY_PID"])
    workers = processes.descendants(gateway_pid)  # aws-lambda-rie processes and the runtimes under them
    assert workers, "the gateway should have warm execution environments by now"
    result = run_stack(local_stack.build, "down")
    assert result.returncode == 0
    assert "every resource was destroyed" in result.stdout
    assert not local_stack.env_file.exists()
    for pid in [*local_stack.pids, *workers]:
        assert not processes.pid_alive(pid), pid
    again = run_stack(local_stack.build, "down")
    assert again.returncode == 0
    assert "nothing to do" in again.stdout


def test_demo_runs_start_to_finish(tmp_path: Path):
    started = time.monotonic()
    result = run_stack(tmp_path, "--environment-suffix", SUFFIX, module="webhook_cli.demo")
    assert result.returncode == 0, result.stdout[-4000:]
    out = result.stdout
    for expected in (
        "1/4",
        "2/4",
        "3/4",
        "4/4",
        "1234567890123456789.01",
        "duplicate",
        "as expected",
        "every resource was destroyed",
    ):
        assert expected in out, expected
    assert "UNEXPECTED" not in out
    assert not (tmp_path / "local.env").exists()
    assert time.monotonic() - started < 600
