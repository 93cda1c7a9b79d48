"""What CloudWatch makes of a log line: JSON filter patterns, metric filters, metric math.

A test-side model of the documented semantics, for the subset the stack's alarms
use, so a test can feed the function's real log lines through the patterns
Terraform plans and see the data points the alarms read.

Filter patterns (CloudWatch Logs user guide, "Filter pattern syntax", JSON log events):

* ``{ SELECTOR OP VALUE }``, SELECTOR = ``$`` then ``.name`` / ``[n]`` steps;
  ``&&`` binds tighter than ``||``; parentheses group.
* String comparison ``=`` / ``!=`` with a quoted or bare string; ``*`` at the start
  and/or end is a wildcard (``*Event``, ``Event*``, ``*vent*``), elsewhere it is a
  literal; a lone ``*`` matches any value (``{ $.latency = * }``).
* Numeric comparison ``=  != < > <= >=`` with a number (sign, decimals, exponent).
* ``IS TRUE`` / ``IS FALSE`` / ``IS NULL`` / ``NOT EXISTS``.
* The selector must reach a value node (a string or a number): on an object, an
  array, a missing field (or, here, a boolean or null) both ``=`` and ``!=`` are false.

Where the documentation is silent this model is strict, so a drift fails a test
instead of passing by luck: a string value never matches a JSON number and a
number never matches a JSON string; a message that is not a JSON object matches
no JSON pattern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "Datapoint",
    "MetricFilter",
    "PatternError",
    "datapoints",
    "evaluate_math",
    "matches",
    "parse_pattern",
]


class PatternError(ValueError):
    """A filter pattern (or metric math expression) outside the supported syntax."""


_MISSING = object()

# ------------------------------------------------------------------ tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\)|\{|\}|,|\+|-|\*|/)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<selector>\$(?:\.[A-Za-z0-9_-]+|\[[0-9]+\])*)
  | (?P<word>[^\s"(){}&|=!<>,]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # op, string, selector, word
    text: str


_MATH_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|,|\+|-|\*|/)
  | (?P<word>[A-Za-z0-9_.]+)
    """,
    re.VERBOSE,
)


