data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account    = "arn:${local.partition}:iam::${local.account_id}:root"

  # Explicit key-administration actions instead of kms:*; PutKeyPolicy stays so
  # the account can never lock itself out of the key.
  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]

  use_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "AccountAdministersKey"
    effect    = "Allow"
    actions   = local.admin_actions
    resources = ["*"] # in a key policy "*" means this key

    principals {
      type        = "AWS"
      identifiers = [local.account]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsTheLogGroups"
    effect    = "Allow"
    actions   = local.use_actions
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [for name in var.log_group_names : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"]
    }
  }

  # Lambda (environment variables), DynamoDB (table SSE), SSM (the signing
  # secret) and SQS (the quarantine queue) use the key on behalf of principals
  # of this account; IAM policies still decide which principal may call them.
  statement {
    sid       = "AccountServicesUseKey"
    effect    = "Allow"
    actions   = concat(local.use_actions, ["kms:CreateGrant"])
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [for service in var.services : "${service}.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DynamoDBDescribesKey"
    effect    = "Allow"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["dynamodb.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this.json
}

resource "aws_kms_alias" "this" {
  name          = var.alias_name
  target_key_id = aws_kms_key.this.key_id
}
