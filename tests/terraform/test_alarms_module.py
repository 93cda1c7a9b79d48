"""The alarms module as planned: each alarm's metric, statistic, threshold, comparison
and missing-data rule; the metric filters' patterns; the dashboard names only
metrics the stack emits; the optional publisher and reconciler inputs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.harness import Planner, load_inventory

INVENTORY = load_inventory("root_default.json")
SUFFIX = INVENTORY["tf_vars"]["environment_suffix"]
NAME = f"payment-webhook-{SUFFIX}"
NAMESPACE = f"PaymentWebhook/{NAME}"
FUNCTION = NAME
QUEUE = f"{NAME}-quarantine"
PROVIDERS = ("adyen", "standard", "stripe")
DAY = 86400

# key -> (namespace, metric, statistic, dimensions, period, evaluation periods, threshold, comparison, missing data)
SINGLE_METRIC_ALARMS: dict[str, tuple[Any, ...]] = {
    "errors": (
        "AWS/Lambda",
        "Errors",
        "Sum",
        {"FunctionName": FUNCTION},
        300,
        1,
        0,
        "GreaterThanThreshold",
        "notBreaching",
    ),
    "throttles": (
        "AWS/Lambda",
        "Throttles",
        "Sum",
        {"FunctionName": FUNCTION},
        300,
        1,
        0,
        "GreaterThanThreshold",
        "notBreaching",
    ),
    "url-5xx": (
        "AWS/Lambda",
        "Url5xxCount",
        "Sum",
        {"FunctionName": FUNCTION},
        300,
        1,
        0,
        "GreaterThanThreshold",
        "notBreaching",
    ),
    "quarantine-not-empty": (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
        {"QueueName": QUEUE},
        300,
        1,
        0,
        "GreaterThanThreshold",
        "ignore",
    ),
    "quarantine-oldest-age": (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
        {"QueueName": QUEUE},
        300,
        1,
        7 * DAY,
        "GreaterThanThreshold",
        "ignore",
    ),
    **{
        f"{provider}-silent": (
            NAMESPACE,
            "Stored",
            "Sum",
            {"Provider": provider},
            3600,
            24,
            1,
            "LessThanThreshold",
            "breaching",
        )
        for provider in PROVIDERS
    },
}

# The log line's fields (lambda_src/webhook/service.py): provider, outcome, statusCode.
DELIVERY_PATTERNS = {
    "Requests": '{ $.provider = "%s" }',
    "Stored": '{ $.provider = "%s" && $.outcome = "accepted" }',
    "Duplicates": '{ $.provider = "%s" && $.outcome = "duplicate" }',
    "Ignored": '{ $.provider = "%s" && $.outcome = "ignored" }',
    "SignatureRejections": '{ $.provider = "%s" && $.statusCode = 401 }',
    "Refused": '{ $.provider = "%s" && $.statusCode = 400 }',
    "ServerErrors": '{ $.provider = "%s" && $.statusCode >= 500 }',
}
RECONCILE_PATTERN = "{ $.listed >= 0 && $.stored >= 0 && $.duplicates >= 0 && $.ignored >= 0 && $.refused >= 0 }"

# Metrics AWS publishes for the resources the dashboard may name (AWS/Lambda and
# AWS/SQS metric lists of the services' CloudWatch documentation).
AWS_METRICS = {
    "AWS/Lambda": {
        "Duration",
        "Errors",
        "Throttles",
        "Invocations",
        "IteratorAge",
        "Url4xxCount",
        "Url5xxCount",
        "UrlRequestCount",
        "ConcurrentExecutions",
    },
    "AWS/SQS": {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "NumberOfMessagesSent"},
}

# The alarms module alone with every optional input set (as the lead will wire it).
MODULE_INPUTS: dict[str, Any] = {
    "name_prefix": "pw-m1",
    "function_name": "pw-m1",
    "log_group_name": "/aws/lambda/pw-m1",
    "metric_namespace": "PaymentWebhook/pw-m1",
    "enabled_providers": ["stripe", "adyen"],
    "quarantine_queue_name": "pw-m1-quarantine",
    "quarantine_retention_seconds": 3 * DAY,
    "publisher_function_name": "pw-m1-publisher",
    "publisher_failure_queue_name": "pw-m1-publisher-failures",
    "reconciler_function_name": "pw-m1-reconciler",
    "reconciler_log_group_name": "/aws/lambda/pw-m1-reconciler",
}


@pytest.fixture(scope="module")
def plan(planner: Planner) -> Any:
    return planner.plan(**INVENTORY["tf_vars"])


@pytest.fixture(scope="module")
def module_plan(planner: Planner) -> Any:
    return planner.plan("modules/alarms", **MODULE_INPUTS)


def resources_of(plan: Any, resource_type: str, module: str | None = "module.alarms") -> dict[str, dict[str, Any]]:
    resources = plan.modules[module].resources if module else plan.resources
    return {address: r["values"] for address, r in resources.items() if r["type"] == resource_type}


def alarms_by_name(plan: Any, prefix: str = NAME, module: str | None = "module.alarms") -> dict[str, dict[str, Any]]:
    return {
        values["alarm_name"].removeprefix(prefix + "-"): values
        for values in resources_of(plan, "aws_cloudwatch_metric_alarm", module).values()
    }


def filters_by_name(plan: Any, prefix: str = NAME, module: str | None = "module.alarms") -> dict[str, dict[str, Any]]:
    return {
        values["name"].removeprefix(prefix + "-"): values
        for values in resources_of(plan, "aws_cloudwatch_log_metric_filter", module).values()
    }


def assert_single_metric_alarm(alarm: dict[str, Any], expected: tuple[Any, ...]) -> None:
    namespace, metric, statistic, dimensions, period, periods, threshold, comparison, missing = expected
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (namespace, metric, statistic)
    assert alarm["dimensions"] == dimensions
    assert (alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (period, periods, periods)
    assert (alarm["threshold"], alarm["comparison_operator"]) == (threshold, comparison)
    assert alarm["treat_missing_data"] == missing


def test_every_alarm_of_the_default_stack(plan: Any) -> None:
    alarms = alarms_by_name(plan)
    rejection_alarms = {f"{p}-signature-rejections" for p in PROVIDERS}
    # A subset: other alarms may live in their own file of the module (reserved concurrency).
    assert set(SINGLE_METRIC_ALARMS) | rejection_alarms <= set(alarms)
    for key, expected in SINGLE_METRIC_ALARMS.items():
        assert_single_metric_alarm(alarms[key], expected)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_signature_rejection_share_alarm(plan: Any, provider: str) -> None:
    alarm = alarms_by_name(plan)[f"{provider}-signature-rejections"]
    assert alarm.get("metric_name") in (None, "")
    queries = {q["id"]: q for q in alarm["metric_query"]}
    assert set(queries) == {"requests", "rejections", "share"}
    for query_id, metric_name in (("requests", "Requests"), ("rejections", "SignatureRejections")):
        (metric,) = queries[query_id]["metric"]
        assert (metric["namespace"], metric["metric_name"], metric["stat"], metric["period"]) == (
            NAMESPACE,
            metric_name,
            "Sum",
            300,
        )
        assert metric["dimensions"] == {"Provider": provider}
        assert queries[query_id]["return_data"] is False
    share = queries["share"]
    assert share["return_data"] is True
    assert share["expression"] == "IF(requests >= 5, 100 * FILL(rejections, 0) / requests, 0)"
    assert (alarm["threshold"], alarm["comparison_operator"]) == (20, "GreaterThanThreshold")
    assert alarm["treat_missing_data"] == "notBreaching"  # no request at all: nothing to alarm on
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (1, 1)


def test_delivery_filters_read_the_function_log_line(plan: Any) -> None:
    filters = filters_by_name(plan)
    assert set(filters) == {f"{p}-{metric}" for p in PROVIDERS for metric in DELIVERY_PATTERNS}
    log_group = plan.modules["module.lambda"].resources["aws_cloudwatch_log_group.this"]["values"]["name"]
    for provider in PROVIDERS:
        for metric, pattern in DELIVERY_PATTERNS.items():
            values = filters[f"{provider}-{metric}"]
            assert values["pattern"] == pattern % provider
            assert values["log_group_name"] == log_group
            (transformation,) = values["metric_transformation"]
            assert transformation["name"] == metric
            assert transformation["namespace"] == NAMESPACE
            assert transformation["value"] == "1"
            assert transformation["unit"] == "Count"
            assert transformation["dimensions"] == {"Provider": "$.provider"}
            assert not transformation.get("default_value")  # sparse: missing data is handled by each alarm


def test_only_enabled_providers_get_metrics_and_alarms(planner: Planner) -> None:
    plan = planner.plan(environment_suffix="a2", enabled_providers=["stripe"])
    alarms = alarms_by_name(plan, "payment-webhook-a2")
    assert {"stripe-silent", "stripe-signature-rejections"} <= set(alarms)
    assert not [key for key in alarms if key.startswith(("adyen", "standard"))]
    assert {key.split("-")[0] for key in filters_by_name(plan, "payment-webhook-a2")} == {"stripe"}


def test_silence_hours_default_and_per_provider_override(planner: Planner) -> None:
    plan = planner.plan(
        environment_suffix="a3", silence_alarm_hours=12, silence_alarm_hours_by_provider={"adyen": 168, "standard": 0}
    )
    alarms = alarms_by_name(plan, "payment-webhook-a3")
    assert (alarms["stripe-silent"]["evaluation_periods"], alarms["stripe-silent"]["datapoints_to_alarm"]) == (12, 12)
    assert (alarms["adyen-silent"]["evaluation_periods"], alarms["adyen-silent"]["period"]) == (168, 3600)
    assert "standard-silent" not in alarms  # 0 = no silence alarm for a provider that may stay quiet


def test_quarantine_age_limit_follows_the_retention_or_the_input(planner: Planner) -> None:
    short = alarms_by_name(planner.plan(environment_suffix="a4", quarantine_retention_days=3), "payment-webhook-a4")
    assert short["quarantine-oldest-age"]["threshold"] == 1.5 * DAY
    given = alarms_by_name(planner.plan(environment_suffix="a5", quarantine_age_alarm_hours=48), "payment-webhook-a5")
    assert given["quarantine-oldest-age"]["threshold"] == 2 * DAY


def test_quarantine_age_limit_beyond_the_retention_is_refused(planner: Planner) -> None:
    message = planner.plan_error(environment_suffix="a6", quarantine_retention_days=2, quarantine_age_alarm_hours=48)
    assert "must be below the queue's retention" in message


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("silence_alarm_hours", 0, "silence_alarm_hours must be a whole number of hours between 1 and 168"),
        ("silence_alarm_hours", 169, "silence_alarm_hours must be a whole number of hours between 1 and 168"),
        ("silence_alarm_hours_by_provider", {"paypal": 24}, "keys must be standard, stripe or adyen"),
        ("silence_alarm_hours_by_provider", {"adyen": 200}, "keys must be standard, stripe or adyen"),
        ("signature_rejection_alarm_percent", 0, "must be above 0 and below 100"),
        ("signature_rejection_alarm_min_requests", 0.5, "must be a whole number of at least 1"),
        ("quarantine_age_alarm_hours", 0, "must be null or a whole number of hours of at least 1"),
    ],
)
def test_invalid_alarm_inputs_are_rejected(planner: Planner, variable: str, value: object, message: str) -> None:
    assert message in planner.plan_error(environment_suffix="ok", **{variable: value})


def test_publisher_and_reconciler_alarms_when_their_inputs_are_set(module_plan: Any) -> None:
    alarms = alarms_by_name(module_plan, "pw-m1", module=None)
    assert_single_metric_alarm(
        alarms["publisher-failures"],
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
            {"QueueName": "pw-m1-publisher-failures"},
            300,
            1,
            0,
            "GreaterThanThreshold",
            "ignore",
        ),
    )
    assert_single_metric_alarm(
        alarms["publisher-iterator-age"],
        (
            "AWS/Lambda",
            "IteratorAge",
            "Maximum",
            {"FunctionName": "pw-m1-publisher"},
            300,
            1,
            3_600_000,  # milliseconds
            "GreaterThanThreshold",
            "notBreaching",
        ),
    )
    assert_single_metric_alarm(
        alarms["reconciler-errors"],
        (
            "AWS/Lambda",
            "Errors",
            "Sum",
            {"FunctionName": "pw-m1-reconciler"},
            300,
            1,
            0,
            "GreaterThanThreshold",
            "ignore",
        ),
    )
    assert alarms["quarantine-oldest-age"]["threshold"] == 1.5 * DAY


def test_publisher_alarms_but_no_reconciler_alarm_by_default(plan: Any) -> None:
    keys = set(alarms_by_name(plan))
    assert {"publisher-failures", "publisher-iterator-age"} <= keys  # the root wires events_out's publisher
    assert "reconciler-errors" not in keys  # reconciliation is off by default
    assert not [name for name in filters_by_name(plan) if name.startswith("Reconcile")]


def test_reconciler_summary_filters(module_plan: Any) -> None:
    filters = {k: v for k, v in filters_by_name(module_plan, "pw-m1", module=None).items() if k.startswith("Reconcile")}
    expected = {
        "ReconcileListed": "$.listed",
        "ReconcileStored": "$.stored",
        "ReconcileDuplicates": "$.duplicates",
        "ReconcileIgnored": "$.ignored",
        "ReconcileRefused": "$.refused",
    }
    assert set(filters) == set(expected)
    for name, value in expected.items():
        values = filters[name]
        assert values["pattern"] == RECONCILE_PATTERN
        assert values["log_group_name"] == "/aws/lambda/pw-m1-reconciler"
        (transformation,) = values["metric_transformation"]
        assert (transformation["name"], transformation["value"], transformation["namespace"]) == (
            name,
            value,
            "PaymentWebhook/pw-m1",
        )


def dashboard_metrics(body: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of every metric the dashboard's widgets name."""
    named = []
    for widget in body["widgets"]:
        for entry in widget.get("properties", {}).get("metrics", []):
            parts = [p for p in entry if not isinstance(p, dict)]
            assert "." not in parts, "shorthand metric entries are not used (every entry is checked in full)"
            namespace, metric, *dims = parts
            named.append((namespace, metric, dict(zip(dims[::2], dims[1::2], strict=True))))
    return named


