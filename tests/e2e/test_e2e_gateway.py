"""The local Function URL (local_stack.gateway) on AWS's Lambda runtime, against functions deployed to moto.

No Terraform here: functions are created with boto3 from small zips, so these run on
any machine with the venv and aws-lambda-rie (`make rie`). The function runs on
aws-lambda-rie + awslambdaric; the tests marked "real runtime" show behaviour the
home-made worker this replaced did not have.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests

from local_stack.layout import boto3_kwargs

pytestmark = pytest.mark.timeout(120)

APP = r"""
import base64, json, os, sys, time
import boto3

INIT_COUNT = 0
INIT_COUNT += 1          # module-level code runs once per execution environment
CALLS = 0

def handler(event, context):
    global CALLS
    CALLS += 1
    path = event["rawPath"]
    query = event.get("queryStringParameters") or {}
    if path == "/sleep":
        time.sleep(float(query["s"]))
    elif path == "/raise":
        raise ValueError("handler failed on purpose")
    elif path == "/exit":
        sys.exit(2)
    elif path == "/plain":
        return {"plain": True, "amount": "1.10"}
    elif path == "/teapot":
        return {"statusCode": 418, "headers": {"X-Custom": "yes", "Content-Type": "text/plain"},
                "cookies": ["a=1; Path=/", "b=2"], "body": "short and stout"}
    elif path == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "isBase64Encoded": True, "body": base64.b64encode(bytes(range(256))).decode()}
    elif path == "/unserialisable":
        return {"statusCode": 200, "body": object()}
    elif path == "/decimal":
        from decimal import Decimal
        return {"amount": Decimal("1234567890123456789.01"), "tiny": Decimal("1E-130"), "note": "naïve"}
    elif path == "/context":
        return {"statusCode": 200, "body": json.dumps({
            "aws_request_id": context.aws_request_id,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "function_version": context.function_version,
            "identity": type(context.identity).__name__,
            "client_context": context.client_context,
            "context_type": type(context).__module__ + "." + type(context).__name__,
            "runtime_api": os.environ.get("AWS_LAMBDA_RUNTIME_API"),
        })}
    elif path == "/aws":
        tables = boto3.client("dynamodb").list_tables()["TableNames"]
        account = boto3.client("sts").get_caller_identity()["Account"]
        return {"statusCode": 200, "body": json.dumps({"account": account, "tables": tables})}
    print("hello from the handler")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "event": event,
            "pid": os.getpid(),
            "init_count": INIT_COUNT,
            "calls": CALLS,
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "remaining_ms": context.get_remaining_time_in_millis(),
            "request_id": context.aws_request_id,
            "function_name": context.function_name,
            "memory": context.memory_limit_in_mb,
        }),
    }
