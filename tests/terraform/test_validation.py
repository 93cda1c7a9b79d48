"""Bad inputs are refused by validation blocks with the message a user reads."""

from __future__ import annotations

import pytest

from tests.terraform.harness import Planner


@pytest.mark.parametrize("suffix", ["", "Prod", "dev_1", "-dev", "dev-", "1dev", "a" * 21, "dev env"])
def test_invalid_environment_suffix_is_rejected(planner: Planner, suffix: str) -> None:
    message = planner.plan_error(environment_suffix=suffix)
    assert "environment_suffix must be 1-20 characters" in message


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("kms_deletion_window_days", 5, "kms_deletion_window_days must be between 7 and 30"),
        ("kms_deletion_window_days", 31, "kms_deletion_window_days must be between 7 and 30"),
        ("lambda_timeout_seconds", 31, "lambda_timeout_seconds must be between 3 and 30"),
        ("reserved_concurrency", 0, "reserved_concurrency must be null (unreserved) or a whole number of at least 1"),
        ("reserved_concurrency", 2.5, "reserved_concurrency must be null (unreserved) or a whole number of at least 1"),
        ("lambda_runtime", "python3.11", "lambda_runtime must be python3.12"),
        ("log_retention_days", 31, "log_retention_days must be one of the values"),
        ("signature_tolerance_seconds", 5, "signature_tolerance_seconds must be between 30 and 3600"),
    ],
)
def test_invalid_inputs_are_rejected(planner: Planner, variable: str, value: object, message: str) -> None:
    assert message in planner.plan_error(environment_suffix="ok", **{variable: value})


def test_environment_suffix_is_required(planner: Planner) -> None:
    message = planner.plan_error()
    assert "environment_suffix" in message
