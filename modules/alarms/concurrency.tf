# The function's concurrency approaching its reservation (issue 21): reserved
# concurrency is a ceiling too, so at the reservation Lambda throttles and the
# Function URL answers 429 (the providers retry, later). This alarm fires before
# that, while there is time to raise the reservation or the account quota.
# Self-contained (its inputs are here) so it merges beside the module's others.
variable "reserved_concurrency" {
  description = "The function's reserved concurrency (null = unreserved: no alarm)."
  type        = number
  default     = null
}

variable "concurrency_alarm_percent" {
  description = "Alarm when the function's ConcurrentExecutions (1-minute maximum) reaches this share of its reservation, in 3 of 5 minutes."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.concurrency_alarm_percent > 0 && var.concurrency_alarm_percent <= 100
    error_message = "concurrency_alarm_percent must be above 0 and at most 100."
  }
}

resource "aws_cloudwatch_metric_alarm" "concurrency_near_reservation" {
  count = var.reserved_concurrency == null ? 0 : 1

  alarm_name          = "${var.name_prefix}-concurrency-near-reservation"
  alarm_description   = "The webhook function ran ${var.concurrency_alarm_percent}% or more of its reserved concurrency (${var.reserved_concurrency}): at the reservation Lambda throttles and senders get 429. Raise reserved_concurrency (the account must keep 100 unreserved) or find what slows the function (DynamoDB, SSM latency)."
  namespace           = "AWS/Lambda"
  metric_name         = "ConcurrentExecutions"
  dimensions          = { FunctionName = var.function_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = ceil(var.reserved_concurrency * var.concurrency_alarm_percent / 100)
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching" # no invocation, no data point: nothing runs
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

output "concurrency_alarm_name" {
  description = "Name of the alarm on concurrency near the reservation (null when unreserved)."
  value       = one(aws_cloudwatch_metric_alarm.concurrency_near_reservation[*].alarm_name)
}
