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
