variable "name_prefix" {
  description = "Prefix of every alarm, metric filter and dashboard name (carries the environment suffix); the alarm's key is appended, e.g. `<prefix>-errors`."
  type        = string
}

variable "function_name" {
  description = "Name of the webhook function (FunctionName dimension of the AWS/Lambda metrics)."
  type        = string
}

variable "log_group_name" {
  description = "Name of the webhook function's log group, whose one JSON line per request the delivery metric filters read."
  type        = string
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the metrics the metric filters publish; one per environment, so two stacks in one account do not add up."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metric_namespace)) && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be 1-255 characters of letters, digits and . _ / # : - and must not start with AWS/."
  }
}

variable "enabled_providers" {
  description = "Enabled payment providers (`standard`, `stripe`, `adyen`): each gets delivery metrics, a signature-rejection alarm and a silence alarm."
  type        = set(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(setsubtract(var.enabled_providers, ["standard", "stripe", "adyen"])) == 0
    error_message = "enabled_providers may only name \"standard\", \"stripe\" and \"adyen\"."
  }
}

variable "quarantine_queue_name" {
  description = "Name of the quarantine queue (QueueName dimension of the AWS/SQS metrics)."
  type        = string
}

variable "quarantine_retention_seconds" {
  description = "Message retention of the quarantine queue, in seconds: the age alarm must fire well before SQS deletes a message."
  type        = number
  default     = 1209600
}

variable "quarantine_oldest_age_limit_seconds" {
  description = "Age of the oldest quarantined message above which the `quarantine-oldest-age` alarm fires, in seconds. null = half of `quarantine_retention_seconds`."
  type        = number
  default     = null

  validation {
    condition     = var.quarantine_oldest_age_limit_seconds == null || try(var.quarantine_oldest_age_limit_seconds >= 60, false)
    error_message = "quarantine_oldest_age_limit_seconds must be null or at least 60."
  }
}

variable "silence_alarm_hours" {
  description = "An enabled provider that stored no event for this many hours raises its `<provider>-silent` alarm (1-168: CloudWatch evaluates at most 7 days)."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.silence_alarm_hours >= 1 && var.silence_alarm_hours <= 168 && floor(var.silence_alarm_hours) == var.silence_alarm_hours
    error_message = "silence_alarm_hours must be a whole number of hours between 1 and 168."
  }
}

variable "silence_alarm_hours_by_provider" {
  description = "Per-provider override of `silence_alarm_hours` (e.g. `{ adyen = 168 }` for a quiet test account); 0 = no silence alarm for that provider."
  type        = map(number)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for provider, hours in var.silence_alarm_hours_by_provider : contains(["standard", "stripe", "adyen"], provider) && hours >= 0 && hours <= 168 && floor(hours) == hours])
    error_message = "silence_alarm_hours_by_provider keys must be standard, stripe or adyen, and each value a whole number of hours between 0 (no alarm) and 168."
  }
}

variable "signature_rejection_percent" {
  description = "Share of a provider's requests (percent) answered 401 above which its `<provider>-signature-rejections` alarm fires."
  type        = number
  default     = 20

  validation {
    condition     = var.signature_rejection_percent > 0 && var.signature_rejection_percent < 100
    error_message = "signature_rejection_percent must be above 0 and below 100."
  }
}

variable "signature_rejection_min_requests" {
  description = "Requests a provider must receive in one period before its rejection share counts (a few unsigned probes of a quiet endpoint do not page)."
  type        = number
  default     = 5

  validation {
    condition     = var.signature_rejection_min_requests >= 1 && floor(var.signature_rejection_min_requests) == var.signature_rejection_min_requests
    error_message = "signature_rejection_min_requests must be a whole number of at least 1."
  }
}

variable "publisher_function_name" {
  description = "Name of the stream publisher function: adds the `publisher-iterator-age` alarm and its dashboard widget. null = no publisher."
  type        = string
  default     = null
}

variable "publisher_iterator_age_limit_seconds" {
  description = "How far (seconds) the publisher may lag behind the table's stream before `publisher-iterator-age` fires; stream records expire after 24 h."
  type        = number
  default     = 3600

  validation {
    condition     = var.publisher_iterator_age_limit_seconds >= 60 && var.publisher_iterator_age_limit_seconds < 86400
    error_message = "publisher_iterator_age_limit_seconds must be between 60 and 86399 (stream records expire after 24 h)."
  }
}

variable "publisher_failure_queue_name" {
  description = "Name of the publisher's on-failure queue: adds the `publisher-failures` alarm (queue not empty). null = none."
  type        = string
  default     = null
}

variable "reconciler_function_name" {
  description = "Name of the Stripe reconciler function: adds the `reconciler-errors` alarm and its dashboard widget. null = no reconciler."
  type        = string
  default     = null
}

variable "reconciler_log_group_name" {
  description = "Log group of the Stripe reconciler: metric filters turn its run summary (`listed`, `stored`, `duplicates`, `ignored`, `refused`) into metrics for the dashboard. null = none."
  type        = string
  default     = null
}

variable "dashboard_enabled" {
  description = "Create the CloudWatch dashboard (alarm states, deliveries by outcome per provider, duration, quarantine, publisher, reconciler)."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified when an alarm fires and when it recovers; null = alarms without notifications. A topic encrypted with a CMK must let CloudWatch use that key."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be null or the ARN of an SNS topic."
  }
}

variable "period_seconds" {
  description = "Length of one evaluation period in seconds (a multiple of 60) of the alarms that count events; the silence alarms use hourly periods."
  type        = number
  default     = 300

  validation {
    condition     = var.period_seconds >= 60 && var.period_seconds % 60 == 0
    error_message = "period_seconds must be a multiple of 60 of at least 60."
  }
}

variable "evaluation_periods" {
  description = "Consecutive breaching periods before a counting alarm fires."
  type        = number
  default     = 1

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number of at least 1."
  }
}
