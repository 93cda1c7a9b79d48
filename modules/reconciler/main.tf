# The Stripe reconciler: on a schedule, lists the events Stripe failed to
# deliver and stores them as a /stripe delivery would be (same zip,
# reconcile.handler). Its own role, log group, API-key parameter and schedule.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix

  function_name  = "${var.name}-reconciler"
  function_arn   = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"
  log_group_name = "/aws/lambda/${local.function_name}"
  parameter_arn  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(var.api_key_parameter_name, "/")}"
  table_arns = [
    for table in [var.transactions_table_name, var.payments_table_name] :
    "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${table}"
  ]
}

# Created like the signing secrets: a write-only placeholder, so the key never
# reaches state; the operator puts the real key (README, "Reconciliation").
# After create Terraform manages only the name and tags, for the reasons in
# modules/lambda's aws_ssm_parameter.secret (any other update re-puts an empty
# value, or the placeholder over the key); the check says when the key drifted.
resource "aws_ssm_parameter" "this" {
  name             = var.api_key_parameter_name
  description      = var.api_key_parameter_description
  type             = "SecureString"
  key_id           = var.kms_key_arn
  value_wo         = "unset"
  value_wo_version = 1

  tags = var.tags

  lifecycle {
    ignore_changes = [description, key_id, type, tier, allowed_pattern, data_type, value_wo_version]
  }
}

check "api_key_uses_the_stack_key" {
  assert {
    condition     = aws_ssm_parameter.this.key_id == var.kms_key_arn
    error_message = "The Stripe API key parameter ${aws_ssm_parameter.this.name} is encrypted with ${aws_ssm_parameter.this.key_id}, not the stack's key ${var.kms_key_arn}. Put it again with its secret_put_commands entry (it passes --key-id)."
  }
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the stack's log_retention_days input (30 days by default); run summaries without payment data or secrets.
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
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
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
    sid       = "ReadTheStripeApiKey"
    actions   = ["ssm:GetParameter"]
    resources = [local.parameter_arn]
  }

  # The SecureString, the tables, the queue and the environment are decrypted
  # by those services on the function's behalf, never directly.
  statement {
    sid       = "DecryptThroughServices"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [for service in ["dynamodb", "lambda", "sqs", "ssm"] : "${service}.${local.region}.${local.dns_suffix}"]
    }
  }

  # The event write and the payment write (both conditional PutItems).
  statement {
    sid       = "StoreEventsAndPaymentStatus"
    actions   = ["dynamodb:PutItem"]
    resources = local.table_arns
  }

  dynamic "statement" {
    for_each = var.quarantine_queue_arn == null ? [] : [var.quarantine_queue_arn]
    content {
      sid       = "QuarantineRefusedEvents"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.quarantine_queue_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "EncryptQuarantineWithStackKey"
      actions   = ["kms:GenerateDataKey"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${local.region}.${local.dns_suffix}"]
      }
    }
  }

  statement {
    sid       = "WriteItsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}:*"]
  }

  statement {
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${local.function_name}-reconcile-stripe-events"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked asynchronously by EventBridge Scheduler only; a failed run is seen by the reconciler-errors alarm and the next run lists the same events again.
  #checkov:skip=CKV_AWS_117:No VPC resource to reach: Stripe's API over TLS and AWS APIs with IAM-signed requests.
  #checkov:skip=CKV_AWS_272:Same zip as the receiver, pinned by source_code_hash; code signing is tracked outside this module.
  #checkov:skip=CKV_AWS_115:One run at a time is the schedule's doing; a reserved concurrency would take from the receiver's account pool.
  function_name    = local.function_name
  description      = "Lists Stripe events that were not delivered and stores them like deliveries."
  role             = aws_iam_role.this.arn
  filename         = var.package_path
  source_code_hash = var.package_base64sha256
  handler          = "reconcile.handler"
  runtime          = var.runtime
  architectures    = ["arm64"]
  memory_size      = var.memory_size
  timeout          = var.timeout
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = merge(
      {
        STRIPE_API_KEY_PARAM       = aws_ssm_parameter.this.name
        STRIPE_API_BASE            = var.api_base
        RECONCILE_LOOKBACK_SECONDS = tostring(var.lookback_seconds)
        TABLE_NAME                 = var.transactions_table_name
        PAYMENTS_TABLE_NAME        = var.payments_table_name
      },
      var.api_version == null ? {} : { STRIPE_API_VERSION = var.api_version },
      var.quarantine_queue_url == null ? {} : { QUARANTINE_QUEUE_URL = var.quarantine_queue_url },
      var.event_retention_days == null ? {} : { EVENT_RETENTION_DAYS = tostring(var.event_retention_days) },
    )
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

  lifecycle {
    postcondition {
      condition     = self.arn == local.function_arn
      error_message = "The reconciler's ARN is not ${local.function_arn}."
    }
  }

  # The log group (with its key) exists before a first run could create an unencrypted one.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]

  tags = var.tags
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${local.function_name}-schedule"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeTheReconciler"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.function_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${local.function_name}-invoke"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  name                = local.function_name
  description         = "Runs the Stripe reconciler."
  schedule_expression = var.schedule_expression

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.this.arn
    role_arn = aws_iam_role.scheduler.arn

    retry_policy {
      maximum_retry_attempts = 0 # the next run lists the same events again
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}
