"""The cut-down botocore models the function's clients use (webhook/aws.py, bench/botocore_models.py).

They must stay exactly botocore's own for the listed operations, list every operation
lambda_src calls, and be what the clients really run on; the init-time hook in
handler.py creates the clients only inside a Lambda execution environment.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders
import botocore.session
import pytest
from botocore.stub import Stubber

from webhook import aws  # lambda_src is on sys.path (tests/conftest.py, pyproject's pythonpath)

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SRC = ROOT / "lambda_src"

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in FAKE_AWS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_the_file_is_botocores_own_models_cut_to_the_listed_operations() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.botocore_models", "--check"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "lambda_src")},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_every_operation_lambda_src_calls_is_listed() -> None:
    """A call such as `.put_item(` of an operation that is not bundled would be an AttributeError in Lambda."""
    loader = botocore.session.Session().get_component("data_loader")
    source = "\n".join(path.read_text() for path in LAMBDA_SRC.rglob("*.py"))
    missing = []
    for service, listed in aws.OPERATIONS.items():
        for operation in loader.load_service_model(service, "service-2")["operations"]:
            method = botocore.xform_name(operation)
            if re.search(rf"\.{method}\(", source) and operation not in listed:
                missing.append(f"{service}.{operation}")
    assert missing == []
    # And the listed ones are really called (no dead weight in the zip).
    for service, listed in aws.OPERATIONS.items():
        for operation in listed:
            assert f".{botocore.xform_name(operation)}(" in source, (service, operation)


def test_clients_run_on_the_bundled_models(fresh_clients: None) -> None:
    ssm = aws.client("ssm")
    assert ssm.meta.service_model.operation_names == ["GetParameter"]
    ddb = aws.client("dynamodb")
    assert ddb.meta.service_model.operation_names == ["PutItem"]
    assert not hasattr(ddb, "scan")
    with Stubber(ssm) as stub:
        stub.add_response(
            "get_parameter",
            {"Parameter": {"Name": "/p", "Type": "SecureString", "Value": "whsec_x", "Version": 1}},
            {"Name": "/p", "WithDecryption": True},
        )
        assert ssm.get_parameter(Name="/p", WithDecryption=True)["Parameter"]["Value"] == "whsec_x"
    with Stubber(ddb) as stub:
        stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
        with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as caught:
            ddb.put_item(TableName="t", Item={"k": {"S": "v"}}, ConditionExpression="attribute_not_exists(k)")
        assert aws.error_code(caught.value) == "ConditionalCheckFailedException"
    # One session (and loader) for every client; the endpoint is botocore's usual one, from the rulesets.
    assert ddb.meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"
    resolver = aws._botocore_session()._get_internal_component("endpoint_resolver")
    assert resolver.uses_builtin_data  # else the legacy resolver's URL would override the rulesets
    assert resolver.get_available_partitions() == botocore.session.Session().get_available_partitions()
    assert (
        resolver.construct_endpoint("dynamodb", "us-gov-west-1")["hostname"] == "dynamodb.us-gov-west-1.amazonaws.com"
    )
    assert aws.client("sqs").meta.region_name == "us-east-1"


def test_the_large_botocore_files_are_not_read(fresh_clients: None, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    original = botocore.loaders.JSONFileLoader.load_file

    def spy(self: Any, path: str) -> Any:
        read.append(Path(path).name)
        return original(self, path)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", spy)
    aws.client("dynamodb")
    aws.client("ssm")
    assert "endpoints" not in read and "service-2" not in read, read


def test_aws_data_path_means_botocores_full_models(fresh_clients: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(ROOT / "build" / "no-such-models"))
    assert len(aws.client("ssm").meta.service_model.operation_names) > 100


def _clients_after_import(extra_env: dict[str, str]) -> list[str]:
    code = "import handler; from webhook import aws; print(json.dumps(sorted(aws._clients)))"
    done = subprocess.run(
        [sys.executable, "-c", f"import json; {code}"],
        cwd=LAMBDA_SRC,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", **FAKE_AWS, **extra_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stdout))


def test_clients_are_created_at_init_only_inside_a_lambda_environment() -> None:
    env = {"TABLE_NAME": "t", "WEBHOOK_SECRET_PARAM": "/p"}
    assert _clients_after_import(env) == []
    assert _clients_after_import({**env, "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}) == ["dynamodb", "ssm"]