"""


@pytest.fixture(scope="module")
def main_function(deploy):
    return deploy(
        "gw-main",
        {"app.py": APP},
        timeout=2,
        reserved=2,
        environment={"TABLE_NAME": "transactions-e2e", "GREETING": "hi"},
    )


@pytest.fixture()
def main_gateway(gateway, main_function):
    return gateway("gw-main", main_function)


def echo(gw, path="/echo", **kwargs):
    response = requests.post(gw.url.rstrip("/") + path, timeout=30, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


# ------------------------------------------------------------------ the event


def test_event_is_payload_format_2(main_gateway):
    response = requests.post(
        main_gateway.url.rstrip("/") + "/hooks/pay?x=1&x=2&empty=",
        data=b'{"amount": 12.30}',
        headers={"Content-Type": "application/json", "X-Mixed-Case": "Value", "Cookie": "c1=1; c2=2"},
        timeout=30,
    )
    assert response.status_code == 200
    reply = response.json()
    event = reply["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/hooks/pay"
    assert event["rawQueryString"] == "x=1&x=2&empty="
    assert event["queryStringParameters"] == {"x": "1,2", "empty": ""}
    assert event["body"] == '{"amount": 12.30}'
    assert event["isBase64Encoded"] is False
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["x-mixed-case"] == "Value"
    assert event["headers"]["content-type"] == "application/json"
    assert event["cookies"] == ["c1=1", "c2=2"]
    assert "cookie" not in event["headers"]
    http = event["requestContext"]["http"]
    assert http == {**http, "method": "POST", "path": "/hooks/pay", "sourceIp": "127.0.0.1"}
    request_id = event["requestContext"]["requestId"]
    assert request_id == reply["request_id"] == response.headers["x-amzn-requestid"]
    assert event["requestContext"]["stage"] == "$default"
    assert abs(event["requestContext"]["timeEpoch"] / 1000 - time.time()) < 30


def test_repeated_headers_are_joined_with_commas(main_gateway):
    import http.client

    host, port = main_gateway.url.split("//")[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/")
    for name, value in (("X-Multi", "a"), ("x-multi", "b"), ("Content-Type", "text/plain"), ("Content-Length", "2")):
        connection.putheader(name, value)
    connection.endheaders(b"hi")
    response = connection.getresponse()
    event = json.loads(response.read())["event"]
    connection.close()
    assert event["headers"]["x-multi"] == "a,b"
    assert event["body"] == "hi" and event["isBase64Encoded"] is False


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/x-www-form-urlencoded", None])
def test_non_text_bodies_arrive_base64_encoded(main_gateway, content_type):
    raw = bytes(range(256)) + "naïve €".encode()
    headers = {"Content-Type": content_type} if content_type else {}  # None: no content-type at all
    event = echo(main_gateway, data=raw, headers=headers)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "text/plain", "application/vnd.api+json"])
def test_text_bodies_arrive_as_text(main_gateway, content_type):
    text = '{"note": "naïve € 𝄞"}'
    event = echo(main_gateway, data=text.encode(), headers={"Content-Type": content_type})["event"]
    assert event["isBase64Encoded"] is False
    assert event["body"] == text


# ------------------------------------------------------------------ configuration


def test_function_configuration_is_read_back_from_the_emulator(main_gateway, moto_endpoint):
    info = main_gateway.info
    assert info["function_name"] == "gw-main"
    assert info["handler"] == "app.handler"
    assert info["timeout_seconds"] == 2
    assert info["reserved_concurrency"] == 2
    assert info["max_workers"] == 2
    reply = echo(main_gateway)
    env = reply["env"]
    assert env["TABLE_NAME"] == "transactions-e2e" and env["GREETING"] == "hi"
    assert env["AWS_ENDPOINT_URL"] == moto_endpoint
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "gw-main"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "2"
    # The Function URL adds the trace header; RIE runs a no-op tracer, so no _X_AMZN_TRACE_ID.
    assert reply["event"]["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    assert reply["function_name"] == "gw-main" and reply["memory"] == "256"
    assert 0 < reply["remaining_ms"] <= 2000
    # The code runs from the extracted zip, not from anywhere in the repository.
    assert reply["cwd"] == env["LAMBDA_TASK_ROOT"] == info["code_dir"]
    assert (Path(info["code_dir"]) / "app.py").read_text() == APP


def test_the_gateways_own_environment_does_not_leak_into_the_function(gateway, main_function, monkeypatch):
    monkeypatch.setenv("E2E_LEAK_CANARY", "should-not-be-seen")
    monkeypatch.setenv("HOME", "/root-of-the-developer")
    running = gateway("gw-main", main_function)
    env = echo(running)["env"]
    assert "E2E_LEAK_CANARY" not in env
    assert "HOME" not in env
    assert env["AWS_CONFIG_FILE"] == os.devnull


def test_workers_reach_the_emulator_through_aws_endpoint_url(main_gateway, moto_endpoint):
    aws_client("dynamodb", moto_endpoint).create_table(
        TableName="gw-e2e-probe",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    response = requests.get(main_gateway.url + "aws", timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["account"] == "123456789012"
    assert "gw-e2e-probe" in body["tables"]


def test_the_function_runs_with_its_execution_roles_credentials(main_gateway, moto_endpoint):
    """As on Lambda: AWS_ACCESS_KEY_ID etc. come from sts:AssumeRole of the function's role."""
    env = echo(main_gateway)["env"]
    assert env["AWS_ACCESS_KEY_ID"] not in ("testing", "")
    assert env["AWS_SESSION_TOKEN"]
    sts = boto3.client(
        "sts",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    )
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/e2e-gateway-role/gw-main")


