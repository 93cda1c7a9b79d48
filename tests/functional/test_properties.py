"""Property-based tests: for any generated payload the verdict follows the rules.

The oracle below is written independently of ``lambda_src`` (string and
integer arithmetic, no Decimal), so a shared mistake is unlikely.
"""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webhook.errors import FieldError, WebhookError
from webhook.parsing import parse_object
from webhook.raw_body import raw_event_text
from webhook.validation import validate

ORDER = ("transactionId", "amount", "currency", "status", "provider", "timestamp")
GOOD_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "KWD", "BRL", "INR"]
BAD_CURRENCIES = ["XYZ", "ABC", "US", "USDX", "", "U5D", "QQQ", "EURO"]
AMOUNT_STRING_RE = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
TX_RE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class Literal:
    """A JSON fragment for the amount and what the oracle expects of it."""

    def __init__(self, text: str, numeric: str | None) -> None:
        self.text = text  # as it appears in the body
        self.numeric = numeric  # the decimal text if it is meant as a number, else None

    def __repr__(self) -> str:
        return f"Literal({self.text!r})"


def amount_ok(lit: Literal) -> bool:
    if lit.numeric is None:
        return False
    m = AMOUNT_STRING_RE.fullmatch(lit.numeric)
    if not m or not (m.group(2) or m.group(3)):
        return False
    whole, frac, exp = m.group(2), m.group(3) or "", int(m.group(4) or 0)
    digits = (whole + frac).lstrip("0")
    if not digits:
        return True  # zero
    if len(digits.rstrip("0")) > 38:
        return False
    # value = 0.digits... ; position of the leading digit as a power of ten
    leading_power = exp - len(frac) + len(digits) - 1
    return -130 <= leading_power <= 125


digit_runs = st.integers(min_value=1, max_value=45).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))
json_numbers = st.builds(
    lambda sign, whole, frac, exp: (
        sign + (whole.lstrip("0") or "0") + (f".{frac}" if frac else "") + (f"E{exp:+d}" if exp is not None else "")
    ),
    st.sampled_from(["", "-"]),
    digit_runs,
    st.none() | digit_runs,
    st.none() | st.integers(min_value=-175, max_value=175),
)
number_literals = json_numbers.map(lambda t: Literal(t, t))
string_literals = json_numbers.map(lambda t: Literal(json.dumps(t), t))
junk_literals = st.sampled_from(
    [
        "true",
        "false",
        "null",
        "[]",
        "{}",
        "[1]",
        '{"v": 1}',
        '"abc"',
        '"1,000"',
        '" 12"',
        '"NaN"',
        '"Infinity"',
        '""',
        '"1_0"',
        '"0x1"',
    ]
).map(lambda t: Literal(t, None))
amounts = st.one_of(number_literals, string_literals, junk_literals)

