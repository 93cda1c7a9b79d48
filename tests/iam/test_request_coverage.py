"""Every AWS API call in lambda_src has a row in requests.json: a new call without
a row (and so without a proven permission) fails here, not in production."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "lambda_src"
ROWS = json.loads((Path(__file__).with_name("requests.json")).read_text())["requests"]
# Services whose clients the function could create; their operations are what is scanned for.
SERVICES = ("dynamodb", "ssm", "sqs", "kms", "sts", "s3", "secretsmanager", "lambda", "logs", "xray", "sns", "events")
# One-word operations are scanned only when they are AWS calls no other code makes
# (`.get(` and `.verify(` are everywhere; `.scan(` and `.decrypt(` are not).
ONE_WORD = frozenset({"query", "scan", "decrypt", "encrypt", "invoke", "publish"})


def operations() -> dict[str, set[str]]:
    """boto3 method name -> services that have it (from botocore's service models)."""
    session = botocore.session.get_session()
    found: dict[str, set[str]] = {}
    for service in SERVICES:
        model = session.get_service_model(service)
        for operation in model.operation_names:
            found.setdefault(xform_name(operation), set()).add(service)
    return found


def calls_in_source() -> dict[str, list[str]]:
    """AWS client method -> where lambda_src calls it (`.put_item(` etc.)."""
    methods = operations()
    pattern = re.compile(r"\.([a-z][a-z0-9_]*)\(")
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            for method in pattern.findall(code):
                if method in methods and ("_" in method or method in ONE_WORD):
                    found.setdefault(method, []).append(f"{path.relative_to(ROOT)}:{number}")
    return found


def test_every_aws_call_has_a_row() -> None:
    covered = {call.split(".", 1)[1] for row in ROWS for call in row.get("calls", [])}
    missing = {method: where for method, where in calls_in_source().items() if method not in covered}
    assert not missing, (
        f"AWS calls without a row in tests/iam/requests.json (add an Allow row with `calls`, "
        f"and the permission to modules/iam): {missing}"
    )


def test_the_scan_finds_the_calls_the_function_makes() -> None:
    """The scanner is not blind: it sees the three calls the function makes today."""
    assert {"put_item", "get_parameter", "send_message"} <= set(calls_in_source())


def test_rows_name_real_calls() -> None:
    methods = operations()
    for row in ROWS:
        for call in row.get("calls", []):
            service, method = call.split(".", 1)
            assert service in methods.get(method, set()), f"{row['id']}: {call} is not a {service} operation"
            assert row["expect"] == "Allow", f"{row['id']}: a call the function makes must be allowed"
