output "function_url" {
  description = "Where payment providers send webhooks."
  value       = module.webhook.function_url
}

output "webhook_secret_parameter_name" {
  description = "Put the whsec_ signing secret here after the first apply."
  value       = module.webhook.webhook_secret_parameter_name
}
