# CloudWatch alarms of the webhook stack, one per signal an operator must act on.
# Each alarm says what a missing data point means (treat_missing_data):
#   notBreaching - the metric is sparse: no data point means nothing happened;
#   breaching    - silence is the failure (a provider that stored nothing);
#   ignore       - keep the last state: SQS stops publishing for an idle queue
#                  even while messages wait, so no data must not clear an alarm.
locals {
  actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  lambda_sum = { namespace = "AWS/Lambda", statistic = "Sum", period = var.period_seconds, evaluation_periods = var.evaluation_periods }

  quarantine_age_limit = coalesce(var.quarantine_oldest_age_limit_seconds, floor(var.quarantine_retention_seconds / 2))

  base_alarms = {
    errors = merge(local.lambda_sum, {
      description        = "The webhook function failed (uncaught error, timeout or crash): senders get 502 and retry."
      metric_name        = "Errors"
      dimensions         = { FunctionName = var.function_name }
      threshold          = 0
      treat_missing_data = "notBreaching"
    })
    throttles = merge(local.lambda_sum, {
      description        = "The webhook function was throttled at its reserved concurrency: senders get 429 and retry."
      metric_name        = "Throttles"
      dimensions         = { FunctionName = var.function_name }
      threshold          = 0
      treat_missing_data = "notBreaching"
    })
    # Url5xxCount under FunctionName aggregates the function's URLs; this function
    # has exactly one (on $LATEST), so it is that URL's count. It also counts the
    # handler's own 5xx answers (storage, secret or quarantine unavailable).
    url-5xx = merge(local.lambda_sum, {
      description        = "The Function URL answered 5xx: storage, secret or quarantine unavailable, or the function failed."
      metric_name        = "Url5xxCount"
      dimensions         = { FunctionName = var.function_name }
      threshold          = 0
      treat_missing_data = "notBreaching"
    })
    quarantine-not-empty = {
      description        = "Authentic webhook events were refused and quarantined: fix the cause, then run python -m webhook_cli.replay. Stays in alarm while SQS publishes nothing for the idle queue."
      namespace          = "AWS/SQS"
      metric_name        = "ApproximateNumberOfMessagesVisible"
      statistic          = "Maximum"
      dimensions         = { QueueName = var.quarantine_queue_name }
      period             = var.period_seconds
      evaluation_periods = var.evaluation_periods
      threshold          = 0
      treat_missing_data = "ignore"
    }
    quarantine-oldest-age = {
      description        = "A quarantined event is older than ${local.quarantine_age_limit} s; SQS deletes it at ${var.quarantine_retention_seconds} s. Replay or export it now (python -m webhook_cli.replay)."
      namespace          = "AWS/SQS"
      metric_name        = "ApproximateAgeOfOldestMessage"
      statistic          = "Maximum"
      dimensions         = { QueueName = var.quarantine_queue_name }
      period             = var.period_seconds
      evaluation_periods = 1
      threshold          = local.quarantine_age_limit
      treat_missing_data = "ignore"
    }
  }

  # An enabled provider that stored nothing for N hours: hourly sums of Stored,
  # every one of the N periods below 1, missing hours breaching (no data point
  # at all is exactly the silence this alarm exists for). 0 hours = no alarm.
  silence_hours = {
    for provider in var.enabled_providers : provider => lookup(var.silence_alarm_hours_by_provider, provider, var.silence_alarm_hours)
  }
  silence_alarms = {
    for provider, hours in local.silence_hours : "${provider}-silent" => {
      description        = "The ${provider} webhook stored no event for ${hours} h: endpoint disabled at the provider, wrong URL, wrong secret or a broken deploy. Every event of this window is missing until it is redelivered or reconciled."
      namespace          = var.metric_namespace
      metric_name        = "Stored"
      statistic          = "Sum"
      dimensions         = { Provider = provider }
      period             = 3600
      evaluation_periods = hours
      threshold          = 1
      comparison         = "LessThanThreshold"
      treat_missing_data = "breaching"
    } if hours > 0
  }

  publisher_alarms = merge(
    var.publisher_failure_queue_name == null ? {} : {
      publisher-failures = {
        description        = "Stream batches the publisher gave up on were sent to its on-failure queue: those events were not published. Re-publish them from the table (the message names the shard and sequence numbers)."
        namespace          = "AWS/SQS"
        metric_name        = "ApproximateNumberOfMessagesVisible"
        statistic          = "Maximum"
        dimensions         = { QueueName = var.publisher_failure_queue_name }
        period             = var.period_seconds
        evaluation_periods = var.evaluation_periods
        threshold          = 0
        treat_missing_data = "ignore"
      }
    },
    var.publisher_function_name == null ? {} : {
      # IteratorAge is published for every invocation, retries of a failing batch
      # included; no data point means no stream record to read.
      publisher-iterator-age = {
        description        = "The publisher is more than ${var.publisher_iterator_age_limit_seconds} s behind the table's stream; stream records expire after 24 h."
        namespace          = "AWS/Lambda"
        metric_name        = "IteratorAge"
        statistic          = "Maximum"
        dimensions         = { FunctionName = var.publisher_function_name }
        period             = var.period_seconds
        evaluation_periods = var.evaluation_periods
        threshold          = var.publisher_iterator_age_limit_seconds * 1000
        treat_missing_data = "notBreaching"
      }
    },
    var.reconciler_function_name == null ? {} : {
      # Errors has a data point (0 or more) for every run; between scheduled runs
      # there is none, and the alarm keeps the last run's verdict.
      reconciler-errors = {
        description        = "The Stripe reconciler failed: a refused API key (401/403) or a Stripe failure that persisted after retries. Events not delivered by Stripe are not being recovered."
        namespace          = "AWS/Lambda"
        metric_name        = "Errors"
        statistic          = "Sum"
        dimensions         = { FunctionName = var.reconciler_function_name }
        period             = var.period_seconds
        evaluation_periods = 1
        threshold          = 0
        treat_missing_data = "ignore"
      }
    },
  )

  alarms = merge(local.base_alarms, local.silence_alarms, local.publisher_alarms)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = lookup(each.value, "comparison", "GreaterThanThreshold")
  treat_missing_data  = each.value.treat_missing_data
  alarm_actions       = local.actions
  ok_actions          = local.actions

  depends_on = [aws_cloudwatch_log_metric_filter.deliveries]

  lifecycle {
    precondition {
      condition     = local.quarantine_age_limit < var.quarantine_retention_seconds
      error_message = "quarantine_oldest_age_limit_seconds must be below the queue's retention, or SQS deletes the message before the alarm fires."
    }
  }
}