transaction_ids = st.one_of(
    st.from_regex(TX_RE, fullmatch=True),
    st.text(max_size=140),
    st.just("x" * 129),
)
currencies = st.one_of(
    st.sampled_from(GOOD_CURRENCIES).flatmap(lambda c: st.sampled_from([c, c.lower(), c.title()])),
    st.sampled_from(BAD_CURRENCIES),
)
optional_text = st.none() | st.text(max_size=20) | st.integers().map(str).map(int)
timestamps = (
    st.none()
    | st.sampled_from(
        ["2026-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "soon", "2026-01-01", "2026-01-01T09:00:00+09:00"]
    )
    | st.integers()
)

MISSING = object()


def build_body(tx: Any, amount: Literal | None, currency: Any, status: Any, provider: Any, ts: Any, extra: Any) -> str:
    parts = []
    if tx is not MISSING:
        parts.append(f'"transactionId": {json.dumps(tx)}')
    if amount is not None:
        parts.append(f'"amount": {amount.text}')
    if currency is not MISSING:
        parts.append(f'"currency": {json.dumps(currency)}')
    for name, value in (("status", status), ("provider", provider), ("timestamp", ts)):
        if value is not None:
            parts.append(f'"{name}": {json.dumps(value)}')
    parts.append(f'"extra": {extra}')
    return "{" + ", ".join(parts) + "}"


def expected_failure(tx: Any, amount: Literal | None, currency: Any, status: Any, provider: Any, ts: Any) -> str | None:
    """The first field (in validation order) that breaks a rule, or None."""
    checks = {
        "transactionId": tx is not MISSING and isinstance(tx, str) and TX_RE.fullmatch(tx) is not None,
        "amount": amount is not None and amount_ok(amount),
        "currency": currency is not MISSING and isinstance(currency, str) and currency.upper() in GOOD_CURRENCIES,
        "status": status is None or isinstance(status, str),
        "provider": provider is None or isinstance(provider, str),
        # date-times only (a bare date is refused: RFC 3339 date-times only)
        "timestamp": ts is None or ts in ("2026-01-01T00:00:00Z", "2026-01-01T09:00:00+09:00"),
    }
    return next((f for f in ORDER if not checks[f]), None)


extras = st.sampled_from(
    [
        "0.1",
        "[1.5, 2.25, 1e400, -0.0]",
        '{"n": {"m": [5e-324, 1E+999]}}',
        "12345678901234567890123456789012345678901234567890.5",
        "null",
    ]
)
payloads = st.tuples(
    st.one_of(transaction_ids, st.just(MISSING)),
    st.one_of(amounts, st.none()),
    st.one_of(currencies, st.just(MISSING)),
    optional_text,
    optional_text,
    timestamps,
    extras,
)


@settings(max_examples=600, deadline=None)
@given(payloads)
def test_parse_and_validate_follow_the_rules(case: tuple[Any, ...]) -> None:
    tx, amount, currency, status, provider, ts, extra = case
    body = build_body(tx, amount, currency, status, provider, ts, extra)
    expected = expected_failure(tx, amount, currency, status, provider, ts)
    parsed = parse_object(body.encode())
    if expected is None:
        result = validate(parsed.data, parsed.duplicate_keys)
        assert amount is not None and amount.numeric is not None
        assert result.amount == Decimal(amount.numeric)
        assert result.currency == currency.upper()
    else:
        try:
            validate(parsed.data, parsed.duplicate_keys)
        except FieldError as err:
            assert err.field == expected
        else:
            raise AssertionError(f"accepted, expected a violation of {expected}")


_ids = itertools.count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads)
def test_handler_verdicts_and_stored_amounts(aws: Any, invoke: Any, make_event: Any, case: tuple[Any, ...]) -> None:
    tx, amount, currency, status, provider, ts, extra = case
    body = build_body(tx, amount, currency, status, provider, ts, extra)
    expected = expected_failure(tx, amount, currency, status, provider, ts)
    webhook_id = f"msg_prop_{next(_ids)}"
    stored_before = aws.count()
    result = invoke(make_event(body, webhook_id=webhook_id))
    assert result.status in (200, 400)
    if expected is None:
        assert result.status == 200, (body, result.body)
        assert result.body == {"status": "accepted", "transactionId": tx, "eventId": webhook_id}
        item = aws.get(tx, webhook_id)
        assert item is not None
        assert amount is not None and amount.numeric is not None
        assert Decimal(item["amount"]["N"]) == Decimal(amount.numeric)
        assert raw_event_text(item) == body
    else:
        assert result.status == 400
        assert expected in result.body["error"]["message"]
        assert aws.count() == stored_before  # nothing written


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_arbitrary_bodies_only_ever_400_from_parsing(raw: bytes) -> None:
    try:
        parsed = parse_object(raw)
    except WebhookError as err:
        assert err.status == 400
        return
    try:
        validate(parsed.data, parsed.duplicate_keys)
    except FieldError as err:
        assert err.status == 400
