output "queue_url" {
  description = "URL of the quarantine queue (the function's QUARANTINE_QUEUE_URL), known at plan time. Until the queue exists (first apply only) a refused event is answered 5xx and retried by the sender."
  value       = local.queue_url
}

output "queue_arn" {
  description = "ARN of the quarantine queue."
  value       = aws_sqs_queue.this.arn
}

output "queue_name" {
  description = "Name of the quarantine queue (the QueueName dimension of its CloudWatch metrics)."
  value       = aws_sqs_queue.this.name
}
