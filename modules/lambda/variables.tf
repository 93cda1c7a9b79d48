variable "function_name" {
  description = "Name of the function."
  type        = string
}

variable "source_dir" {
  description = "Directory with the function's code, zipped as it is."
  type        = string
}

variable "package_output_path" {
  description = "Where the zip is written (a build directory that is not committed)."
  type        = string
}

variable "runtime" {
  description = "Lambda Python runtime."
  type        = string
  default     = "python3.13"
}

variable "role_arn" {
  description = "ARN of the execution role."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the KMS key for the environment, the log group and the secret parameter."
  type        = string
}

variable "log_group_name" {
  description = "Name of the log group, `/aws/lambda/<function name>`."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the log group in days."
  type        = number
  default     = 30
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Timeout in seconds (at most 30)."
  type        = number
  default     = 15

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 30
    error_message = "timeout must be between 1 and 30 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions (floor and ceiling); null = unreserved. The account must keep at least 100 unreserved."
  type        = number
  default     = 100

  validation {
    condition     = var.reserved_concurrency == null ? true : var.reserved_concurrency >= 0 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be null (unreserved) or a whole number of at least 0."
  }
}

variable "table_name" {
  description = "Name of the transactions table (TABLE_NAME)."
  type        = string
}

variable "secret_parameters" {
  description = "One SecureString per enabled payment provider, by provider key: its parameter name, the environment variable that names it to the function (WEBHOOK_SECRET_PARAM, STRIPE_SECRET_PARAM, ADYEN_HMAC_KEY_PARAM) and its description."
  type = map(object({
    name                 = string
    environment_variable = string
    description          = string
  }))

  validation {
    condition     = length(var.secret_parameters) > 0 && alltrue([for p in values(var.secret_parameters) : contains(["WEBHOOK_SECRET_PARAM", "STRIPE_SECRET_PARAM", "ADYEN_HMAC_KEY_PARAM"], p.environment_variable)])
    error_message = "secret_parameters must hold at least one parameter, each named to the function by WEBHOOK_SECRET_PARAM, STRIPE_SECRET_PARAM or ADYEN_HMAC_KEY_PARAM."
  }
}

variable "payments_table_name" {
  description = "Name of the payments table (PAYMENTS_TABLE_NAME, the current status per payment); empty = the variable is not set."
  type        = string
  default     = ""
  nullable    = false
}

variable "signature_tolerance_seconds" {
  description = "Allowed clock skew of webhook-timestamp (SIGNATURE_TOLERANCE_SECONDS)."
  type        = number
  default     = 300
}

variable "quarantine_queue_url" {
  description = "URL of the SQS queue that keeps authentic but refused events (QUARANTINE_QUEUE_URL); empty = no quarantine."
  type        = string
  default     = ""
  nullable    = false
}

variable "event_retention_days" {
  description = "Days an event item is kept (EVENT_RETENTION_DAYS: every item gets expiresAt for the table's TTL); null = the variable is not set, events are kept forever."
  type        = number
  default     = null
}

variable "tags" {
  description = "Tags of every taggable resource of this module."
  type        = map(string)
  default     = {}
}

variable "application_log_level" {
  description = "Lambda's filter for the function's own log lines (JSON log format). The request line carries no level, so Lambda counts it as INFO: TRACE, DEBUG or INFO keep it; a higher level would drop every line the metric filters read."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO"], var.application_log_level)
    error_message = "application_log_level must be TRACE, DEBUG or INFO: the function's request line counts as INFO, and the delivery metrics and alarms read it."
  }
}

variable "system_log_level" {
  description = "Lambda's filter for its own platform events (JSON log format): WARN drops the START, END and REPORT events of every invocation; INFO or DEBUG keep them (durations, init time, memory used)."
  type        = string
  default     = "WARN"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}
