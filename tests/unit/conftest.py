"""Unit-test fixtures: offline boto3 clients for botocore's Stubber (no network, no moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest


def offline_client(service: str) -> Any:
    return boto3.client(
        service,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:9",  # never reached: the Stubber answers first
    )


@pytest.fixture
def ddb_client() -> Iterator[Any]:
    yield offline_client("dynamodb")


@pytest.fixture
def ssm_client() -> Iterator[Any]:
    yield offline_client("ssm")
