data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  dns_suffix = data.aws_partition.current.dns_suffix
  account    = "arn:${local.partition}:iam::${local.account_id}:root"

  # Service endpoints as kms:ViaService names them, in this partition. SSM is
  # not among the services the account may use the key through for any principal:
  # it holds the signing secrets, decrypted only for the roles named below.
  via_services = [for service in var.services : "${service}.${local.region}.${local.dns_suffix}" if service != "ssm"]
  via_ssm      = "ssm.${local.region}.${local.dns_suffix}"
  ssm_enabled  = contains(var.services, "ssm")
  # Who may decrypt a SecureString under this key: the functions that verify
  # signatures (and read the Stripe API key) and the named operators.
  secret_decrypters = distinct(concat(var.secret_reader_role_arns, var.operator_role_arns, compact([var.deployer_arn])))

  # Explicit key-administration actions instead of kms:*; PutKeyPolicy stays so
  # the account can never lock itself out of the key. kms:CreateGrant is not
  # here: a grant can hand out Decrypt without kms:ViaService, so it is allowed
  # only to the services, for their own resources (AccountServicesCreateGrants).
  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
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

  # CloudWatch Logs' regional service principal (logs.<region>.<dns suffix>:
  # amazonaws.com, amazonaws.com.cn, ...), for the stack's log groups only.
  statement {
    sid       = "CloudWatchLogsEncryptsTheLogGroups"
    effect    = "Allow"
    actions   = local.use_actions
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.${local.dns_suffix}"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [for name in var.log_group_names : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"]
    }
  }

  # Lambda (environment variables), DynamoDB (table SSE) and SQS (the quarantine
  # and the events queues) use the key on behalf of principals of this account;
  # IAM policies still decide which principal may call them. SSM is not here: a
  # role with kms:Decrypt and ssm:GetParameter on * (power users, CI) would read
  # the signing secrets and could forge "payment succeeded" events.
  statement {
    sid       = "AccountServicesUseKey"
    effect    = "Allow"
    actions   = local.use_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.via_services
    }

    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
  }

  # Anyone of the account whose IAM policy allows it may *encrypt* through SSM
  # (put a secret; PutParameter never decrypts). Reading one back is below.
  dynamic "statement" {
    for_each = local.ssm_enabled ? [1] : []
    content {
      sid       = "AccountEncryptsSecretsThroughSsm"
      effect    = "Allow"
      actions   = ["kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.account]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.via_ssm]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
    }
  }

  # Decrypting a SecureString: only the secret readers and the operators, by the
  # role ARN (aws:PrincipalArn is the role's ARN for every session of the role,
  # and a condition, unlike a principal, does not need the role to exist yet).
  # Their IAM policies must allow kms:Decrypt as well.
  dynamic "statement" {
    for_each = local.ssm_enabled && length(local.secret_decrypters) > 0 ? [1] : []
    content {
      sid       = "SecretReadersDecryptThroughSsm"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.account]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.via_ssm]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = local.secret_decrypters
      }
    }
  }

  # Lambda and DynamoDB create grants on the key for the function and the table
  # they manage. Only such grants: a grant for a principal (which could give
  # itself Decrypt outside the services) needs kms:GrantIsForAWSResource = true.
  statement {
    sid       = "AccountServicesCreateGrants"
    effect    = "Allow"
    actions   = ["kms:CreateGrant"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.via_services
    }

    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  # DynamoDB reads the key's metadata for the tables of this account only
  # (aws:SourceAccount: no confused deputy for another account's table).
  statement {
    sid       = "DynamoDBDescribesKey"
    effect    = "Allow"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["dynamodb.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = var.alias_name
  target_key_id = aws_kms_key.this.key_id
}