def filter_metrics(plan: Any, module: str | None) -> set[tuple[str, str, frozenset[str]]]:
    """(namespace, name, dimension names) of every metric the planned metric filters publish."""
    filters = set()
    for values in resources_of(plan, "aws_cloudwatch_log_metric_filter", module).values():
        (t,) = values["metric_transformation"]
        filters.add((t["namespace"], t["name"], frozenset((t.get("dimensions") or {}).keys())))
    return filters


def check_dashboard(body: dict[str, Any], filters: set[Any], resources: dict[str, set[str]]) -> int:
    checked = 0
    for namespace, metric, dims in dashboard_metrics(body):
        if namespace in AWS_METRICS:
            assert metric in AWS_METRICS[namespace], (namespace, metric)
            ((dimension, name),) = dims.items()
            assert name in resources[dimension], f"{namespace} {metric}: {dimension}={name} is no resource of the stack"
        else:
            assert (namespace, metric, frozenset(dims)) in filters, f"{namespace} {metric} {dims}: no metric filter"
            if "Provider" in dims:
                assert dims["Provider"] in PROVIDERS
        checked += 1
    return checked


def test_dashboard_names_only_metrics_the_stack_emits(plan: Any) -> None:
    (dashboard,) = resources_of(plan, "aws_cloudwatch_dashboard").values()
    assert dashboard["dashboard_name"] == NAME
    body = json.loads(dashboard["dashboard_body"])
    # AWS metrics only of resources in the plan.
    functions = {
        v["function_name"]
        for module in ("module.lambda", "module.events_out")
        for v in resources_of(plan, "aws_lambda_function", module).values()
    }
    queues = {
        v["name"]
        for module in ("module.quarantine", "module.events_out")
        for v in resources_of(plan, "aws_sqs_queue", module).values()
    }
    resources = {"FunctionName": functions, "QueueName": queues}
    checked = check_dashboard(body, filter_metrics(plan, "module.alarms"), resources)
    # 3 providers x 6 outcomes, duration p50/p99, 4 function counters, quarantine depth and age,
    # and the publisher's widgets (iterator age, failures) now that the root wires it.
    assert checked > 3 * 6 + 2 + 4 + 2
    titles = [w["properties"].get("title", "") for w in body["widgets"]]
    for provider in PROVIDERS:
        assert f"{provider}: deliveries by outcome" in titles
    alarm_widget = next(w for w in body["widgets"] if w["type"] == "alarm")
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:{}".format
    every_alarm = {arn(v["alarm_name"]) for v in resources_of(plan, "aws_cloudwatch_metric_alarm").values()}
    main_alarms = {arn(f"{NAME}-{key}") for key in SINGLE_METRIC_ALARMS} | {
        arn(f"{NAME}-{p}-signature-rejections") for p in PROVIDERS
    }
    assert main_alarms <= set(alarm_widget["properties"]["alarms"]) <= every_alarm
    assert all(w["properties"].get("region") in (None, "us-east-1") for w in body["widgets"])


