"""What a CloudWatch alarm makes of one period's data points (the filters' output of tests/cloudwatch_patterns.py).

Alarms are read as Terraform describes them, planned or applied (the
``aws_cloudwatch_metric_alarm`` values of ``terraform show -json``): a plain metric
alarm or a metric-math one, its threshold, comparison and missing-data rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from tests.cloudwatch_patterns import Datapoint, evaluate_math

__all__ = ["applied_resources", "breaches", "math_alarm_value", "metric_value"]


def applied_resources(state: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Address -> values of every resource of ``resource_type`` in a ``terraform show -json`` state, any module."""

    def walk(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        yield from module.get("resources") or []
        for child in module.get("child_modules") or []:
            yield from walk(child)

    root = state.get("values", {}).get("root_module", {})
    return {r["address"]: r["values"] for r in walk(root) if r["type"] == resource_type and r.get("mode") == "managed"}


def metric_value(
    points: list[Datapoint], namespace: str, metric: str, dimensions: Mapping[str, str], stat: str
) -> Decimal | None:
    """The statistic of one period as the alarm reads it; None = no data point."""
    key = tuple(sorted(dimensions.items()))
    for point in points:
        if (point.namespace, point.metric_name, point.dimensions) == (namespace, metric, key):
            if stat == "Sum":
                return point.value
            if stat == "SampleCount":
                return Decimal(point.samples)
            raise AssertionError(f"statistic {stat} is not modelled for a count metric")
    return None


def breaches(alarm: Mapping[str, Any], observed: Decimal | None) -> bool:
    """One period's verdict: the comparison, or the missing-data rule when there is no data point."""
    if observed is None:
        return {"breaching": True, "notBreaching": False}[alarm["treat_missing_data"]]
    threshold = Decimal(str(alarm["threshold"]))
    return {
        "GreaterThanThreshold": observed > threshold,
        "GreaterThanOrEqualToThreshold": observed >= threshold,
        "LessThanThreshold": observed < threshold,
        "LessThanOrEqualToThreshold": observed <= threshold,
    }[alarm["comparison_operator"]]


def math_alarm_value(alarm: Mapping[str, Any], points: list[Datapoint]) -> Decimal | None:
    """One period of a metric-math alarm: each metric query's statistic, then the returned expression."""
    ids: dict[str, Decimal | None] = {}
    expression = None
    for query in alarm["metric_query"]:
        if query.get("expression"):
            assert query["return_data"], "the alarm's expression must be the returned one"
            expression = query["expression"]
            continue
        (metric,) = query["metric"]
        ids[query["id"]] = metric_value(
            points, metric["namespace"], metric["metric_name"], metric["dimensions"], metric["stat"]
        )
    assert expression is not None
    return evaluate_math(expression, ids)
