# The quarantine: authentic webhook events whose payload was refused (400) are
# copied here by the function, so nothing authentic is lost. Encrypted with the
# stack's CMK, kept for the longest time SQS allows (14 days) until
# python -m webhook_cli.replay re-drives them after a fix.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  # URL and ARN in SQS's documented forms, known at plan time: the function's
  # environment stays fully known in a plan, the function need not wait for the
  # queue, and the queue policy can name the queue without a separate resource.
  # The postcondition below checks that they name the queue SQS created.
  queue_path = "/${local.account_id}/${var.name}"
  queue_url  = "https://sqs.${local.region}.${data.aws_partition.current.dns_suffix}${local.queue_path}"
  queue_arn  = "arn:${data.aws_partition.current.partition}:sqs:${local.region}:${local.account_id}:${var.name}"
}

resource "aws_sqs_queue" "this" {
  name                              = var.name
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds
  message_retention_seconds         = var.message_retention_seconds
  # A copy holds the raw body (up to 256 KiB) base64-encoded plus a few headers.
  max_message_size           = 1048576
  visibility_timeout_seconds = var.visibility_timeout_seconds
  receive_wait_time_seconds  = 20
  policy                     = data.aws_iam_policy_document.this.json

  lifecycle {
    postcondition {
      condition     = endswith(self.url, local.queue_path) && self.arn == local.queue_arn
      error_message = "The queue SQS created is not ${local.queue_arn} (URL ending ${local.queue_path})."
    }
  }

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  # Quarantined events are payment data: refuse any access without TLS.
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.queue_arn]

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

  # Quarantined bodies are authentic payment events: only the operators read
  # (and re-drive) them, whatever sqs:* an IAM policy of the account grants.
  # Without operators nobody receives; the function only sends.
  statement {
    sid       = "OnlyOperatorsReceive"
    effect    = "Deny"
    actions   = ["sqs:ReceiveMessage", "sqs:PurgeQueue"]
    resources = [local.queue_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    dynamic "condition" {
      for_each = length(var.operator_role_arns) > 0 ? [1] : []
      content {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = var.operator_role_arns
      }
    }
  }
}
