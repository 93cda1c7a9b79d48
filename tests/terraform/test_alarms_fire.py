"""The alarms fire on what the function really writes.

Real deliveries (a Stripe event signed with a wrong secret, an Adyen batch signed
with a wrong key, an authentic Stripe event refused with 400 and quarantined, and
good ones) run through ``handler.handler`` in-process against moto. Their log
lines go through the metric filters exactly as Terraform plans them (patterns,
metric names, values and dimensions read from the root module's plan), with the
filter-pattern semantics CloudWatch documents (tests/cloudwatch_patterns.py). The
resulting data points are then fed to the planned alarms: the metric math of the
signature-rejection alarm, the silence alarm's threshold and missing-data rule.

So a renamed log field, a changed outcome or status value, or a pattern or metric
name edited on one side only fails here. Run with ``-s`` to see the data points.

moto cannot do this end to end: moto 5.2.5 stores metric filters
(``put_metric_filter``) but ``put_log_events`` publishes no metric data from them,
and its filter-pattern code treats every JSON pattern as "match everything"
(moto/logs/metric_filters.py, moto/logs/utils.py).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

import handler as handler_module
from local_stack.emulator.fixtures import create_transactions_table
from tests.cloudwatch_alarms import breaches, math_alarm_value, metric_value
from tests.cloudwatch_patterns import MetricFilter, datapoints
from tests.provider_signing import (
    ADYEN_HMAC_KEY,
    STRIPE_SECRET,
    adyen_event,
    adyen_item,
    function_url_event,
    sample,
    standard_headers,
    stripe_event,
    stripe_payment,
)
from tests.terraform.harness import Planner, load_inventory
from webhook import wiring

INVENTORY = load_inventory("root_default.json")
REGION = "eu-west-1"
TABLE = "alarms-proof-transactions"
QUEUE = "alarms-proof-quarantine"
PARAMS = {
    "WEBHOOK_SECRET_PARAM": "/alarms-proof/standard",
    "STRIPE_SECRET_PARAM": "/alarms-proof/stripe",
    "ADYEN_HMAC_KEY_PARAM": "/alarms-proof/adyen",
}
STANDARD_SECRET = "whsec_" + base64.b64encode(b"alarms-proof-standard-key-32byte").decode()
# What a half-rotated or mistyped secret looks like to the function: well formed, not the one in SSM.
WRONG_STRIPE_SECRET = "whsec_" + secrets.token_hex(16)
WRONG_ADYEN_KEY = secrets.token_hex(32).upper()


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(**INVENTORY["tf_vars"])


def planned(plan: Any, resource_type: str) -> dict[str, dict[str, Any]]:
    resources = plan.modules["module.alarms"].resources
    return {address: r["values"] for address, r in resources.items() if r["type"] == resource_type}


@pytest.fixture(scope="module")
def metric_filters(plan: Any) -> list[MetricFilter]:
    found = [MetricFilter.from_planned(v) for v in planned(plan, "aws_cloudwatch_log_metric_filter").values()]
    assert found, "the plan has no metric filter"
    return found


@dataclass
class Delivery:
    label: str
    event: dict[str, Any]
    status: int


def standard(body: dict[str, Any], msg_id: str) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    return function_url_event("/standard", raw, standard_headers(STANDARD_SECRET, msg_id, raw))


def deliveries() -> list[Delivery]:
    """A morning with a half-rotated Stripe secret and an Adyen key typed wrong."""
    wrong_stripe = [
        Delivery(
            "stripe, wrong secret",
            stripe_event(stripe_payment(event_id=f"evt_wrong_{n}"), secret=WRONG_STRIPE_SECRET),
            401,
        )
        for n in range(6)
    ]
    good_payment = stripe_event(stripe_payment(event_id="evt_good_1", payment_intent="pi_good_1"))
    return [
        *wrong_stripe,
        Delivery("stripe, right secret", good_payment, 200),
        Delivery("stripe, re-delivered", good_payment, 200),
        Delivery("stripe, not a payment", stripe_event(sample("stripe_customer_created.json")), 200),
        Delivery(
            "stripe, authentic but refused (quarantined)",
            stripe_event(stripe_payment(currency="xyz", event_id="evt_bad_currency")),
            400,
        ),
        Delivery("adyen, wrong key", adyen_event([adyen_item()], key=WRONG_ADYEN_KEY), 401),
        Delivery(
            "standard, right secret",
            standard({"transactionId": "txn_std_1", "amount": "12.50", "currency": "EUR"}, "msg_std_1"),
            200,
        ),
    ]


@pytest.fixture
def log_lines(plan: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The function's stdout (its log stream) for :func:`deliveries`, with every provider on."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    for var in ("DYNAMODB", "SSM", "SQS"):
        monkeypatch.delenv(f"AWS_ENDPOINT_URL_{var}", raising=False)
    monkeypatch.delenv("PAYMENTS_TABLE_NAME", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "TABLE_NAME": TABLE,
        **PARAMS,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        wiring.reset()
        create_transactions_table(boto3.client("dynamodb", region_name=REGION), TABLE)
        ssm = boto3.client("ssm", region_name=REGION)
        for variable, secret in zip(PARAMS, (STANDARD_SECRET, STRIPE_SECRET, ADYEN_HMAC_KEY), strict=True):
            ssm.put_parameter(Name=PARAMS[variable], Type="SecureString", Value=secret)
        queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName=QUEUE)["QueueUrl"]
        monkeypatch.setenv("QUARANTINE_QUEUE_URL", queue_url)
        capsys.readouterr()
        for delivery in deliveries():
            response = handler_module.handler(delivery.event, None)
            assert response["statusCode"] == delivery.status, delivery.label
        out = capsys.readouterr().out
        wiring.reset()
    yield [line for line in out.splitlines() if line.strip()]


def test_every_filter_reads_the_function_log_group(plan: Any) -> None:
    log_group = plan.modules["module.lambda"].resources["aws_cloudwatch_log_group.this"]["values"]["name"]
    for values in planned(plan, "aws_cloudwatch_log_metric_filter").values():
        assert values["log_group_name"] == log_group


def test_wrong_secret_and_quarantine_produce_the_datapoints_the_alarms_read(
    plan: Any, metric_filters: list[MetricFilter], log_lines: list[str]
) -> None:
    points = datapoints(metric_filters, log_lines)
    print("\nlog lines of the run:")
    for line in log_lines:
        print("  ", line)
    print("data points (one period):")
    for point in points:
        print("  ", point)

    namespace = metric_filters[0].namespace
    assert namespace == f"PaymentWebhook/payment-webhook-{INVENTORY['tf_vars']['environment_suffix']}"

    def sum_of(metric: str, provider: str) -> Decimal | None:
        return metric_value(points, namespace, metric, {"Provider": provider}, "Sum")

    expected = {
        ("Requests", "stripe"): 10,
        ("SignatureRejections", "stripe"): 6,
        ("Stored", "stripe"): 1,
        ("Duplicates", "stripe"): 1,
        ("Ignored", "stripe"): 1,
        ("Refused", "stripe"): 1,
        ("Requests", "adyen"): 1,
        ("SignatureRejections", "adyen"): 1,
        ("Requests", "standard"): 1,
        ("Stored", "standard"): 1,
    }
    for (metric, provider), count in expected.items():
        assert sum_of(metric, provider) == count, (metric, provider)
    # Nothing else: no 5xx, nothing stored for Adyen, no rejection on /standard.
    published = {(p.metric_name, dict(p.dimensions)["Provider"]) for p in points}
    assert published == set(expected)


def test_signature_rejection_alarm_fires_for_the_wrong_secret_only(
    plan: Any, metric_filters: list[MetricFilter], log_lines: list[str]
) -> None:
    points = datapoints(metric_filters, log_lines)
    alarms = planned(plan, "aws_cloudwatch_metric_alarm")
    verdicts = {}
    for provider in ("standard", "stripe", "adyen"):
        alarm = alarms[f'aws_cloudwatch_metric_alarm.signature_rejections["{provider}"]']
        share = math_alarm_value(alarm, points)
        verdicts[provider] = (share, breaches(alarm, share))
        name, threshold = alarm["alarm_name"], alarm["threshold"]
        print(f"   {name}: share={share} threshold={threshold} -> breaching={verdicts[provider][1]}")
    assert verdicts["stripe"] == (Decimal(60), True)  # 6 of 10 requests
    # Adyen: 1 request of 1 rejected, below the minimum of requests: not counted.
    assert verdicts["adyen"] == (Decimal(0), False)
    assert verdicts["standard"] == (Decimal(0), False)


def test_adyen_alarm_fires_once_its_wrong_key_meets_enough_requests(
    plan: Any, metric_filters: list[MetricFilter], log_lines: list[str]
) -> None:
    # The same Adyen 401 line, five times in one period (Adyen retries).
    adyen_line = next(line for line in log_lines if '"provider":"adyen"' in line)
    points = datapoints(metric_filters, [adyen_line] * 5)
    alarm = planned(plan, "aws_cloudwatch_metric_alarm")['aws_cloudwatch_metric_alarm.signature_rejections["adyen"]']
    share = math_alarm_value(alarm, points)
    assert (share, breaches(alarm, share)) == (Decimal(100), True)


def test_silence_alarm_sees_the_provider_that_stored_nothing(
    plan: Any, metric_filters: list[MetricFilter], log_lines: list[str]
) -> None:
    points = datapoints(metric_filters, log_lines)
    alarms = planned(plan, "aws_cloudwatch_metric_alarm")
    verdicts = {}
    for provider in ("standard", "stripe", "adyen"):
        alarm = alarms[f'aws_cloudwatch_metric_alarm.this["{provider}-silent"]']
        stored = metric_value(points, alarm["namespace"], alarm["metric_name"], alarm["dimensions"], alarm["statistic"])
        verdicts[provider] = breaches(alarm, stored)
        print(f"   {alarm['alarm_name']}: hourly {alarm['statistic']}={stored} -> breaching={verdicts[provider]}")
    # Adyen stored nothing this hour (every delivery was 401): a breaching hour;
    # 24 of them in a row raise the alarm.
    assert verdicts == {"standard": False, "stripe": False, "adyen": True}
