# Payment webhook receiver: Function URL -> Lambda -> DynamoDB, all encrypted
# with one customer-managed KMS key. This file only wires the modules together.

# No provider block: region, credentials and the caller's assume_role,
# allowed_account_ids and default_tags come from the caller's provider (examples/)
# or, for `terraform apply` here, from the environment (AWS_REGION, AWS_PROFILE...).
locals {
  name = "${var.name_prefix}-${var.environment_suffix}"
  # Tags of every taggable resource, passed explicitly (a caller's default_tags add to them).
  tags = merge(var.tags, {
    Project     = var.name_prefix
    Environment = var.environment_suffix
    ManagedBy   = "terraform"
  })
  function_name = local.name
  # Known before anything exists, so the key policy and the IAM policy can name
  # the log group without a dependency cycle.
  log_group_name           = "/aws/lambda/${local.function_name}"
  publisher_log_group_name = "/aws/lambda/${local.name}-publisher"
  # The Stripe reconciler (docs/behaviour.md, "Missed deliveries"): only with Stripe enabled and reconciliation switched on.
  reconciler_enabled        = var.stripe_reconciliation_enabled && contains(var.enabled_providers, "stripe")
  reconciler_log_group_name = "/aws/lambda/${local.name}-reconciler"

  # Every provider the function knows, with the environment variable that names
  # its SecureString (docs/behaviour.md, "Providers") and the path it is served on.
  providers = {
    standard = {
      environment_variable = "WEBHOOK_SECRET_PARAM"
      name                 = "/${var.name_prefix}/${var.environment_suffix}/webhook-signing-secrets"
      description          = "Standard Webhooks signing secret(s) of ${local.function_name}, whitespace-separated (several during rotation)."
      path                 = "standard"
    }
    stripe = {
      environment_variable = "STRIPE_SECRET_PARAM"
      name                 = "/${var.name_prefix}/${var.environment_suffix}/stripe-webhook-signing-secrets"
      description          = "Stripe endpoint signing secret(s) (whsec_...) of ${local.function_name}, whitespace-separated (several during rotation)."
      path                 = "stripe"
    }
    adyen = {
      environment_variable = "ADYEN_HMAC_KEY_PARAM"
      name                 = "/${var.name_prefix}/${var.environment_suffix}/adyen-hmac-keys"
      description          = "Adyen notification HMAC key(s) (hex) of ${local.function_name}, whitespace-separated (several during rotation)."
      path                 = "adyen"
    }
  }
  enabled = { for key, provider in local.providers : key => provider if contains(var.enabled_providers, key) }
}

module "kms" {
  source = "./modules/kms"

  alias_name              = "alias/${local.name}"
  description             = "Encrypts the ${local.name} payment webhook table, logs, function environment, signing secret and quarantine queue."
  deletion_window_in_days = var.kms_deletion_window_days
  log_group_names         = concat([local.log_group_name, local.publisher_log_group_name], local.reconciler_enabled ? [local.reconciler_log_group_name] : [])
  secret_reader_role_arns = local.secret_reader_role_arns
  operator_role_arns      = var.operator_role_arns
  deployer_arn            = data.aws_iam_session_context.deployer.issuer_arn

  tags = local.tags
}

module "dynamodb" {
  source = "./modules/dynamodb"

  name                        = "${local.name}-transactions"
  kms_key_arn                 = module.kms.key_arn
  ttl_attribute_name          = var.event_retention_days == null ? null : "expiresAt"
  stream_view_type            = "NEW_IMAGE" # every stored event, once (its INSERT)
  deletion_protection_enabled = var.table_deletion_protection

  tags = local.tags
}

# The current status of each payment (docs/behaviour.md, "Payment status"): one item per
# transactionId, no sort key.
module "payments_table" {
  source = "./modules/dynamodb"

  name                        = "${local.name}-payments"
  stream_view_type            = "NEW_AND_OLD_IMAGES" # old and new status of each change
  hash_key                    = "transactionId"
  range_key                   = null
  kms_key_arn                 = module.kms.key_arn
  deletion_protection_enabled = var.table_deletion_protection

  tags = local.tags
}

# Authentic events whose payload is refused (400) are kept here for replay.
module "quarantine" {
  source = "./modules/quarantine"

  name                      = "${local.name}-quarantine"
  kms_key_arn               = module.kms.key_arn
  message_retention_seconds = var.quarantine_retention_days * 86400
  operator_role_arns        = var.operator_role_arns

  tags = local.tags
}

module "iam" {
  source = "./modules/iam"

  role_name              = "${local.name}-lambda"
  table_arn              = module.dynamodb.table_arn
  payments_table_arn     = module.payments_table.table_arn
  log_group_name         = local.log_group_name
  secret_parameter_names = [for provider in values(local.enabled) : provider.name]
  kms_key_arn            = module.kms.key_arn
  quarantine_queue_arn   = module.quarantine.queue_arn

