data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  dns_suffix = data.aws_partition.current.dns_suffix

  log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${var.log_group_name}"
  parameter_arns = [for name in var.secret_parameter_names : "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(name, "/")}"]
  # The services that decrypt with the stack key on the function's behalf:
  # SSM (SecureString), DynamoDB (table SSE), SQS (queue SSE), Lambda (environment).
  decrypt_via = [for service in ["dynamodb", "lambda", "sqs", "ssm"] : "${service}.${local.region}.${local.dns_suffix}"]
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    effect  = "Allow"
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

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:log-stream:*"]
  }

  # PutItem alone: the handler makes one conditional write per event (with
  # ReturnValuesOnConditionCheckFailure=ALL_OLD on a duplicate, which is part of
  # PutItem: no read action is needed).
  statement {
    sid       = "StoreWebhookEvents"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = [var.table_arn]
  }

  # One conditional PutItem per event keeps the payment's current status.
  dynamic "statement" {
    for_each = var.payments_table_arn == null ? [] : [var.payments_table_arn]
    content {
      sid       = "StorePaymentStatus"
      effect    = "Allow"
      actions   = ["dynamodb:PutItem"]
      resources = [statement.value]
    }
  }

  # The signing secret of each enabled provider, nothing else in Parameter Store.
  statement {
    sid       = "ReadSigningSecrets"
    effect    = "Allow"
    actions   = ["ssm:GetParameter"]
    resources = local.parameter_arns
  }

  # Decrypts the SecureStrings, the table, the quarantine data key and the
  # function's environment, only through those services (never directly).
  statement {
    sid       = "DecryptWithStackKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.decrypt_via
    }
  }

  # Authentic events whose payload was refused are copied to the quarantine
  # queue: SendMessage only, on that queue only.
  dynamic "statement" {
    for_each = var.quarantine_queue_arn == null ? [] : [var.quarantine_queue_arn]
    content {
      sid       = "QuarantineRefusedEvents"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }

  # SendMessage to a queue encrypted with a customer-managed key needs a data
  # key from KMS (kms:Decrypt is granted above); only when SQS asks for it.
  dynamic "statement" {
    for_each = var.quarantine_queue_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "EncryptQuarantineWithStackKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${local.region}.${local.dns_suffix}"]
      }
    }
  }

  # X-Ray's put actions support no resource-level permissions.
  statement {
    sid       = "SendTraces"
    effect    = "Allow"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = "Execution role of the ${var.role_name} payment webhook function."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.role_name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