def test_refuses_a_zip_that_is_not_the_deployed_code(moto_endpoint, main_function, tmp_path):
    other = tmp_path / "other.zip"
    other.write_bytes(main_function.read_bytes() + b"\0")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_stack.gateway",
            "--function-name",
            "gw-main",
            "--zip",
            str(other),
            "--endpoint-url",
            moto_endpoint,
            "--code-dir",
            str(tmp_path / "code"),
            "--function-log",
            str(tmp_path / "f.log"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "is not the code deployed as gw-main" in result.stderr


def test_refuses_to_bind_anything_but_loopback(moto_endpoint, main_function, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_stack.gateway",
            "--function-name",
            "gw-main",
            "--zip",
            str(main_function),
            "--endpoint-url",
            moto_endpoint,
            "--host",
            "0.0.0.0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "loopback only" in result.stderr


# ------------------------------------------------------------------ warm workers


def test_workers_stay_warm_between_requests(main_gateway):
    first = echo(main_gateway)
    second = echo(main_gateway)
    assert first["pid"] == second["pid"]
    assert second["init_count"] == 1  # the module was imported once
    assert second["calls"] == first["calls"] + 1
    log = main_gateway.function_log()
    assert "hello from the handler" in log  # print() goes to the function log, like CloudWatch
    assert log.count("Init Duration") == 1
    assert f"START RequestId: {second['request_id']}" in log
    assert f"END RequestId: {second['request_id']}" in log
    assert "(rapid)" not in log  # RIE's own lines go to runtime.log


def report_lines(log: str) -> dict[str, str]:
    return {line.split("\t")[0].split()[-1]: line for line in log.splitlines() if line.startswith("REPORT RequestId: ")}


def test_report_lines_carry_lambdas_init_duration(deploy, gateway):
    """RIE's own REPORT says ~0.05 ms (it times an asynchronous call) and counts init into
    Duration; the log router writes Lambda's line from RIE's INIT REPORT instead."""
    slow_init = "import time\ntime.sleep(0.3)\ndef handler(event, context):\n    return {'ok': True}\n"
    running = gateway("gw-slow-init", deploy("gw-slow-init", {"app.py": slow_init}, timeout=5))
    for _ in range(2):
        assert requests.post(running.url, data=b"{}", timeout=30).status_code == 200
    reports = list(report_lines(running.function_log()).values())
    assert len(reports) == 2, reports
    cold, warm = reports
    fields = dict(part.split(": ", 1) for part in cold.split("\t")[1:])
    assert 300 <= float(fields["Init Duration"].removesuffix(" ms")) < 3000
    assert float(fields["Duration"].removesuffix(" ms")) < 300  # init is not counted into Duration
    assert fields["Memory Size"] == "256 MB"
    assert "Init Duration" not in warm


def test_a_handler_exception_answers_502_and_the_environment_stays_warm(main_gateway):
    before = echo(main_gateway)["pid"]
    response = requests.get(main_gateway.url + "raise", timeout=30)
    assert response.status_code == 502
    assert "handler failed on purpose" not in response.text  # no error detail to the caller
    assert "ValueError: handler failed on purpose" in main_gateway.function_log()
    assert echo(main_gateway)["pid"] == before


def test_a_crashing_runtime_answers_502_and_is_replaced(main_gateway):
    before = echo(main_gateway)["pid"]
    response = requests.get(main_gateway.url + "exit", timeout=30)
    assert response.status_code == 502
    assert response.headers["x-local-lambda-error"] == "Runtime.ExitError"
    assert echo(main_gateway)["pid"] != before


def test_real_runtime_an_unserialisable_result_is_lambdas_marshal_error_and_502(main_gateway):
    response = requests.get(main_gateway.url + "unserialisable", timeout=30)
    assert response.status_code == 502
    assert response.headers["x-local-lambda-error"] == "Runtime.MarshalError"
    assert "not JSON serializable" not in response.text  # no detail to the caller
    # awslambdaric's own message, in the runtime's log format
    assert (
        "[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type object is not JSON serializable"
        in (main_gateway.function_log())
    )


def test_real_runtime_decimals_in_a_result_are_marshalled_exactly(main_gateway):
    """Lambda's Python runtime serialises a Decimal from its text (simplejson RawJSON); json.dumps,
    which the home-made worker used, refuses Decimals (that was a 502 locally, a 200 on Lambda)."""
    response = requests.get(main_gateway.url + "decimal", timeout=30)
    assert response.status_code == 200
    assert '"amount": 1234567890123456789.01' in response.text
    assert '"tiny": 1E-130' in response.text
    assert response.json(parse_float=Decimal)["amount"] == Decimal("1234567890123456789.01")


def test_real_runtime_context_comes_from_awslambdaric(main_gateway):
    response = requests.get(main_gateway.url + "context", timeout=30)
    assert response.status_code == 200
    context = response.json()
    assert context["context_type"] == "awslambdaric.lambda_context.LambdaContext"
    assert context["aws_request_id"] == response.headers["x-amzn-requestid"]
    assert context["log_group_name"] == "/aws/lambda/gw-main"
    assert context["log_stream_name"].endswith("]" + context["log_stream_name"].rsplit("]", 1)[1])
    assert "/[$LATEST]" in context["log_stream_name"]
    assert context["function_version"] == "$LATEST"
    assert context["identity"] == "CognitoIdentity" and context["client_context"] is None
    # RIE names the function in a fixed account and region (its own, not the emulator's).
    assert context["invoked_function_arn"].endswith(":function:gw-main")
    assert context["runtime_api"].startswith("127.0.0.1:")


def test_a_timeout_answers_502_and_kills_the_worker(main_gateway):
    before = echo(main_gateway)["pid"]
    started = time.monotonic()
    response = requests.get(main_gateway.url + "sleep?s=10", timeout=30)
    elapsed = time.monotonic() - started
    assert response.status_code == 502
    assert response.headers["x-local-lambda-error"] == "Sandbox.Timedout"
    assert 1.9 <= elapsed < 5, elapsed  # the function's Timeout is 2 s (RIE enforces it)
    assert "Task timed out after 2.00 seconds" in main_gateway.function_log()
    assert not os.path.exists(f"/proc/{before}") or before not in main_gateway.worker_pids()
    after = echo(main_gateway)
    assert after["pid"] != before and after["init_count"] == 1  # re-initialised, as on Lambda


def test_429_when_every_reserved_execution_is_busy(main_gateway):
    results: list[int] = []

    def call(seconds: float) -> None:
        results.append(requests.get(main_gateway.url + f"sleep?s={seconds}", timeout=30).status_code)

    # Both execution environments initialised first: RIE counts a cold start's init into the
    # 2 s timeout (README, "cannot do", 8.), which a loaded machine can use up.
    warmers = [threading.Thread(target=call, args=(0.5,)) for _ in range(2)]
    for thread in warmers:
        thread.start()
    for thread in warmers:
        thread.join()
    assert results == [200, 200]
    results.clear()

    threads = [threading.Thread(target=call, args=(1.5,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.8)  # both reserved executions (2) are now busy
    throttled = requests.post(main_gateway.url, data=b"{}", headers={"Content-Type": "application/json"}, timeout=30)
    for thread in threads:
        thread.join()
    assert throttled.status_code == 429
    assert results == [200, 200]
    assert len(main_gateway.runtime_pids()) <= 2  # one runtime per execution environment
    assert echo(main_gateway)["event"]  # and served again once they are free


def test_reserved_concurrency_zero_throttles_everything(deploy, gateway):
    package = deploy("gw-zero", {"app.py": APP}, reserved=0)
    running = gateway("gw-zero", package)
    assert requests.post(running.url, data=b"{}", timeout=30).status_code == 429
    assert running.worker_pids() == []


def test_worker_cap_applies_without_reserved_concurrency(deploy, gateway):
    package = deploy("gw-unreserved", {"app.py": APP}, timeout=5)
    running = gateway("gw-unreserved", package, "--max-workers", "1")
    assert running.info["reserved_concurrency"] is None and running.info["max_workers"] == 1
    busy = threading.Thread(target=lambda: requests.get(running.url + "sleep?s=1.5", timeout=30))
    busy.start()
    time.sleep(0.7)
    assert requests.get(running.url, timeout=30).status_code == 429
    busy.join()


def test_an_init_failure_answers_502(deploy, gateway):
    package = deploy("gw-broken", {"app.py": "raise RuntimeError('cannot start')\n"})
    running = gateway("gw-broken", package)
    for _ in range(2):
        response = requests.post(running.url, data=b"{}", timeout=30)
        assert response.status_code == 502
        assert "cannot start" not in response.text
    assert "[ERROR] RuntimeError: cannot start" in running.function_log()


# ------------------------------------------------------------------ responses


def test_response_mapping(main_gateway):
    teapot = requests.get(main_gateway.url + "teapot", timeout=30)
    assert teapot.status_code == 418
    assert teapot.headers["x-custom"] == "yes"
    assert teapot.headers["content-type"] == "text/plain"
    assert teapot.text == "short and stout"
    assert teapot.cookies.get("a") == "1" and teapot.cookies.get("b") == "2"

    plain = requests.get(main_gateway.url + "plain", timeout=30)
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/json"
    assert plain.json() == {"plain": True, "amount": "1.10"}

    binary = requests.get(main_gateway.url + "binary", timeout=30)
    assert binary.status_code == 200 and binary.content == bytes(range(256))


def test_request_bodies_over_6_mb_answer_413(main_gateway):
    response = requests.post(
        main_gateway.url, data=b"x" * (6 * 1024 * 1024 + 1), headers={"Content-Type": "text/plain"}, timeout=60
    )
    assert response.status_code == 413
    assert echo(main_gateway)["event"]  # the server is still fine


def test_an_event_over_6_mb_answers_413(main_gateway):
    """5 MB of binary is under the limit as a body but not as the base64 event Lambda would receive."""
    response = requests.post(
        main_gateway.url,
        data=b"\0" * (5 * 1024 * 1024),
        headers={"Content-Type": "application/octet-stream"},
        timeout=60,
    )
    assert response.status_code == 413
    assert echo(main_gateway)["event"]


def test_responses_over_6_mb_answer_502(deploy, gateway):
    big = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'x' * (6 * 1024 * 1024 + 10)}\n"
    running = gateway("gw-big", deploy("gw-big", {"app.py": big}, timeout=10))
    response = requests.post(running.url, data=b"{}", timeout=60)
    assert response.status_code == 502
    assert response.headers["x-local-lambda-error"] == "Function.ResponseSizeTooLarge"


def aws_client(service: str, endpoint: str):
    return boto3.client(service, **boto3_kwargs(endpoint))
