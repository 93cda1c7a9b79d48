output "alarm_names" {
  description = "Names of the alarms, by key (errors, throttles, url-5xx, quarantine-not-empty, quarantine-oldest-age, `<provider>-signature-rejections`, `<provider>-silent`, and publisher-failures, publisher-iterator-age, reconciler-errors when their inputs are set)."
  value = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name },
    { for provider, alarm in aws_cloudwatch_metric_alarm.signature_rejections : "${provider}-signature-rejections" => alarm.alarm_name },
  )
}

output "alarm_arns" {
  description = "ARNs of the alarms, by key."
  value = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn },
    { for provider, alarm in aws_cloudwatch_metric_alarm.signature_rejections : "${provider}-signature-rejections" => alarm.arn },
  )
}

output "metric_namespace" {
  description = "CloudWatch namespace of the metrics read from the logs (dimension `Provider` on the delivery metrics)."
  value       = var.metric_namespace
}

output "metric_filter_names" {
  description = "Names of the log metric filters, by `<provider>-<metric>` and reconciler metric name."
  value = merge(
    { for key, filter in aws_cloudwatch_log_metric_filter.deliveries : key => filter.name },
    { for key, filter in aws_cloudwatch_log_metric_filter.reconcile : key => filter.name },
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (null when `dashboard_enabled` is false)."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "dashboard_url" {
  description = "Console URL of the dashboard (null when `dashboard_enabled` is false)."
  value       = var.dashboard_enabled ? "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards/dashboard/${var.name_prefix}" : null
}
