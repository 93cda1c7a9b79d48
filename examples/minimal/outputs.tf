output "function_url" {
  description = "Where payment providers send webhooks."
  value       = module.webhook.function_url
}

output "webhook_secret_parameter_name" {
  description = "Put the whsec_ signing secret here after the first apply."
  value       = module.webhook.webhook_secret_parameter_name
}

output "secret_put_commands" {
  description = "The command that puts the signing secret from a file, with the stack's key (after the first apply, and again to rotate)."
  value       = module.webhook.secret_put_commands
}
