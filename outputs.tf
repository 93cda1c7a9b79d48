output "function_url" {
  description = "HTTPS endpoint payment providers POST webhooks to."
  value       = module.lambda.function_url
}

output "function_name" {
  description = "Name of the webhook Lambda function."
  value       = module.lambda.function_name
}

output "function_arn" {
  description = "ARN of the webhook Lambda function."
  value       = module.lambda.function_arn
}

output "table_name" {
  description = "Name of the DynamoDB table that stores one item per delivered event."
  value       = module.dynamodb.table_name
}

output "table_arn" {
  description = "ARN of the transactions table."
  value       = module.dynamodb.table_arn
}

output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the table, logs, environment, secret and quarantine queue."
  value       = module.kms.key_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = module.lambda.log_group_name
}

output "lambda_role_arn" {
  description = "ARN of the function's execution role."
  value       = module.iam.role_arn
}

output "webhook_secret_parameter_name" {
  description = "SSM Parameter Store SecureString that holds the Standard Webhooks signing secret(s), whitespace-separated (null when `standard` is not enabled). Terraform creates it with a placeholder (write-only, never in state); put the secret after the first apply with its secret_put_commands entry: aws ssm put-parameter --overwrite --type SecureString --key-id <kms_key_arn> --name <this> --value file://<file holding whsec_...>."
  value       = lookup(module.lambda.secret_parameter_names, "standard", null)
}

output "provider_secret_parameter_names" {
  description = "SecureString of each enabled provider, by provider (standard, stripe, adyen). Terraform creates each with a write-only placeholder and then manages only its name and tags (README \"Secrets: day-2 operations\"); put each secret after the first apply with its secret_put_commands entry: aws ssm put-parameter --overwrite --type SecureString --key-id <kms_key_arn> --name <this> --value file://<file>. No value is in Terraform's plan or state."
  value       = module.lambda.secret_parameter_names
}

output "provider_endpoint_urls" {
  description = "Webhook endpoint of each enabled provider, by provider: <function_url>standard, <function_url>stripe, <function_url>adyen (the root path / also serves standard)."
  value       = { for key, provider in local.enabled : key => "${module.lambda.function_url}${provider.path}" }
}

output "payments_table_name" {
  description = "Name of the DynamoDB table that holds the current status of each payment (one item per transactionId)."
  value       = module.payments_table.table_name
}

output "payments_table_arn" {
  description = "ARN of the payments table."
  value       = module.payments_table.table_arn
}

output "quarantine_queue_url" {
  description = "SQS queue (CMK-encrypted, 14-day retention) holding authentic events whose payload was refused; drained by python -m webhook_cli.replay."
  value       = module.quarantine.queue_url
}

output "quarantine_queue_arn" {
  description = "ARN of the quarantine queue."
  value       = module.quarantine.queue_arn
}

output "alarm_names" {
  description = "CloudWatch alarms by key: errors, throttles, url-5xx, quarantine-not-empty, quarantine-oldest-age, `<provider>-signature-rejections`, `<provider>-silent`."
  value       = module.alarms.alarm_names
}

output "dashboard_url" {
  description = "Console URL of the CloudWatch dashboard (null when `dashboard_enabled` is false)."
  value       = module.alarms.dashboard_url
}

output "metric_namespace" {
  description = "CloudWatch namespace of the delivery metrics read from the function's log line (dimension `Provider`)."
  value       = module.alarms.metric_namespace
}

output "events_queue_url" {
  description = "URL of the SQS FIFO queue that receives every stored event and status change as a CloudEvent (message group = transactionId)."
  value       = module.events_out.events_queue_url
}

output "events_queue_arn" {
  description = "ARN of the SQS FIFO events queue."
  value       = module.events_out.events_queue_arn
}

output "event_bus_name" {
  description = "Name of the custom EventBridge bus the events are also published on; null when event_bus_enabled is false."
  value       = module.events_out.event_bus_name
}

output "publisher_function_name" {
  description = "Name of the publisher function fed by the tables' streams."
  value       = module.events_out.function_name
}

output "reconciler_function_name" {
  description = "Name of the Stripe reconciler function; null when reconciliation is off."
  value       = local.reconciler_enabled ? module.reconciler[0].function_name : null
}

output "stripe_api_key_parameter_name" {
  description = "SecureString to put the restricted Stripe API key (read access to Events) in; null when reconciliation is off."
  value       = local.reconciler_enabled ? module.reconciler[0].api_key_parameter_name : null
}

output "secret_put_commands" {
  description = "For each enabled provider (and `stripe-api-key` when reconciliation is on), the AWS CLI command that puts its signing secret(s) (whitespace-separated) into its SecureString with the stack's key, reading the value from a file (umask 077; never type a secret on a command line). Run it again to rotate."
  value       = merge(module.lambda.secret_put_commands, [for reconciler in module.reconciler : reconciler.api_key_put_command]...)
}