  tags = local.tags
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
  payments_table_name         = module.payments_table.table_name
  signature_tolerance_seconds = var.signature_tolerance_seconds
  quarantine_queue_url        = module.quarantine.queue_url
  event_retention_days        = var.event_retention_days
  application_log_level       = var.lambda_application_log_level
  system_log_level            = var.lambda_system_log_level
  secret_parameters = {
    for key, provider in local.enabled : key => {
      name                 = provider.name
      environment_variable = provider.environment_variable
      description          = provider.description
    }
  }

  tags = local.tags
}

# Alarms (the silent failures too: 401s, a provider gone quiet, an old
# quarantined event), the metric filters they read and the dashboard. The
# publisher's and the reconciler's inputs stay null until those modules exist.
# Events out: the tables' streams -> the publisher -> the FIFO queue and the bus.
module "events_out" {
  source = "./modules/events_out"

  name                       = local.name
  environment_suffix         = var.environment_suffix
  kms_key_arn                = module.kms.key_arn
  package_path               = module.lambda.package_path
  package_base64sha256       = module.lambda.package_base64sha256
  runtime                    = var.lambda_runtime
  log_retention_days         = var.log_retention_days
  transactions_table_name    = module.dynamodb.table_name
  payments_table_name        = module.payments_table.table_name
  transactions_stream_arn    = module.dynamodb.stream_arn
  payments_stream_arn        = module.payments_table.stream_arn
  event_bus_enabled          = var.event_bus_enabled
  archive_retention_days     = var.event_archive_retention_days
  batch_size                 = var.publisher_batch_size
  maximum_retry_attempts     = var.publisher_maximum_retry_attempts
  maximum_record_age_seconds = var.publisher_maximum_record_age_seconds
  application_log_level      = var.lambda_application_log_level
  system_log_level           = var.lambda_system_log_level

  tags = local.tags
}

module "alarms" {
  source = "./modules/alarms"

  name_prefix                         = local.name
  function_name                       = module.lambda.function_name
  log_group_name                      = module.lambda.log_group_name
  metric_namespace                    = "PaymentWebhook/${local.name}"
  enabled_providers                   = var.enabled_providers
  quarantine_queue_name               = module.quarantine.queue_name
  quarantine_retention_seconds        = var.quarantine_retention_days * 86400
  quarantine_oldest_age_limit_seconds = var.quarantine_age_alarm_hours == null ? null : var.quarantine_age_alarm_hours * 3600
  silence_alarm_hours                 = var.silence_alarm_hours
  silence_alarm_hours_by_provider     = var.silence_alarm_hours_by_provider
  signature_rejection_percent         = var.signature_rejection_alarm_percent
  signature_rejection_min_requests    = var.signature_rejection_alarm_min_requests
  publisher_function_name             = module.events_out.function_name
  publisher_failure_queue_name        = module.events_out.failure_queue_name
  reconciler_function_name            = local.reconciler_enabled ? module.reconciler[0].function_name : null
  reconciler_log_group_name           = local.reconciler_enabled ? module.reconciler[0].log_group_name : null
  dashboard_enabled                   = var.dashboard_enabled
  alarm_sns_topic_arn                 = var.alarm_sns_topic_arn
  reserved_concurrency                = var.reserved_concurrency

  tags = local.tags
}

# Stripe events that were never delivered, listed from its events API on a
# schedule and stored as deliveries would be (README, "Reconciliation").
module "reconciler" {
  source = "./modules/reconciler"
  count  = local.reconciler_enabled ? 1 : 0

  name                    = local.name
  kms_key_arn             = module.kms.key_arn
  package_path            = module.lambda.package_path
  package_base64sha256    = module.lambda.package_base64sha256
  runtime                 = var.lambda_runtime
  log_retention_days      = var.log_retention_days
  transactions_table_name = module.dynamodb.table_name
  payments_table_name     = module.payments_table.table_name
  quarantine_queue_url    = module.quarantine.queue_url
  quarantine_queue_arn    = module.quarantine.queue_arn
  event_retention_days    = var.event_retention_days
  api_key_parameter_name  = "/${var.name_prefix}/${var.environment_suffix}/stripe-api-key"
  api_base                = var.stripe_api_base
  api_version             = var.stripe_api_version
  schedule_expression     = var.stripe_reconcile_schedule
  application_log_level   = var.lambda_application_log_level
  system_log_level        = var.lambda_system_log_level

  tags = local.tags
}

# The roles that read SSM SecureStrings, by ARN built from their names (known at
# plan time, so the key policy is too): the receiver (signing secrets) and the
# reconciler (Stripe API key). A new function that reads a secret adds its role here.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# Whoever applies the stack refreshes the SecureStrings, which the aws provider reads
# with decryption: the key policy lets that principal decrypt through SSM too, so the
# stack's second plan works without operator_role_arns. For a role, the role's ARN
# (aws:PrincipalArn of every session), not the session's.
data "aws_iam_session_context" "deployer" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  role_arn_prefix = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/"
  secret_reader_role_arns = concat(
    ["${local.role_arn_prefix}${local.name}-lambda"],
    local.reconciler_enabled ? ["${local.role_arn_prefix}${local.name}-reconciler-role"] : [],
  )
}
