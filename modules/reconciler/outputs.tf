output "function_name" {
  description = "Name of the reconciler function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the reconciler function."
  value       = aws_lambda_function.this.arn
}

output "log_group_name" {
  description = "Log group of the reconciler (its run summaries)."
  value       = aws_cloudwatch_log_group.this.name
}

output "api_key_parameter_name" {
  description = "Name of the SecureString the operator puts the restricted Stripe API key in."
  value       = aws_ssm_parameter.this.name
}

output "schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that runs the reconciler."
  value       = aws_scheduler_schedule.this.name
}