def _tokens(text: str, *, math: bool = False) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    grammar = _MATH_TOKEN if math else _TOKEN
    while pos < len(text):
        m = grammar.match(text, pos)
        if m is None:
            raise PatternError(f"unexpected character {text[pos]!r} at {pos} in {text!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "ws":
            continue
        value = m.group()
        if not math and kind == "op" and value in {"+", "-", "*", "/", ","}:
            kind = "word"  # in a filter pattern these belong to a bare value (`-1`, `*Event`, `a/b`)
        out.append(_Tok(kind, value))
    if not math:
        out = _merge_bare_words(out)
    return out


def _merge_bare_words(tokens: list[_Tok]) -> list[_Tok]:
    """Glue adjacent word pieces (`123.123.*`, `*Event`, `+1000`) into one bare value."""
    merged: list[_Tok] = []
    for tok in tokens:
        glued = merged[-1].text[-1:] in "*+-/," or tok.text[:1] == "*" if merged else False
        if tok.kind == "word" and merged and merged[-1].kind == "word" and glued:
            merged[-1] = _Tok("word", merged[-1].text + tok.text)
        else:
            merged.append(tok)
    return merged


# ------------------------------------------------------------------ filter patterns

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class _Condition:
    path: tuple[str | int, ...]
    op: str  # = != < > <= >= IS_TRUE IS_FALSE IS_NULL NOT_EXISTS
    value: str | Decimal | None = None


@dataclass(frozen=True)
class _Bool:
    op: str  # && or ||
    parts: tuple[Any, ...]


Pattern = _Condition | _Bool


def _path(selector: str) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    for name, index in re.findall(r"\.([A-Za-z0-9_-]+)|\[([0-9]+)\]", selector[1:]):
        steps.append(name if name else int(index))
    return tuple(steps)


class _Parser:
    def __init__(self, tokens: list[_Tok], source: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.source = source

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, text: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None or (text is not None and tok.text != text):
            raise PatternError(f"expected {text or 'more'} in {self.source!r}")
        self.pos += 1
        return tok

    def pattern(self) -> Pattern:
        self.take("{")
        expr = self.or_expr()
        self.take("}")
        if self.peek() is not None:
            raise PatternError(f"text after the closing brace in {self.source!r}")
        return expr

    def or_expr(self) -> Pattern:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.text == "||":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else _Bool("||", tuple(parts))

    def and_expr(self) -> Pattern:
        parts = [self.term()]
        while (tok := self.peek()) is not None and tok.text == "&&":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else _Bool("&&", tuple(parts))

    def term(self) -> Pattern:
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.or_expr()
            self.take(")")
            return inner
        return self.condition()

    def condition(self) -> _Condition:
        sel = self.take()
        if sel.kind != "selector":
            raise PatternError(f"expected a selector ($.field), got {sel.text!r} in {self.source!r}")
        path = _path(sel.text)
        op = self.take()
        if op.text.upper() == "IS":
            what = self.take().text.upper()
            if what not in {"TRUE", "FALSE", "NULL"}:
                raise PatternError(f"IS {what} is not a filter condition")
            return _Condition(path, f"IS_{what}")
        if op.text.upper() == "NOT":
            if self.take().text.upper() != "EXISTS":
                raise PatternError("NOT must be followed by EXISTS")
            return _Condition(path, "NOT_EXISTS")
        if op.text not in {"=", "!=", "<", ">", "<=", ">="}:
            raise PatternError(f"unknown operator {op.text!r} in {self.source!r}")
        value = self.take()
        if value.kind == "string":
            return _Condition(path, op.text, json.loads(value.text))
        if value.kind != "word":
            raise PatternError(f"expected a value after {op.text}, got {value.text!r}")
        if _NUMBER.fullmatch(value.text):
            return _Condition(path, op.text, Decimal(value.text))
        if op.text not in {"=", "!="}:
            raise PatternError(f"{op.text} needs a number, got {value.text!r}")
        return _Condition(path, op.text, value.text)


def parse_pattern(pattern: str) -> Pattern:
    """Parse a JSON filter pattern (``{ ... }``); anything else raises PatternError."""
    text = pattern.strip()
    if not text.startswith("{"):
        raise PatternError(f"only JSON filter patterns are modelled, got {pattern!r}")
    return _Parser(_tokens(text), pattern).pattern()


def _resolve(document: Any, path: tuple[str | int, ...]) -> Any:
    node = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                return _MISSING
            node = node[step]
    return node


def _is_number(node: Any) -> bool:
    return isinstance(node, Decimal)


def _string_matches(value: str, node: str) -> bool:
    if value == "*":
        return True
    starts, ends = value.startswith("*"), value.endswith("*") and len(value) > 1
    core = value[1 if starts else 0 : len(value) - 1 if ends else len(value)]
    if starts and ends:
        return core in node
    if starts:
        return node.endswith(core)
    if ends:
        return node.startswith(core)
    return node == value


def _compare(cond: _Condition, node: Any) -> bool:
    if cond.op == "NOT_EXISTS":
        return node is _MISSING
    if cond.op == "IS_NULL":
        return node is None
    if cond.op in {"IS_TRUE", "IS_FALSE"}:
        return node is (cond.op == "IS_TRUE")
    is_value_node = isinstance(node, str) or _is_number(node)
    if not is_value_node:
        return False  # missing, object, array, boolean or null: neither = nor != applies
    value = cond.value
    if isinstance(value, Decimal):
        if not _is_number(node):
            return False
        ops: dict[str, bool] = {
            "=": node == value,
            "!=": node != value,
            "<": node < value,
            ">": node > value,
            "<=": node <= value,
            ">=": node >= value,
        }
        return ops[cond.op]
    assert isinstance(value, str)
    if value == "*":
        hit = True  # any value node
    elif not isinstance(node, str):
        return False
    else:
        hit = _string_matches(value, node)
    return hit if cond.op == "=" else not hit


def _evaluate(expr: Pattern, document: Any) -> bool:
    if isinstance(expr, _Bool):
        results = (_evaluate(part, document) for part in expr.parts)
        return all(results) if expr.op == "&&" else any(results)
    return _compare(expr, _resolve(document, expr.path))


def _load(message: str) -> Any:
    try:
        return json.loads(message, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return _MISSING


def matches(pattern: str | Pattern, message: str) -> bool:
    """True when the log event ``message`` matches the JSON filter ``pattern``."""
    expr = parse_pattern(pattern) if isinstance(pattern, str) else pattern
    document = _load(message)
    if not isinstance(document, dict):
        return False
    return _evaluate(expr, document)


# ------------------------------------------------------------------ metric filters


@dataclass(frozen=True)
class MetricFilter:
    """One metric filter as Terraform plans it (aws_cloudwatch_log_metric_filter)."""

    name: str
    pattern: str
    namespace: str
    metric_name: str
    value: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    default_value: str | None = None

    @classmethod
    def from_planned(cls, values: Mapping[str, Any]) -> MetricFilter:
        (transformation,) = values["metric_transformation"]
        return cls(
            name=values["name"],
            pattern=values["pattern"],
            namespace=transformation["namespace"],
            metric_name=transformation["name"],
            value=transformation["value"],
            dimensions=dict(transformation.get("dimensions") or {}),
            default_value=transformation.get("default_value") or None,
        )


@dataclass(frozen=True)
class Datapoint:
    """The sum of one metric (namespace, name, dimensions) over the given messages."""

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    value: Decimal
    samples: int

    def __str__(self) -> str:
        dims = ",".join(f"{k}={v}" for k, v in self.dimensions)
        return f"{self.namespace} {self.metric_name}{{{dims}}} Sum={self.value} SampleCount={self.samples}"


def _extract(document: Any, reference: str, what: str) -> Any:
    if not reference.startswith("$"):
        return reference
    node = _resolve(document, _path(reference))
    if node is _MISSING or isinstance(node, (dict, list)) or node is None or isinstance(node, bool):
        raise PatternError(f"{what} {reference} does not reach a value in {document!r}")
    return node


def datapoints(filters: Iterable[MetricFilter], messages: Iterable[str]) -> list[Datapoint]:
    """What the filters publish for these messages, summed per metric and dimension values.

    Each match adds the metric value (a number or a ``$.field`` holding one); the
    dimension values are read from the message (a dimension field the message
    lacks raises, as the metric could not be published)."""
    lines = list(messages)
    totals: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Decimal]] = {}
    for metric_filter in filters:
        compiled = parse_pattern(metric_filter.pattern)
        for line in lines:
            if not matches(compiled, line):
                continue
            document = _load(line)
            raw = _extract(document, metric_filter.value, "metric value")
            try:
                amount = Decimal(str(raw))
            except InvalidOperation:
                raise PatternError(f"metric value {metric_filter.value} is not a number: {raw!r}") from None
            dims = tuple(
                sorted(
                    (key, str(_extract(document, ref, "dimension"))) for key, ref in metric_filter.dimensions.items()
                )
            )
            totals.setdefault((metric_filter.namespace, metric_filter.metric_name, dims), []).append(amount)
    return [
        Datapoint(namespace, name, dims, sum(values, Decimal(0)), len(values))
        for (namespace, name, dims), values in sorted(totals.items())
    ]


# ------------------------------------------------------------------ metric math (one period)


class _Math:
    """Numbers, ids, + - * /, comparisons, IF(c, a, b) and FILL(x, v) over one period's values.

    ``None`` is a missing data point: arithmetic and comparisons on it are missing,
    FILL replaces it, IF with a missing condition is missing."""

    def __init__(self, expression: str, values: Mapping[str, Decimal | None]) -> None:
        self.tokens = _tokens(expression, math=True)
        self.pos = 0
        self.values = values
        self.source = expression

    def peek(self) -> str | None:
        return self.tokens[self.pos].text if self.pos < len(self.tokens) else None

    def take(self, text: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (text is not None and tok != text):
            raise PatternError(f"expected {text or 'more'} in {self.source!r}")
        self.pos += 1
        return tok

    def run(self) -> Decimal | None:
        result = self.comparison()
        if self.peek() is not None:
            raise PatternError(f"unexpected {self.peek()!r} in {self.source!r}")
        return result

    def comparison(self) -> Decimal | None:
        left = self.additive()
        op = self.peek()
        if op in {"<", ">", "<=", ">=", "==", "!="}:
            self.take()
            right = self.additive()
            if left is None or right is None:
                return None
            table = {
                "<": left < right,
                ">": left > right,
                "<=": left <= right,
                ">=": left >= right,
                "==": left == right,
                "!=": left != right,
            }
            return Decimal(1) if table[op] else Decimal(0)
        return left

    def additive(self) -> Decimal | None:
        value = self.term()
        while self.peek() in {"+", "-"}:
            op = self.take()
            right = self.term()
            value = None if value is None or right is None else (value + right if op == "+" else value - right)
        return value

    def term(self) -> Decimal | None:
        value = self.unary()
        while self.peek() in {"*", "/"}:
            op = self.take()
            right = self.unary()
            if value is None or right is None:
                value = None
            elif op == "*":
                value = value * right
            else:
                value = None if right == 0 else value / right
        return value

    def unary(self) -> Decimal | None:
        if self.peek() == "-":
            self.take()
            inner = self.unary()
            return None if inner is None else -inner
        return self.atom()

    def atom(self) -> Decimal | None:
        tok = self.take()
        if tok == "(":
            inner = self.comparison()
            self.take(")")
            return inner
        if _NUMBER.fullmatch(tok):
            return Decimal(tok)
        if tok in {"IF", "FILL"}:
            self.take("(")
            args = [self.comparison()]
            while self.peek() == ",":
                self.take()
                args.append(self.comparison())
            self.take(")")
            if tok == "FILL":
                if len(args) != 2:
                    raise PatternError("FILL takes (series, value)")
                return args[1] if args[0] is None else args[0]
            if len(args) not in (2, 3):
                raise PatternError("IF takes (condition, then[, else])")
            if args[0] is None:
                return None
            if args[0] != 0:
                return args[1]
            return args[2] if len(args) == 3 else None
        if re.fullmatch(r"[a-z][A-Za-z0-9_]*", tok):
            if tok not in self.values:
                raise PatternError(f"unknown id {tok!r} in {self.source!r}")
            return self.values[tok]
        raise PatternError(f"unsupported {tok!r} in {self.source!r}")


def evaluate_math(expression: str, values: Mapping[str, Decimal | None]) -> Decimal | None:
    """One period of a metric math expression, given each id's value (None = no data point)."""
    return _Math(expression, values).run()
