# Payment webhook receiver: Function URL -> Lambda -> DynamoDB, all encrypted
# with one customer-managed KMS key. This file only wires the modules together.

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project     = var.name_prefix
      Environment = var.environment_suffix
      ManagedBy   = "terraform"
    })
  }
}

locals {
  name          = "${var.name_prefix}-${var.environment_suffix}"
  function_name = local.name
  # Known before anything exists, so the key policy and the IAM policy can name
  # the log group without a dependency cycle.
  log_group_name   = "/aws/lambda/${local.function_name}"
  secret_parameter = "/${var.name_prefix}/${var.environment_suffix}/webhook-signing-secrets"
}

module "kms" {
  source = "./modules/kms"

  alias_name              = "alias/${local.name}"
  description             = "Encrypts the ${local.name} payment webhook table, logs, function environment, signing secret and quarantine queue."
  deletion_window_in_days = var.kms_deletion_window_days
  log_group_names         = [local.log_group_name]
}

module "dynamodb" {
  source = "./modules/dynamodb"

  name                        = "${local.name}-transactions"
  kms_key_arn                 = module.kms.key_arn
  deletion_protection_enabled = var.table_deletion_protection
}

# Authentic events whose payload is refused (400) are kept here for replay.
module "quarantine" {
  source = "./modules/quarantine"

  name                      = "${local.name}-quarantine"
  kms_key_arn               = module.kms.key_arn
  message_retention_seconds = var.quarantine_retention_days * 86400
}

module "iam" {
  source = "./modules/iam"

  role_name             = "${local.name}-lambda"
  table_arn             = module.dynamodb.table_arn
  log_group_name        = local.log_group_name
  secret_parameter_name = local.secret_parameter
  kms_key_arn           = module.kms.key_arn
  quarantine_queue_arn  = module.quarantine.queue_arn
}

module "lambda" {
  source = "./modules/lambda"

  function_name               = local.function_name
  source_dir                  = "${path.module}/lambda_src"
  package_output_path         = "${path.root}/build/lambda-${var.environment_suffix}.zip"
  runtime                     = var.lambda_runtime
  role_arn                    = module.iam.role_arn
  kms_key_arn                 = module.kms.key_arn
  log_group_name              = local.log_group_name
  log_retention_days          = var.log_retention_days
  memory_size                 = var.lambda_memory_mb
  timeout                     = var.lambda_timeout_seconds
  reserved_concurrency        = var.reserved_concurrency
  table_name                  = module.dynamodb.table_name
  secret_parameter_name       = local.secret_parameter
  signature_tolerance_seconds = var.signature_tolerance_seconds
  quarantine_queue_url        = module.quarantine.queue_url
}

module "alarms" {
  source = "./modules/alarms"

  name_prefix           = local.name
  function_name         = module.lambda.function_name
  quarantine_queue_name = module.quarantine.queue_name
  alarm_sns_topic_arn   = var.alarm_sns_topic_arn
}
