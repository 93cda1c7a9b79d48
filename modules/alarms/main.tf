# CloudWatch alarms of the webhook stack. Every metric is sparse (no data point
# when nothing happened), so missing data counts as "not breaching".
locals {
  actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  alarms = {
    errors = {
      description = "The webhook function failed (uncaught error, timeout or crash): senders get 502 and retry."
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      statistic   = "Sum"
      dimensions  = { FunctionName = var.function_name }
    }
    throttles = {
      description = "The webhook function was throttled at its reserved concurrency: senders get 429 and retry."
      namespace   = "AWS/Lambda"
      metric_name = "Throttles"
      statistic   = "Sum"
      dimensions  = { FunctionName = var.function_name }
    }
    # Url5xxCount under FunctionName aggregates the function's URLs; this function
    # has exactly one (on $LATEST), so it is that URL's count. It also counts the
    # handler's own 5xx answers (storage, secret or quarantine unavailable).
    url-5xx = {
      description = "The Function URL answered 5xx: storage, secret or quarantine unavailable, or the function failed."
      namespace   = "AWS/Lambda"
      metric_name = "Url5xxCount"
      statistic   = "Sum"
      dimensions  = { FunctionName = var.function_name }
    }
    quarantine-not-empty = {
      description = "Authentic webhook events were refused and quarantined: fix the cause, then run python -m webhook_cli.replay."
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      dimensions  = { QueueName = var.quarantine_queue_name }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = var.period_seconds
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.evaluation_periods
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