# Signature rejections as a share of a provider's requests (metric math): a wrong
# or half-rotated secret answers 401 to every delivery, which Errors, Throttles
# and Url5xxCount never see. Below the minimum number of requests in a period the
# share is 0, so a few unsigned probes of a quiet endpoint do not page.
resource "aws_cloudwatch_metric_alarm" "signature_rejections" {
  for_each = var.enabled_providers

  alarm_name          = "${var.name_prefix}-${each.key}-signature-rejections"
  alarm_description   = "More than ${var.signature_rejection_percent}% of ${each.key} requests failed signature verification (401): the secret in SSM does not match the provider's (rotated on one side only, or the wrong one). Every rejected event is retried by the provider until it gives up."
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.evaluation_periods
  threshold           = var.signature_rejection_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "requests"
    return_data = false

    metric {
      namespace   = var.metric_namespace
      metric_name = "Requests"
      dimensions  = { Provider = each.key }
      period      = var.period_seconds
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "rejections"
    return_data = false

    metric {
      namespace   = var.metric_namespace
      metric_name = "SignatureRejections"
      dimensions  = { Provider = each.key }
      period      = var.period_seconds
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "share"
    expression  = "IF(requests >= ${var.signature_rejection_min_requests}, 100 * FILL(rejections, 0) / requests, 0)"
    label       = "${each.key} signature rejections (% of requests)"
    return_data = true
  }

  depends_on = [aws_cloudwatch_log_metric_filter.deliveries]
}
