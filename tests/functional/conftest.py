"""Functional fixtures: ``handler.handler`` against moto with a real table and SSM SecureString."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

import handler as handler_module
from local_stack.emulator.fixtures import create_transactions_table
from webhook import wiring

TABLE = "webhook-transactions-functest"
PARAM = "/webhook/functest/signing-secret"
REGION = "eu-west-1"


@dataclass
class AwsEnv:
    ddb: Any
    ssm: Any
    kms_key_arn: str
    table: str = TABLE
    param: str = PARAM

    def get(self, transaction_id: str, event_id: str) -> dict[str, Any] | None:
        """The raw item (low-level attribute values), read back consistently."""
        item: dict[str, Any] | None = self.ddb.get_item(
            TableName=self.table,
            Key={"transactionId": {"S": transaction_id}, "eventId": {"S": event_id}},
            ConsistentRead=True,
        ).get("Item")
        return item

    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.ddb.scan(TableName=self.table, ConsistentRead=True)["Items"]
        return items

    def count(self) -> int:
        count: int = self.ddb.scan(TableName=self.table, Select="COUNT", ConsistentRead=True)["Count"]
        return count

    def set_secret(self, value: str) -> None:
        self.ssm.put_parameter(
            Name=self.param, Type="SecureString", Value=value, KeyId=self.kms_key_arn, Overwrite=True
        )


@dataclass
class Result:
    status: int
    body: dict[str, Any]
    response: dict[str, Any]


Invoke = Callable[[dict[str, Any]], Result]


@dataclass
class MotoAccount:
    ddb: Any
    ssm: Any
    kms_key_arn: str


@pytest.fixture(scope="module")
def moto_account() -> Iterator[MotoAccount]:
    """One moto account per test module (starting moto and creating clients is the slow part)."""
    with pytest.MonkeyPatch.context() as mp:
        for var in (
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_DYNAMODB",
            "AWS_ENDPOINT_URL_SSM",
            "AWS_SESSION_TOKEN",
        ):
            mp.delenv(var, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        mp.setenv("AWS_REGION", REGION)
        with mock_aws():
            wiring.reset()
            ddb = boto3.client("dynamodb", region_name=REGION)
            ssm = boto3.client("ssm", region_name=REGION)
            key_arn = boto3.client("kms", region_name=REGION).create_key(Description="webhook CMK")["KeyMetadata"][
                "Arn"
            ]
            yield MotoAccount(ddb, ssm, key_arn)
            wiring.reset()


@pytest.fixture
def aws(moto_account: MotoAccount, secret: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEnv]:
    """A fresh, empty transactions table and the signing secret in SSM, for each test."""
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("WEBHOOK_SECRET_PARAM", PARAM)
    monkeypatch.delenv("SIGNATURE_TOLERANCE_SECONDS", raising=False)
    ddb = moto_account.ddb
    if TABLE in ddb.list_tables()["TableNames"]:
        ddb.delete_table(TableName=TABLE)
    create_transactions_table(ddb, TABLE)
    env = AwsEnv(ddb, moto_account.ssm, moto_account.kms_key_arn)
    env.set_secret(secret)
    wiring.reset(clients=False)
    yield env
    wiring.reset(clients=False)


@pytest.fixture
def invoke(context: Any) -> Invoke:
    def call(event: dict[str, Any]) -> Result:
        response = handler_module.handler(event, context)
        assert response["headers"]["content-type"] == "application/json"
        return Result(response["statusCode"], json.loads(response["body"]), response)

    return call


def number(item: dict[str, Any], name: str = "amount") -> Decimal:
    return Decimal(item[name]["N"])


# --- behaviour.md "Providers"/"Payment status": the provider paths and the payments table -----------------------------

STRIPE_PARAM = "/webhook/functest/stripe-signing-secret"
ADYEN_PARAM = "/webhook/functest/adyen-hmac-key"
PAYMENTS_TABLE = "webhook-payments-functest"


@dataclass
class Providers:
    aws: AwsEnv

    def set_stripe(self, value: str) -> None:
        self._put(STRIPE_PARAM, value)

    def set_adyen(self, value: str) -> None:
        self._put(ADYEN_PARAM, value)

    def _put(self, name: str, value: str) -> None:
        self.aws.ssm.put_parameter(
            Name=name, Type="SecureString", Value=value, KeyId=self.aws.kms_key_arn, Overwrite=True
        )
        wiring.reset(clients=False)


@pytest.fixture
def providers(aws: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> Providers:
    """/stripe and /adyen switched on, each with its test-only secret in an SSM SecureString."""
    from tests.provider_signing import ADYEN_HMAC_KEY, STRIPE_SECRET

    monkeypatch.setenv("STRIPE_SECRET_PARAM", STRIPE_PARAM)
    monkeypatch.setenv("ADYEN_HMAC_KEY_PARAM", ADYEN_PARAM)
    env = Providers(aws)
    env.set_stripe(STRIPE_SECRET)
    env.set_adyen(ADYEN_HMAC_KEY)
    return env


@pytest.fixture
def payments_table(aws: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty payments table (partition key transactionId, no sort key) named in PAYMENTS_TABLE_NAME."""
    ddb = aws.ddb
    if PAYMENTS_TABLE in ddb.list_tables()["TableNames"]:
        ddb.delete_table(TableName=PAYMENTS_TABLE)
    ddb.create_table(
        TableName=PAYMENTS_TABLE,
        KeySchema=[{"AttributeName": "transactionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "transactionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("PAYMENTS_TABLE_NAME", PAYMENTS_TABLE)
    wiring.reset(clients=False)
    yield PAYMENTS_TABLE
    wiring.reset(clients=False)


@pytest.fixture
def call(context: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The handler's raw response (Adyen's ``[accepted]`` is text, not JSON)."""

    def run(event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = handler_module.handler(event, context)
        return response

    return run
