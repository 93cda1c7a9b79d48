# The dashboard an on-call engineer opens first: alarm states, then per provider
# what happened to its deliveries, then the function, the quarantine, the
# publisher and the reconciler. Every metric named here is one the stack emits
# (tests/terraform/test_alarms_module.py checks it against the plan).
data "aws_region" "current" {
  count = var.dashboard_enabled ? 1 : 0
}

data "aws_caller_identity" "current" {
  count = var.dashboard_enabled ? 1 : 0
}

data "aws_partition" "current" {
  count = var.dashboard_enabled ? 1 : 0
}

locals {
  region = var.dashboard_enabled ? data.aws_region.current[0].region : null
  # Alarm ARNs built from their names, so the body is known at plan time (and a
  # plan test can read every metric the dashboard names).
  alarm_arn_prefix = var.dashboard_enabled ? "arn:${data.aws_partition.current[0].partition}:cloudwatch:${local.region}:${data.aws_caller_identity.current[0].account_id}:alarm:" : ""
  alarm_arns = sort([
    for name in concat(
      [for key in keys(local.alarms) : "${var.name_prefix}-${key}"],
      [for provider in var.enabled_providers : "${var.name_prefix}-${provider}-signature-rejections"],
    ) : "${local.alarm_arn_prefix}${name}"
  ])

  # Outcome metrics of one provider, with the labels the issue's table uses.
  outcome_labels = {
    Stored              = "stored"
    Duplicates          = "duplicate"
    Ignored             = "ignored (not a payment)"
    SignatureRejections = "401 bad signature"
    Refused             = "400 refused (quarantined)"
    ServerErrors        = "5xx"
  }

  provider_widgets = [
    for provider in sort(tolist(var.enabled_providers)) : {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title   = "${provider}: deliveries by outcome"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = var.period_seconds
        stat    = "Sum"
        metrics = [
          for metric, label in local.outcome_labels :
          [var.metric_namespace, metric, "Provider", provider, { label = label }]
        ]
      }
    }
  ]

  function_widgets = [
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "Webhook function: duration p50 / p99 (ms)"
        region = local.region
        view   = "timeSeries"
        period = var.period_seconds
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", var.function_name, { stat = "p50", label = "p50" }],
          ["AWS/Lambda", "Duration", "FunctionName", var.function_name, { stat = "p99", label = "p99" }],
        ]
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "Webhook function: errors, throttles, URL 4xx / 5xx"
        region = local.region
        view   = "timeSeries"
        period = var.period_seconds
        stat   = "Sum"
        metrics = [
          for metric in ["Errors", "Throttles", "Url4xxCount", "Url5xxCount"] :
          ["AWS/Lambda", metric, "FunctionName", var.function_name]
        ]
      }
    },
  ]

  quarantine_widgets = [
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "Quarantine: depth and oldest message (s)"
        region = local.region
        view   = "timeSeries"
        period = var.period_seconds
        stat   = "Maximum"
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.quarantine_queue_name, { label = "messages" }],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.quarantine_queue_name, { label = "oldest age (s)", yAxis = "right" }],
        ]
        annotations = {
          horizontal = [{ label = "age alarm", value = local.quarantine_age_limit, yAxis = "right" }]
        }
      }
    },
  ]

  # Optional parts are kept or dropped with `for ... if` (a conditional would
  # need both branches of one type, which these mixed tuples are not).
  publisher_metrics = concat(
    [for metric in [
      ["AWS/Lambda", "IteratorAge", "FunctionName", var.publisher_function_name, { stat = "Maximum", label = "iterator age (ms)", yAxis = "right" }],
      ["AWS/Lambda", "Errors", "FunctionName", var.publisher_function_name, { stat = "Sum", label = "errors" }],
    ] : metric if var.publisher_function_name != null],
    [for metric in [
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.publisher_failure_queue_name, { stat = "Maximum", label = "on-failure queue" }],
    ] : metric if var.publisher_failure_queue_name != null],
  )
  publisher_widgets = [for widget in [
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title   = "Publisher: iterator age and failures"
        region  = local.region
        view    = "timeSeries"
        period  = var.period_seconds
        metrics = local.publisher_metrics
      }
    },
  ] : widget if length(local.publisher_metrics) > 0]

  reconciler_widgets = concat(
    [for widget in [
      {
        type   = "metric"
        width  = 12
        height = 6
        properties = {
          title  = "Stripe reconciler: last run's counts"
          region = local.region
          view   = "singleValue"
          period = 3600
          stat   = "Maximum"
          metrics = [
            for metric in sort(keys(local.reconcile_metrics)) :
            [var.metric_namespace, metric, { label = lower(trimprefix(metric, "Reconcile")) }]
          ]
        }
      },
    ] : widget if length(local.reconcile_metrics) > 0],
    [for widget in [
      {
        type   = "metric"
        width  = 12
        height = 6
        properties = {
          title  = "Stripe reconciler: runs and failures"
          region = local.region
          view   = "timeSeries"
          period = 3600
          stat   = "Sum"
          metrics = [
            for metric in ["Invocations", "Errors"] :
            ["AWS/Lambda", metric, "FunctionName", var.reconciler_function_name]
          ]
        }
      },
    ] : widget if var.reconciler_function_name != null],
  )

  header_widget = {
    type   = "text"
    width  = 24
    height = 2
    properties = {
      markdown = "## ${var.name_prefix}: payment webhooks\nEvery alarm below has a runbook line in the stack README's **Operations** section (what it means, what to check, what to do)."
    }
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard_enabled ? 1 : 0

  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({
    widgets = concat(
      [local.header_widget],
      [{
        type   = "alarm"
        width  = 24
        height = 4
        properties = {
          title  = "Alarms"
          alarms = local.alarm_arns
        }
      }],
      local.provider_widgets,
      local.function_widgets,
      local.quarantine_widgets,
      local.publisher_widgets,
      local.reconciler_widgets,
    )
  })

  depends_on = [aws_cloudwatch_metric_alarm.this, aws_cloudwatch_metric_alarm.signature_rejections]
}
