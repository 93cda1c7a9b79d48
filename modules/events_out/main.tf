# Events out: the tables' change streams feed the publisher function, which sends
# every stored event and every payment status change to an SQS FIFO queue (one
# message group per payment, so each payment's messages keep their order) and,
# when enabled, a custom EventBridge bus with an archive. Publishing never touches
# the webhook's answer; a record the publisher cannot publish is retried, bisected,
# then named (shard and sequence range) in the on-failure queue, and alarmed on.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix

  function_name  = "${var.name}-publisher"
  log_group_name = "/aws/lambda/${local.function_name}"
  bus_name       = var.event_bus_enabled ? "${var.name}-events" : null

  # Queue URLs and ARNs in SQS's documented forms, known at plan time (as the
  # quarantine module does), so the function's environment is known in a plan.
  queues = {
    events   = { name = "${var.name}-events.fifo", fifo = true }
    failures = { name = "${var.name}-publisher-failures", fifo = false }
  }
  queue_arn = { for key, q in local.queues : key => "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${q.name}" }
  queue_url = { for key, q in local.queues : key => "https://sqs.${local.region}.${local.dns_suffix}/${local.account_id}/${q.name}" }

  streams = {
    transactions = var.transactions_stream_arn
    payments     = var.payments_stream_arn
  }
  # The streams of exactly the two tables, by table ARN: a stream's label is only
  # known once the table exists, and this keeps the role's policy known at plan time.
  table_stream_arns = [
    for table in [var.transactions_table_name, var.payments_table_name] :
    "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${table}/stream/*"
  ]
}

resource "aws_sqs_queue" "this" {
  for_each = local.queues

  name                        = each.value.name
  fifo_queue                  = each.value.fifo ? true : null
  content_based_deduplication = each.value.fifo ? false : null # the publisher sets the deduplication id
  kms_master_key_id           = var.kms_key_arn
  message_retention_seconds   = var.message_retention_seconds
  policy                      = data.aws_iam_policy_document.queue[each.key].json

  lifecycle {
    postcondition {
      condition     = self.arn == local.queue_arn[each.key] && endswith(self.url, "/${local.account_id}/${each.value.name}")
      error_message = "The queue SQS created is not ${local.queue_arn[each.key]}."
    }
  }

  tags = var.tags
}

data "aws_iam_policy_document" "queue" {
  for_each = local.queues

  # Payment events: refuse any access without TLS.
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.queue_arn[each.key]]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_cloudwatch_event_bus" "this" {
  count = var.event_bus_enabled ? 1 : 0

  name = local.bus_name

  tags = var.tags
}

# Consumers replay a time range with EventBridge's own StartReplay.
resource "aws_cloudwatch_event_archive" "this" {
  count = var.event_bus_enabled ? 1 : 0

  name             = "${var.name}-events"
  event_source_arn = aws_cloudwatch_event_bus.this[0].arn
  retention_days   = var.archive_retention_days
  description      = "Every payment event and status change published on ${local.bus_name}."
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days input (30 days by default); the publisher logs one line per batch, without payment bodies.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${local.function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadTheTwoStreams"
    actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
    resources = local.table_stream_arns
  }

  statement {
    sid       = "SendToTheEventsAndFailureQueues"
    actions   = ["sqs:SendMessage"]
    resources = values(local.queue_arn)
  }

  dynamic "statement" {
    for_each = var.event_bus_enabled ? [1] : []
    content {
      sid       = "PutEventsOnTheBus"
      actions   = ["events:PutEvents"]
      resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${local.bus_name}"]
    }
  }

  # The queues and the streams are encrypted with the stack's key: only through those services.
  statement {
    sid       = "UseTheKeyThroughSqsAndDynamoDB"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.${local.dns_suffix}", "dynamodb.${local.region}.${local.dns_suffix}"]
    }
  }

  statement {
    sid       = "WriteItsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}:*"]
  }

  # X-Ray's put actions have no resource-level permissions.
  statement {
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${local.function_name}-publish-payment-events"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Stream-triggered: failed records go to the mapping's on-failure SQS destination, not an async DLQ.
  #checkov:skip=CKV_AWS_117:No VPC resource to reach: the function calls only AWS APIs over TLS.
  #checkov:skip=CKV_AWS_115:No reserved concurrency: an event source mapping runs at most one invocation per shard (parallelization factor 1), so the streams bound its concurrency.
  #checkov:skip=CKV_AWS_272:Same zip as the receiver, pinned by source_code_hash.
  function_name    = local.function_name
  description      = "Publishes stored payment events and status changes from the tables' streams."
  role             = aws_iam_role.this.arn
  filename         = var.package_path
  source_code_hash = var.package_base64sha256
  handler          = "publisher.handler"
  runtime          = var.runtime
  architectures    = ["arm64"]
  memory_size      = var.memory_size
  timeout          = var.timeout
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = {
      TABLE_NAME          = var.transactions_table_name
      PAYMENTS_TABLE_NAME = var.payments_table_name
      EVENTS_QUEUE_URL    = local.queue_url["events"]
      EVENT_BUS_NAME      = var.event_bus_enabled ? local.bus_name : ""
      ENVIRONMENT_SUFFIX  = var.environment_suffix
    }
  }

  tracing_config {
    mode = "Active"
  }

  # JSON, as the receiver's (modules/lambda): the function's one JSON line per
  # batch or run is shipped unchanged and counts as INFO; WARN drops Lambda's
  # START/END/REPORT events.
  logging_config {
    log_format            = "JSON"
    application_log_level = var.application_log_level
    system_log_level      = var.system_log_level
    log_group             = aws_cloudwatch_log_group.this.name
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]

  tags = var.tags
}

# One mapping per table stream. Order per payment matters more than throughput:
# parallelization 1 (one invocation per shard at a time), the function stops at
# the first record it cannot publish and reports it, bisect isolates a poison
# record, and after bounded retries or age the record's range goes to the
# on-failure queue (the item itself stays in its table).
resource "aws_lambda_event_source_mapping" "this" {
  for_each = local.streams

  function_name                      = aws_lambda_function.this.arn
  event_source_arn                   = each.value
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_seconds
  parallelization_factor             = 1
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.maximum_record_age_seconds

  destination_config {
    on_failure {
      destination_arn = local.queue_arn["failures"] # known at plan time; the queue exists first
    }
  }

  depends_on = [aws_sqs_queue.this, aws_iam_role_policy.this]

  tags = var.tags
}
