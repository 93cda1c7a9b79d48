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

output "api_key_put_command" {
  description = "The AWS CLI command that puts the restricted Stripe API key, by key `stripe-api-key`: the stack's key, the value read from a file (never typed on a command line)."
  value = {
    "stripe-api-key" = join(" ", [
      "aws ssm put-parameter --overwrite --type SecureString",
      "--region ${local.region} --key-id ${var.kms_key_arn}",
      "--name ${aws_ssm_parameter.this.name}",
      "--value file://stripe-api-key.txt",
    ])
  }
}
