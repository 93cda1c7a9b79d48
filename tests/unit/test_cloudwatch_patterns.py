"""The test-side model of CloudWatch filter patterns, metric filters and metric math
(tests/cloudwatch_patterns.py), checked against the examples of CloudWatch Logs'
"Filter pattern syntax" page (JSON log events) and against the log line's shape."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.cloudwatch_patterns import Datapoint, MetricFilter, PatternError, datapoints, evaluate_math, matches

# The documentation's JSON example event and the filters it says match it.
DOC_EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
    }
)

# The documentation's compound-condition example and its verdicts.
DOC_COMPOUND = json.dumps(
    {
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
    }
)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" }',
        "{ $.sourceIPAddress != 123.123.* }",
        '{ $.arrayKey[0] = "value" }',
        "{ $.objectList[1].id = 2 }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
    ],
)
def test_documented_json_examples_match(pattern: str) -> None:
    assert matches(pattern, DOC_EVENT)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch)'
            " && $.actions[2] = nomatch }",
            False,
        ),
    ],
)
def test_documented_compound_conditions(pattern: str, expected: bool) -> None:
    assert matches(pattern, DOC_COMPOUND) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "Update" }',
        "{ $.sourceIPAddress != 111.111.* }",
        "{ $.ThisFlag IS FALSE }",
        "{ $.SomeObject NOT EXISTS }",
        "{ $.eventType IS NULL }",
        "{ $.objectList[5].id = 2 }",
        "{ $.arrayKey[0].x = 1 }",
    ],
)
def test_non_matches_on_the_documented_event(pattern: str) -> None:
    assert not matches(pattern, DOC_EVENT)


def test_selector_on_an_array_or_object_matches_neither_equal_nor_unequal() -> None:
    line = json.dumps({"users": [1, 2, 3], "user": {"id": 1}})
    for pattern in ("{ $.users = 1 }", "{ $.users != 1 }", "{ $.user = 1 }", "{ $.user != 1 }"):
        assert not matches(pattern, line), pattern


def test_missing_field_matches_neither_equal_nor_unequal() -> None:
    assert not matches('{ $.provider = "stripe" }', '{"outcome":"accepted"}')
    assert not matches('{ $.provider != "stripe" }', '{"outcome":"accepted"}')


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{ $.statusCode = 401 }", True),
        ("{ $.statusCode != 401 }", False),
        ("{ $.statusCode >= 400 }", True),
        ("{ $.statusCode > 401 }", False),
        ("{ $.statusCode < 500 }", True),
        ("{ $.statusCode <= 401 }", True),
        ("{ $.statusCode = 401.0 }", True),
        ("{ $.statusCode = 4.01e2 }", True),
        ("{ $.statusCode > +400 }", True),
        ("{ $.latencyMs < 10e-1 }", True),
        ("{ $.latencyMs > -1 }", True),
        ('{ $.statusCode = "401" }', False),  # a string never matches a JSON number here
        ("{ $.code = 401 }", False),  # a number never matches a JSON string here
    ],
)
def test_numeric_comparisons(pattern: str, expected: bool) -> None:
    line = '{"statusCode":401,"latencyMs":0.25,"code":"401"}'
    assert matches(pattern, line) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{ $.name = *Event }", True),
        ("{ $.name = Put* }", True),
        ("{ $.name = *tEv* }", True),
        ("{ $.name = Pu*ent }", False),  # inside a term * is a literal
        ('{ $.name = "PutEvent" }', True),
        ("{ $.name = PutEvent }", True),
        ("{ $.name = putevent }", False),  # case sensitive
        ("{ $.name = * }", True),
        ("{ $.latency = * }", True),  # the documentation's "has a value" pattern, on a number
        ("{ $.nothing = * }", False),
        ("{ $.name != *Event }", False),
        ("{ $.name != Get* }", True),
    ],
)
def test_string_comparisons_and_wildcards(pattern: str, expected: bool) -> None:
    assert matches(pattern, '{"name":"PutEvent","latency":12}') is expected


def test_and_binds_tighter_than_or_and_parentheses_group() -> None:
    line = '{"a":1,"b":2,"c":3}'
    assert matches("{ $.a = 9 && $.b = 9 || $.c = 3 }", line)
    assert not matches("{ $.a = 9 && ($.b = 9 || $.c = 3) }", line)
    assert matches("{ $.a = 1 && ($.b = 9 || $.c = 3) }", line)


def test_not_json_or_not_an_object_matches_nothing() -> None:
    assert not matches("{ $.a = * }", "START RequestId: 1 Version: $LATEST")
    assert not matches("{ $.a = * }", "[1, 2]")


@pytest.mark.parametrize(
    "pattern", ["ERROR", "{ $.a = }", "{ a = 1 }", "{ $.a ~ 1 }", "{ $.a = 1 ", "{ $.a > abc }", "{ $.a IS MAYBE }"]
)
def test_unsupported_or_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        matches(pattern, '{"a":1}')


def test_metric_filter_sums_matches_with_dimension_values_from_the_line() -> None:
    rejections = MetricFilter(
        "f",
        '{ $.provider = "stripe" && $.statusCode = 401 }',
        "NS",
        "SignatureRejections",
        "1",
        {"Provider": "$.provider"},
    )
    lines = [
        '{"provider":"stripe","statusCode":401}',
        '{"provider":"stripe","statusCode":401}',
        '{"provider":"stripe","statusCode":200}',
        '{"provider":"adyen","statusCode":401}',
        "not json",
    ]
    assert datapoints([rejections], lines) == [
        Datapoint("NS", "SignatureRejections", (("Provider", "stripe"),), Decimal(2), 2)
    ]


def test_metric_value_read_from_the_line() -> None:
    listed = MetricFilter("f", "{ $.listed >= 0 }", "NS", "ReconcileListed", "$.listed")
    (point,) = datapoints([listed], ['{"listed":7}', '{"listed":3}', '{"other":1}'])
    assert (point.value, point.samples) == (Decimal(10), 2)


def test_metric_value_or_dimension_missing_from_a_matching_line_raises() -> None:
    broken = MetricFilter("f", "{ $.a = 1 }", "NS", "M", "$.b")
    with pytest.raises(PatternError):
        datapoints([broken], ['{"a":1}'])
    undimensioned = MetricFilter("f", "{ $.a = 1 }", "NS", "M", "1", {"Provider": "$.provider"})
    with pytest.raises(PatternError):
        datapoints([undimensioned], ['{"a":1}'])


def test_planned_metric_filter_is_read_with_its_transformation() -> None:
    planned = {
        "name": "x-stripe-Requests",
        "pattern": '{ $.provider = "stripe" }',
        "metric_transformation": [
            {
                "name": "Requests",
                "namespace": "NS",
                "value": "1",
                "dimensions": {"Provider": "$.provider"},
                "unit": "Count",
            }
        ],
    }
    metric_filter = MetricFilter.from_planned(planned)
    assert (metric_filter.metric_name, metric_filter.namespace, metric_filter.value) == ("Requests", "NS", "1")
    assert dict(metric_filter.dimensions) == {"Provider": "$.provider"}


SHARE = "IF(requests >= 5, 100 * FILL(rejections, 0) / requests, 0)"


@pytest.mark.parametrize(
    ("requests", "rejections", "expected"),
    [
        (Decimal(10), Decimal(10), Decimal(100)),
        (Decimal(10), Decimal(1), Decimal(10)),
        (Decimal(10), None, Decimal(0)),  # no rejection data point: FILL makes it 0
        (Decimal(4), Decimal(4), Decimal(0)),  # under the minimum: not counted
        (None, None, None),  # no request at all: no data point
    ],
)
def test_metric_math_share_expression(requests: Decimal | None, rejections: Decimal | None, expected: object) -> None:
    assert evaluate_math(SHARE, {"requests": requests, "rejections": rejections}) == expected


def test_metric_math_precedence_and_errors() -> None:
    assert evaluate_math("1 + 2 * 3", {}) == Decimal(7)
    assert evaluate_math("(1 + 2) * 3", {}) == Decimal(9)
    assert evaluate_math("-a / 2", {"a": Decimal(4)}) == Decimal(-2)
    assert evaluate_math("IF(a == 1, 5, 6)", {"a": Decimal(1)}) == Decimal(5)
    with pytest.raises(PatternError):
        evaluate_math("unknown + 1", {})
    with pytest.raises(PatternError):
        evaluate_math("SEARCH('x', 'Sum', 300)", {})
