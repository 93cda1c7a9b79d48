"""IAM enforced in the emulator (local_stack.iam + local_stack.emulator.server), without Terraform.

A role shaped like the function's (PutItem on one table, GetParameter of one parameter),
assumed the way the local Function URL assumes it: what it needs is allowed on the exact
ARNs, everything else is an AccessDeniedException, as on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_stack import iam, processes
from local_stack.emulator import SERVER_MODULE, Emulator
from tests.local_stack.enforced import LAMBDA_TRUST, Enforced, enforced_emulator

pytestmark = pytest.mark.timeout(120)



@pytest.fixture(scope="module")
def enforced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Enforced]:
    with enforced_emulator(tmp_path_factory.mktemp("iam-emulator") / "emulator.log") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def role(enforced: Enforced) -> dict[str, Any]:
    ddb, ssm = enforced.client("dynamodb"), enforced.client("ssm")
    table = ddb.create_table(
        TableName="iam-events",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    for name in ("/iam/own", "/iam/other"):
        ssm.put_parameter(Name=name, Value=f"secret of {name}", Type="SecureString")
    own = ssm.get_parameter(Name="/iam/own")["Parameter"]["ARN"]
    admin_iam = enforced.client("iam")
    arn = admin_iam.create_role(RoleName="iam-fn", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table},
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": own},
        ],
    }
    admin_iam.put_role_policy(RoleName="iam-fn", PolicyName="least", PolicyDocument=json.dumps(policy))
    credentials = iam.assume_function_role(enforced.endpoint, "us-east-1", arn, "iam-fn", enforced.admin, True)
    return {"arn": arn, "credentials": credentials}


def code(call: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return str(refused.value.response["Error"]["Code"])


def test_unknown_and_fake_keys_are_refused(enforced: Enforced):
    for fake in (iam.Credentials("testing", "testing"), iam.Credentials("AKIAFAKEFAKEFAKEFAKE", "x")):
        assert code(lambda fake=fake: enforced.client("sqs", fake).list_queues()) in (
            "InvalidClientTokenId",
            "UnrecognizedClientException",
        )
    assert enforced.client("sts").get_caller_identity()["Arn"].endswith(f":user/{iam.HARNESS_USER}")


def test_a_wrong_secret_key_is_refused(enforced: Enforced):
    forged = iam.Credentials(enforced.admin.access_key_id, "not-the-secret")
    assert code(lambda: enforced.client("dynamodb", forged).list_tables()) == "SignatureDoesNotMatch"


def test_the_role_session_is_the_roles(enforced: Enforced, role: dict[str, Any]):
    arn = enforced.client("sts", role["credentials"]).get_caller_identity()["Arn"]
    assert arn == "arn:aws:sts::123456789012:assumed-role/iam-fn/iam-fn"


def test_what_the_role_needs_is_allowed_on_the_exact_resources(enforced: Enforced, role: dict[str, Any]):
    ddb, ssm = enforced.client("dynamodb", role["credentials"]), enforced.client("ssm", role["credentials"])
    ddb.put_item(TableName="iam-events", Item={"k": {"S": "1"}})
    assert ssm.get_parameter(Name="/iam/own", WithDecryption=True)["Parameter"]["Value"] == "secret of /iam/own"


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("dynamodb", lambda c: c.scan(TableName="iam-events")),
        ("dynamodb", lambda c: c.delete_item(TableName="iam-events", Key={"k": {"S": "1"}})),
        ("dynamodb", lambda c: c.get_item(TableName="iam-events", Key={"k": {"S": "1"}})),
        ("dynamodb", lambda c: c.put_item(TableName="iam-other-table", Item={"k": {"S": "1"}})),
        ("ssm", lambda c: c.get_parameter(Name="/iam/other", WithDecryption=True)),
        ("ssm", lambda c: c.put_parameter(Name="/iam/own", Value="x", Type="SecureString", Overwrite=True)),
    ],
    ids=["Scan", "DeleteItem", "GetItem", "PutItem-other-table", "GetParameter-other", "PutParameter-own"],
)
def test_everything_else_is_access_denied_like_aws(enforced: Enforced, role: dict[str, Any], service: str, call: Any):
    # AWS's JSON-protocol shape (boto3 reads the code), not moto's XML 403.
    assert code(lambda: call(enforced.client(service, role["credentials"]))) == "AccessDeniedException"


def test_iam_calls_are_refused_to_the_role(enforced: Enforced, role: dict[str, Any]):
    assert code(lambda: enforced.client("iam", role["credentials"]).list_roles()) == "AccessDenied"


def test_a_role_lambda_may_not_assume_is_refused(enforced: Enforced):
    trust = {
        "Version": "2012-10-17",
        "Statement": [{**LAMBDA_TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}],
    }
    arn = enforced.client("iam").create_role(RoleName="not-for-lambda", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    with pytest.raises(iam.IamError, match=r"does not trust lambda\.amazonaws\.com"):
        iam.assume_function_role(enforced.endpoint, "us-east-1", arn, "x", enforced.admin, True)


def test_the_unauthenticated_call_for_assume_role_is_used_up(enforced: Enforced, role: dict[str, Any]):
    """After the AssumeRole, the emulator enforces again: the next unsigned-key call is refused."""
    assert code(lambda: enforced.client("sqs", iam.Credentials("testing", "testing")).list_queues()) in (
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    )


def test_an_emulator_without_iam_is_not_mistaken_for_one_with(tmp_path):
    emulator = Emulator(tmp_path / "emulator.log").start()
    pid, port = emulator.pid, emulator.port
    try:
        endpoint = f"http://127.0.0.1:{port}"
        with pytest.raises(iam.IamError, match="accepts every call"):
            iam.assume_function_role(endpoint, "us-east-1", "arn:aws:iam::123456789012:role/x", "x", None, True)
    finally:
        processes.stop_process(pid, SERVER_MODULE, "emulator", print)


def test_rest_calls_without_a_body_verify(enforced: Enforced):
    """Lambda's GET/DELETE calls: moto would re-sign them over its parsed headers (emulator/server.py, 4.)."""
    lam = enforced.client("lambda")
    assert "Functions" in lam.list_functions()
    with pytest.raises(ClientError) as missing:
        lam.get_function(FunctionName="no-such-function")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
