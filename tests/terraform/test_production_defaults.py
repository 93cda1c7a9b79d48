"""Production defaults a reviewer expects (issue 21, points 4 and 6), at plan time:
the function's JSON logging with levels, the concurrency check that says when it
could not read the applied quota, the alarm on concurrency near the reservation,
table deletion protection, what destroy does to the backups, and secrets put from
files only."""

from __future__ import annotations

import re
from typing import Any

from tests.terraform.harness import ROOT, Planner

SUFFIX = "prod1"
APPLIED_QUOTA_CHECK = "module.lambda.check.applied_concurrency_quota_was_read"


def function_of(plan: Any) -> dict[str, Any]:
    values: dict[str, Any] = plan.modules["module.lambda"].resources["aws_lambda_function.this"]["values"]
    return values


def check_of(plan: Any, address: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in plan["checks"] if c["address"]["to_display"] == address)
    return found


def test_function_logs_json_and_drops_platform_lines(planner: Planner) -> None:
    (logging,) = function_of(planner.plan(environment_suffix=SUFFIX))["logging_config"]
    assert logging["log_format"] == "JSON"
    assert logging["application_log_level"] == "INFO"  # the request line has no level: Lambda counts it INFO
    assert logging["system_log_level"] == "WARN"  # START/END/REPORT dropped
    assert logging["log_group"] == f"/aws/lambda/payment-webhook-{SUFFIX}"


def test_an_application_log_level_that_would_drop_the_request_line_is_refused(planner: Planner) -> None:
    message = planner.plan_error(environment_suffix=SUFFIX, lambda_application_log_level="WARN")
    assert "application_log_level must be TRACE, DEBUG or INFO" in message


def test_system_log_level_is_an_input(planner: Planner) -> None:
    plan = planner.plan(environment_suffix=SUFFIX, lambda_system_log_level="INFO")
    assert function_of(plan)["logging_config"][0]["system_log_level"] == "INFO"


def test_publisher_and_reconciler_log_json_with_the_same_levels(planner: Planner) -> None:
    """Their one JSON line per batch or run counts as INFO too; the levels are the root's inputs."""
    for system_level in ("WARN", "INFO"):
        plan = planner.plan(
            environment_suffix=SUFFIX, stripe_reconciliation_enabled=True, lambda_system_log_level=system_level
        )
        for module in ("module.events_out", "module.reconciler[0]"):
            function = plan.modules[module].resources["aws_lambda_function.this"]["values"]
            (logging,) = function["logging_config"]
            assert logging["log_format"] == "JSON", module
            assert logging["application_log_level"] == "INFO", module
            assert logging["system_log_level"] == system_level, module
            assert logging["log_group"] == f"/aws/lambda/{function['function_name']}", module


def test_the_check_says_when_the_applied_quota_could_not_be_read(planner: Planner) -> None:
    """The session emulator has no applied quota (GetServiceQuota: NoSuchResource): the
    provider silently uses AWS's default 1000; the check must say so."""
    plan = planner.plan(environment_suffix=SUFFIX)
    check = check_of(plan, APPLIED_QUOTA_CHECK)
    assert check["status"] == "fail"
    (problem,) = check["instances"][0]["problems"]
    assert "Could not read this account's applied Lambda concurrency quota" in problem["message"]
    assert "used AWS's default of 1000" in problem["message"]
    assert "aws lambda get-account-settings" in problem["message"]
    assert function_of(plan)["reserved_concurrent_executions"] == 100  # a warning: the plan goes on
    printed = planner.plan_text(environment_suffix=SUFFIX)
    assert "Could not read this account's applied Lambda concurrency quota" in printed


def test_an_unreserved_function_needs_no_quota(planner: Planner) -> None:
    plan = planner.plan(environment_suffix=SUFFIX, reserved_concurrency=None)
    assert check_of(plan, APPLIED_QUOTA_CHECK)["status"] == "pass"
    assert "aws_cloudwatch_metric_alarm.concurrency_near_reservation[0]" not in plan.modules["module.alarms"].resources


def test_concurrency_near_the_reservation_alarms(planner: Planner) -> None:
    plan = planner.plan(environment_suffix=SUFFIX, reserved_concurrency=50)
    alarm = plan.modules["module.alarms"].resources["aws_cloudwatch_metric_alarm.concurrency_near_reservation[0]"][
        "values"
    ]
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (
        "AWS/Lambda",
        "ConcurrentExecutions",
        "Maximum",
    )
    assert alarm["dimensions"] == {"FunctionName": f"payment-webhook-{SUFFIX}"}
    assert alarm["threshold"] == 40  # 80 % of 50
    assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["treat_missing_data"] == "notBreaching"


def test_deletion_protection_is_an_input_with_guidance(planner: Planner) -> None:
    for value in (False, True):
        plan = planner.plan(environment_suffix=SUFFIX, table_deletion_protection=value)
        for module in ("module.dynamodb", "module.payments_table"):
            table = plan.modules[module].resources["aws_dynamodb_table.this"]["values"]
            assert table["deletion_protection_enabled"] is value
            assert table["point_in_time_recovery"][0]["enabled"] is True
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "Turn `table_deletion_protection` on" in readme


def test_destroy_warns_about_backups_under_a_deleted_key(planner: Planner) -> None:
    """On destroy DynamoDB keeps a system backup of a PITR table for 35 days, encrypted
    with the CMK - which is deleted after the key's deletion window (30 days by default,
    the longest KMS allows). The README says so, and the default is the longest window."""
    key = planner.plan(environment_suffix=SUFFIX).modules["module.kms"].resources["aws_kms_key.this"]["values"]
    assert key["deletion_window_in_days"] == 30
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "35 days" in readme and "aws kms cancel-key-deletion" in readme


def test_secrets_are_put_from_files_never_from_the_command_line() -> None:
    texts = {
        path.relative_to(ROOT).as_posix(): path.read_text()
        for path in [ROOT / "README.md", ROOT / "outputs.tf", *sorted((ROOT / "modules").glob("*/*"))]
        if path.is_file() and path.suffix in (".md", ".tf")
    }
    commands = 0
    for name, text in texts.items():
        for match in re.finditer(r"put-parameter[^\n`]*?(\\\n[^\n`]*?)*--value[ =](\S+)", text):
            commands += 1
            assert re.match(r"""["']?file://""", match.group(2)), f"{name}: {match.group(0)!r}"
    assert commands >= 4