def test_dashboard_with_publisher_and_reconciler(module_plan: Any) -> None:
    (dashboard,) = resources_of(module_plan, "aws_cloudwatch_dashboard", None).values()
    body = json.loads(dashboard["dashboard_body"])
    filters = filter_metrics(module_plan, None)
    resources = {
        "FunctionName": {"pw-m1", "pw-m1-publisher", "pw-m1-reconciler"},
        "QueueName": {"pw-m1-quarantine", "pw-m1-publisher-failures"},
    }
    checked = check_dashboard(body, filters, resources)
    # 2 providers x 6, 2 + 4 function, 2 quarantine, 3 publisher, 5 reconciler counts, 2 reconciler runs.
    assert checked == 2 * 6 + 6 + 2 + 3 + 5 + 2
    named = {(ns, m, tuple(sorted(d.items()))) for ns, m, d in dashboard_metrics(body)}
    assert ("AWS/Lambda", "IteratorAge", (("FunctionName", "pw-m1-publisher"),)) in named
    assert ("PaymentWebhook/pw-m1", "ReconcileRefused", ()) in named


def test_dashboard_can_be_switched_off(planner: Planner) -> None:
    plan = planner.plan(environment_suffix="a7", dashboard_enabled=False)
    assert not resources_of(plan, "aws_cloudwatch_dashboard")
    assert plan.outputs["dashboard_url"] is None


def test_dashboard_url_output(plan: Any) -> None:
    assert plan.outputs["dashboard_url"] == (
        f"https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/{NAME}"
    )
