output "events_queue_url" {
  description = "URL of the SQS FIFO queue that receives every message (group = transactionId)."
  value       = local.queue_url["events"] # checked by the queue's postcondition
}

output "events_queue_arn" {
  description = "ARN of the SQS FIFO events queue."
  value       = local.queue_arn["events"]
}

output "event_bus_name" {
  description = "Name of the custom EventBridge bus; null when event_bus_enabled is false."
  value       = var.event_bus_enabled ? aws_cloudwatch_event_bus.this[0].name : null
}

output "function_name" {
  description = "Name of the publisher function."
  value       = aws_lambda_function.this.function_name
}

output "log_group_name" {
  description = "Log group of the publisher function."
  value       = local.log_group_name
}

output "failure_queue_name" {
  description = "Name of the on-failure queue that receives the stream ranges the publisher could not publish."
  value       = local.queues["failures"].name
}

output "role_arn" {
  description = "ARN of the publisher's role."
  value       = aws_iam_role.this.arn
}
