variable "name" {
  description = "Prefix of the resource names (the stack's name with its environment suffix)."
  type        = string
}

variable "environment_suffix" {
  description = "The stack's environment suffix: the messages' source is /payment-webhooks/<suffix>."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the stack's customer-managed key (queues, log group, function environment)."
  type        = string
}

variable "package_path" {
  description = "Path of the function zip (the receiver's; the publisher is publisher.handler in it)."
  type        = string
}

variable "package_base64sha256" {
  description = "Base64 SHA-256 of the zip, so a code change redeploys the publisher."
  type        = string
}

variable "runtime" {
  description = "Python runtime of the publisher (3.12 or newer)."
  type        = string
}

variable "memory_size" {
  description = "Memory of the publisher in MB."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Publisher timeout in seconds (at most 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 30
    error_message = "timeout must be between 1 and 30 seconds."
  }
}

variable "log_retention_days" {
  description = "Retention of the publisher's log group in days."
  type        = number
  default     = 30
}

variable "transactions_table_name" {
  description = "Name of the transactions table (TABLE_NAME: tells its stream records apart)."
  type        = string
}

variable "payments_table_name" {
  description = "Name of the payments table (PAYMENTS_TABLE_NAME)."
  type        = string
}

variable "transactions_stream_arn" {
  description = "Stream ARN of the transactions table (NEW_IMAGE or NEW_AND_OLD_IMAGES)."
  type        = string
}

variable "payments_stream_arn" {
  description = "Stream ARN of the payments table (NEW_AND_OLD_IMAGES)."
  type        = string
}

variable "event_bus_enabled" {
  description = "Also publish every message on a custom EventBridge bus with an archive."
  type        = bool
  default     = true
}

variable "archive_retention_days" {
  description = "Days the bus archive keeps events for StartReplay (0 = forever)."
  type        = number
  default     = 30
}

variable "message_retention_seconds" {
  description = "Retention of the events queue and the on-failure queue (SQS's maximum, 14 days, by default)."
  type        = number
  default     = 1209600
}

variable "batch_size" {
  description = "Stream records per publisher invocation."
  type        = number
  default     = 100
}

variable "maximum_batching_window_seconds" {
  description = "Seconds the mapping may wait to fill a batch (0: invoke as soon as records arrive)."
  type        = number
  default     = 0
}

variable "maximum_retry_attempts" {
  description = "Retries of a failing batch before its records go to the on-failure queue."
  type        = number
  default     = 10
}

variable "maximum_record_age_seconds" {
  description = "Age after which a record not yet published goes to the on-failure queue (stream records expire after 24 h)."
  type        = number
  default     = 21600
}

variable "tags" {
  description = "Tags of every taggable resource of this module."
  type        = map(string)
  default     = {}
}

variable "application_log_level" {
  description = "Lambda's filter for the function's own log lines (JSON log format). Its JSON line carries no level, so Lambda counts it as INFO: TRACE, DEBUG or INFO keep it."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO"], var.application_log_level)
    error_message = "application_log_level must be TRACE, DEBUG or INFO: the function's JSON line counts as INFO."
  }
}

variable "system_log_level" {
  description = "Lambda's filter for its own platform events (JSON log format): WARN drops the START, END and REPORT events of every invocation; INFO or DEBUG keep them."
  type        = string
  default     = "WARN"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}
