"""The event source mapping's settings as the emulator returns them, and its on-failure destination."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_TOO_OLD = "RecordAgeExceeded"


class FunctionError(Exception):
    """The function ran and failed (an error document, a timeout, a runtime exit)."""


class InvokeError(Exception):
    """The function could not be invoked at all; like Lambda, retried without counting."""


class DestinationError(Exception):
    """The on-failure destination is not an SQS queue or SNS topic this poller can reach."""


# Invoker: the event JSON in, the function's result JSON out; raises FunctionError or InvokeError.
Invoker = Callable[[bytes], bytes]
# Sends one invocation record (JSON text) to the on-failure destination named by its ARN.
FailureSender = Callable[[str, str], None]


@dataclass(frozen=True)
class MappingSettings:
    """One DynamoDB event source mapping, as the Lambda API describes it."""

    uuid: str
    function_arn: str
    stream_arn: str
    batch_size: int
    starting_position: str
    report_item_failures: bool
    bisect_on_error: bool
    maximum_retry_attempts: int  # -1: until the record expires
    maximum_record_age_seconds: int  # -1: until the record expires
    on_failure_destination: str | None

    @classmethod
    def from_api(cls, config: Mapping[str, Any]) -> MappingSettings:
        """From one ``EventSourceMappings`` entry; absent settings take Lambda's defaults."""
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")

        def number(name: str, default: int) -> int:
            value = config.get(name)
            return default if value is None else int(value)

        return cls(
            uuid=str(config["UUID"]),
            function_arn=str(config["FunctionArn"]),
            stream_arn=str(config["EventSourceArn"]),
            batch_size=number("BatchSize", 100),
            starting_position=str(config.get("StartingPosition") or "TRIM_HORIZON"),
            report_item_failures=REPORT_BATCH_ITEM_FAILURES in (config.get("FunctionResponseTypes") or []),
            bisect_on_error=bool(config.get("BisectBatchOnFunctionError")),
            maximum_retry_attempts=number("MaximumRetryAttempts", -1),
            maximum_record_age_seconds=number("MaximumRecordAgeInSeconds", -1),
            on_failure_destination=str(destination) if destination else None,
        )

    @property
    def region(self) -> str:
        return self.stream_arn.split(":")[3]


def read_mappings(lambda_client: Any, function_arn: str | None = None) -> list[MappingSettings]:
    """The enabled DynamoDB stream mappings (of the function ``function_arn`` when given).

    Every mapping is listed and filtered here: moto matches ``FunctionName`` only against the
    name or ARN the mapping was created with (Terraform passes the ARN), where AWS accepts either.
    """
    mappings: list[MappingSettings] = []
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate():
        for config in page.get("EventSourceMappings", []):
            arn = str(config.get("EventSourceArn", ""))
            if ":dynamodb:" not in arn or "/stream/" not in arn or config.get("State", "Enabled") != "Enabled":
                continue
            if function_arn and str(config.get("FunctionArn", "")).removesuffix(":$LATEST") != function_arn:
                continue
            mappings.append(MappingSettings.from_api(config))
    return mappings


# --------------------------------------------------------------------------- records


def sqs_failure_sender(sqs: Any, sns: Any = None) -> FailureSender:
    """Send invocation records to an SQS queue (or SNS topic) named by its ARN, as Lambda does."""

    def send(destination_arn: str, body: str) -> None:
        parts = destination_arn.split(":")
        if len(parts) < 6 or parts[2] not in ("sqs", "sns") or (parts[2] == "sns" and sns is None):
            raise DestinationError("on-failure destination must be an SQS queue or an SNS topic")
        if parts[2] == "sns":
            sns.publish(TopicArn=destination_arn, Message=body)
            return
        # The URL from the ARN, as Lambda needs no sqs:GetQueueUrl (only sqs:SendMessage) for it.
        url = f"{str(sqs.meta.endpoint_url).rstrip('/')}/{parts[4]}/{parts[5]}"
        sqs.send_message(QueueUrl=url, MessageBody=body)

    return send
