variable "name_prefix" {
  description = "Prefix of every alarm name (carries the environment suffix); the alarm's key is appended, e.g. `<prefix>-errors`."
  type        = string
}

variable "function_name" {
  description = "Name of the webhook function (FunctionName dimension of the AWS/Lambda metrics)."
  type        = string
}

variable "quarantine_queue_name" {
  description = "Name of the quarantine queue (QueueName dimension of the AWS/SQS metric)."
  type        = string
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
  description = "Length of one evaluation period in seconds (a multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = var.period_seconds >= 60 && var.period_seconds % 60 == 0
    error_message = "period_seconds must be a multiple of 60 of at least 60."
  }
}

variable "evaluation_periods" {
  description = "Consecutive breaching periods before an alarm fires (each alarm fires on any count above 0)."
  type        = number
  default     = 1

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number of at least 1."
  }
}
