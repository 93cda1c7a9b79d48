"""The small home-made parts next to RIE (local_stack.runtime): classify and LogRouter."""

from __future__ import annotations

import io
import json
import threading

from local_stack.runtime.invocation import classify
from local_stack.runtime.logs import LogRouter

RID = "5b1f0c1e-0000-4000-8000-000000000001"


def test_a_timeout_is_recognised_by_ries_exact_text():
    assert classify(200, b"Task timed out after 3.00 seconds", RID, 3).kind == "timeout"
    assert classify(200, b'"Task timed out after 3.00 seconds"', RID, 3).kind == "result"  # a JSON string result


def test_a_function_error_needs_the_invocations_request_id():
    error = {"errorMessage": "boom", "errorType": "ValueError", "requestId": RID, "stackTrace": []}
    outcome = classify(200, json.dumps(error).encode(), RID, 3)
    assert (outcome.kind, outcome.error_type) == ("function_error", "ValueError")
    lookalike = {**error, "requestId": "someone-else"}
    assert classify(200, json.dumps(lookalike).encode(), RID, 3).kind == "result"
    assert classify(200, json.dumps({k: v for k, v in error.items() if k != "requestId"}).encode(), RID, 3).ok


def test_non_200_is_a_platform_error_with_its_type():
    body = b'{"errorType":"Runtime.ExitError","errorMessage":"RequestId: x Error: Runtime exited"}'
    outcome = classify(502, body, RID, 3)
    assert (outcome.kind, outcome.error_type) == ("platform_error", "Runtime.ExitError")
    assert classify(500, b"", RID, 3).error_type == "HTTP 500"


def route(lines: list[str]) -> tuple[str, str]:
    function_log, runtime_log = io.StringIO(), io.StringIO()
    router = LogRouter(function_log, runtime_log, threading.Lock())
    for line in lines:
        router.line(line)
    return function_log.getvalue(), runtime_log.getvalue()


def test_report_lines_are_rewritten_from_ries_init_report():
    function_log, runtime_log = route(
        [
            "01 Dec 2026 08:37:38,357 [INFO] (rapid) INIT REPORT(durationMs: 32.652000)",
            f"START RequestId: {RID} Version: $LATEST",
            "[INFO]\t2026-12-01T08:37:38.358Z\t{RID}\tfrom the handler",
            f"END RequestId: {RID}",
            f"REPORT RequestId: {RID}\tInit Duration: 0.06 ms\tDuration: 34.46 ms\tBilled Duration: 35 ms\t"
            "Memory Size: 256 MB\tMax Memory Used: 256 MB\t",
            f"REPORT RequestId: {RID}\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB\t"
            "Max Memory Used: 256 MB\t",
        ]
    )
    reports = [line for line in function_log.splitlines() if line.startswith("REPORT")]
    assert reports[0] == (
        f"REPORT RequestId: {RID}\tDuration: 1.81 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB"
        "\tMax Memory Used: 256 MB\tInit Duration: 32.65 ms"
    )
    assert "Init Duration" not in reports[1]  # warm
    assert "(rapid)" not in function_log and "INIT REPORT" in runtime_log
    assert "from the handler" in function_log


def test_ries_near_zero_init_after_a_failed_one_is_not_an_init():
    function_log, _ = route(
        [
            "01 Dec 2026 08:41:51,848 [INFO] (rapid) INIT REPORT(durationMs: 0.021000)",
            f"REPORT RequestId: {RID}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t"
            "Max Memory Used: 128 MB\t",
        ]
    )
    assert "Init Duration" not in function_log
