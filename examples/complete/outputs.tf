output "function_url" {
  description = "Where payment providers send webhooks."
  value       = module.webhook.function_url
}

output "table_name" {
  description = "The transactions table."
  value       = module.webhook.table_name
}

output "kms_key_arn" {
  description = "The stack's customer-managed key."
  value       = module.webhook.kms_key_arn
}

output "provider_endpoint_urls" {
  description = "Where each enabled provider sends its webhooks."
  value       = module.webhook.provider_endpoint_urls
}

output "provider_secret_parameter_names" {
  description = "Each provider's SecureString (created by Terraform with a write-only placeholder): put each secret after the first apply with secret_put_commands (with --key-id <kms_key_arn>)."
  value       = module.webhook.provider_secret_parameter_names
}

output "payments_table_name" {
  description = "The current status of each payment."
  value       = module.webhook.payments_table_name
}

output "secret_put_commands" {
  description = "The command that puts each provider's signing secret from a file, with the stack's key (run once per provider after the first apply, and again to rotate)."
  value       = module.webhook.secret_put_commands
}
