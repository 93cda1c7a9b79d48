output "alarm_names" {
  description = "Names of the alarms, by key (errors, throttles, url-5xx, quarantine-not-empty)."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "alarm_arns" {
  description = "ARNs of the alarms, by key."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn }
}
